"""Core: errors, settings, identifiers, validation and the lifecycle catalog. Imports nothing of mlcycle."""
