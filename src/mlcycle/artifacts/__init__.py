"""Content-addressed artifact storage: blobs addressed by sha256 over fsspec, and artifact name rules."""

from mlcycle.artifacts.blobs import BlobRef, BlobStore, write_atomically
from mlcycle.artifacts.names import check_artifact_name

__all__ = ["BlobRef", "BlobStore", "check_artifact_name", "write_atomically"]
