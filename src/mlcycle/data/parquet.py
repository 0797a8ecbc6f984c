"""Parquet files of dataset versions: writing a table (to the artifact store, or to a file for upload) and
reading one back, checked against its digest and with the Arrow types its writer recorded.

Parquet has no place for some Arrow types (``date64``, ``time32[s]``, a dictionary's value layout, the field
names of lists and maps), so a file read back would carry close relatives of them. pyarrow records the writer's
Arrow schema in the file; :func:`read_table` casts back to it, so a table makes the round trip with the types
it had, and hashes, profiles and compares the same on both sides (the server reads uploads this way).
"""

from __future__ import annotations

import base64
import binascii
import os
import tempfile
from pathlib import Path
from typing import IO

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from mlcycle.artifacts import BlobRef, BlobStore

COMPRESSION = "snappy"
MEDIA_TYPE = "application/vnd.apache.parquet"
_DICTIONARY_SAMPLE = 10_000
_ARROW_SCHEMA = b"ARROW:schema"


def write_parquet(table: pa.Table, path: str | os.PathLike[str]) -> None:
    """Write ``table`` as one Parquet file, encoded as every stored version is."""
    pq.write_table(table, path, compression=COMPRESSION, use_dictionary=dictionary_columns(table))


def write_blob(blobs: BlobStore, table: pa.Table) -> BlobRef:
    """Write ``table`` to a temp file with pyarrow, then store the file; returns the blob's digest and size."""
    with tempfile.TemporaryDirectory(prefix="mlcycle-dataset-") as tmp:
        path = Path(tmp) / "data.parquet"
        write_parquet(table, path)
        return blobs.put_file(path)


def dictionary_columns(table: pa.Table) -> list[str]:
    """Columns worth dictionary encoding: dictionary (categorical) columns, and those where at most half the first
    values are distinct.

    Trying a dictionary on a column of mostly distinct values (measurements, ids) costs time and then falls
    back to plain encoding anyway, so such columns skip it.
    """
    out = []
    for name, column in zip(table.column_names, table.columns, strict=True):
        if pa.types.is_dictionary(column.type):
            out.append(name)
            continue
        if pa.types.is_boolean(column.type) or pa.types.is_nested(column.type) or pa.types.is_null(column.type):
            continue
        head = column.slice(0, _DICTIONARY_SAMPLE)
        try:
            repeats = len(head) == 0 or pc.count_distinct(head).as_py() * 2 <= len(head)
        except pa.ArrowNotImplementedError:  # a type without a distinct-count kernel: leave it plain
            continue
        if repeats:
            out.append(name)
    return out


def read_table(source: str | os.PathLike[str] | IO[bytes], columns: list[str] | None = None) -> pa.Table:
    """A Parquet file (path or binary file object) as a table, with the Arrow types its writer recorded."""
    with pq.ParquetFile(source) as file:
        table = file.read(columns=columns)
        recorded = (file.metadata.metadata or {}).get(_ARROW_SCHEMA)
    return _restore_types(table, recorded)


def read_blob(blobs: BlobStore, digest: str, columns: list[str] | None = None) -> pa.Table:
    """The table stored under ``digest``; its bytes are checked against the digest before they are parsed."""
    local = blobs.local_path(digest)
    if local is not None:
        for _ in blobs.open_verified(digest):  # raises IntegrityError after the last chunk if corrupt
            pass
        return read_table(local, columns)
    with tempfile.TemporaryDirectory(prefix="mlcycle-dataset-") as tmp:
        path = Path(tmp) / "data.parquet"
        blobs.download(digest, path)
        return read_table(path, columns)


def _restore_types(table: pa.Table, recorded: bytes | None) -> pa.Table:
    """``table`` cast to the writer's Arrow schema where Parquet changed a type; as read when that cannot be."""
    if recorded is None:
        return table
    try:
        schema = pa.ipc.read_schema(pa.py_buffer(base64.b64decode(recorded)))
        fields = [schema.field(name) for name in table.column_names]
    except (pa.ArrowException, binascii.Error, KeyError, ValueError):
        return table
    target = pa.schema(fields, metadata=table.schema.metadata)
    if table.schema.equals(target, check_metadata=False):
        return table
    try:
        return table.cast(target)
    except (pa.ArrowException, ValueError):
        return table


__all__ = [
    "COMPRESSION",
    "MEDIA_TYPE",
    "dictionary_columns",
    "read_blob",
    "read_table",
    "write_blob",
    "write_parquet",
]
