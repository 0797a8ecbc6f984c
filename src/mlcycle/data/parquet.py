"""Writing a table to the artifact store as one Parquet blob, and reading it back, checked against its digest."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from mlcycle.artifacts import BlobRef, BlobStore

COMPRESSION = "snappy"
_DICTIONARY_SAMPLE = 10_000


def write_blob(blobs: BlobStore, table: pa.Table) -> BlobRef:
    """Write ``table`` to a temp file with pyarrow, then store the file; returns the blob's digest and size."""
    with tempfile.TemporaryDirectory(prefix="mlcycle-dataset-") as tmp:
        path = Path(tmp) / "data.parquet"
        pq.write_table(table, path, compression=COMPRESSION, use_dictionary=dictionary_columns(table))
        return blobs.put_file(path)


def dictionary_columns(table: pa.Table) -> list[str]:
    """Columns worth dictionary encoding: at most half their first values are distinct.

    Trying a dictionary on a column of mostly distinct values (measurements, ids) costs time and then falls
    back to plain encoding anyway, so such columns skip it.
    """
    out = []
    for name, column in zip(table.column_names, table.columns, strict=True):
        if pa.types.is_boolean(column.type) or pa.types.is_nested(column.type):
            continue
        head = column.slice(0, _DICTIONARY_SAMPLE)
        if len(head) == 0 or pc.count_distinct(head).as_py() * 2 <= len(head):
            out.append(name)
    return out


def read_blob(blobs: BlobStore, digest: str, columns: list[str] | None = None) -> pa.Table:
    """The table stored under ``digest``; its bytes are checked against the digest before they are parsed."""
    local = blobs.local_path(digest)
    if local is not None:
        for _ in blobs.open_verified(digest):  # raises IntegrityError after the last chunk if corrupt
            pass
        return pq.read_table(local, columns=columns)
    with tempfile.TemporaryDirectory(prefix="mlcycle-dataset-") as tmp:
        path = Path(tmp) / "data.parquet"
        blobs.download(digest, path)
        return pq.read_table(path, columns=columns, memory_map=False)


__all__ = ["COMPRESSION", "dictionary_columns", "read_blob", "write_blob"]
