"""Interfaces: the Python client (embedded or remote)."""
