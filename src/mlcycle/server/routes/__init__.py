"""The REST API routes, one module per resource. Each route parses, calls the backend, and renders."""
