"""The content hash of a dataset: a sha256 over its logical schema and its rows, computed from Arrow buffers.

Two tables are **identical**, and get the same hash, when they have

- the same column names, in the same order;
- the same logical column types. The physical encoding does not count: ``string``, ``large_string`` and
  ``string_view`` are all "string", ``binary`` variants are all "binary", list variants are all "list", and a
  dictionary (pandas categorical) column is a dictionary of its value type whatever its index width, with
  its decoded values as content (so category codes and unused categories do not count);
- the same values, bit for bit (so ``0.0`` and ``-0.0`` differ), with missing values at the same positions;
- the same rows **in the same order**. Row order is part of the content: a shuffled copy is another dataset
  (it splits, windows and trains differently) and is stored as another Parquet file.

What does not count: an unnamed pandas index (it is never stored, see
:func:`~mlcycle.data.sources.from_pandas`), how a table is chunked or sliced in memory, and the bytes under a
null slot.

The work is vectorised: fixed-width columns feed their value buffers to sha256 without copying, variable-width
columns feed their value lengths and bytes, and nulls are recorded by position. Per column, three streams
(values, lengths, null positions) are hashed separately, so a table split into chunks at any row boundaries
hashes like the same table in one chunk. Nested types fall back to a slower per-value encoding.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

HASH_SCHEME = "mlcycle-dataset-v1"


def logical_type(t: pa.DataType) -> str:
    """The type as the hash sees it: encodings that hold the same values share one name."""
    if pa.types.is_dictionary(t):
        return f"dictionary<{logical_type(t.value_type)}, ordered={int(t.ordered)}>"
    if pa.types.is_string(t) or pa.types.is_large_string(t) or _is(t, "is_string_view"):
        return "string"
    if pa.types.is_binary(t) or pa.types.is_large_binary(t) or _is(t, "is_binary_view"):
        return "binary"
    if pa.types.is_list(t) or pa.types.is_large_list(t) or _is(t, "is_list_view") or _is(t, "is_large_list_view"):
        return f"list<{logical_type(t.value_type)}>"
    return str(t)


def content_hash(table: pa.Table) -> str:
    """The hex sha256 identifying ``table``'s content (see the module docstring for what counts)."""
    header = {
        "scheme": HASH_SCHEME,
        "rows": table.num_rows,
        "columns": [[f.name, logical_type(f.type)] for f in table.schema],
    }
    outer = hashlib.sha256(json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))
    for column in table.columns:
        outer.update(column_digest(column))
    return outer.hexdigest()


def column_digest(column: pa.ChunkedArray | pa.Array) -> bytes:
    """The 32-byte digest of one column's values and null positions (independent of chunking)."""
    streams = _Streams()
    chunks = column.chunks if isinstance(column, pa.ChunkedArray) else [column]
    start = 0
    for chunk in chunks:
        chunk = _unview(chunk)
        if chunk.null_count:
            mask = chunk.is_null().to_numpy(zero_copy_only=False)
            streams.nulls.update((np.flatnonzero(mask) + start).astype("<i8").tobytes())
            try:
                present = pc.drop_null(chunk)
            except pa.ArrowNotImplementedError:  # exotic types (unions): values with their nulls, one per line
                streams.per_value(chunk)
            else:
                streams.feed(present)
        else:
            streams.feed(chunk)
        start += len(chunk)
    return streams.digest()


def _unview(arr: pa.Array) -> pa.Array:
    """View layouts (string_view, binary_view, list_view) as their offset-based equivalents."""
    t = arr.type
    if _is(t, "is_string_view"):
        return arr.cast(pa.large_string())
    if _is(t, "is_binary_view"):
        return arr.cast(pa.large_binary())
    if _is(t, "is_list_view") or _is(t, "is_large_list_view"):
        return arr.cast(pa.large_list(t.value_type))
    return arr


class _Streams:
    """The three hashed streams of one column: value bytes, value lengths (variable width), null positions."""

    def __init__(self) -> None:
        self.values = hashlib.sha256()
        self.lengths = hashlib.sha256()
        self.nulls = hashlib.sha256()

    def digest(self) -> bytes:
        return hashlib.sha256(self.values.digest() + self.lengths.digest() + self.nulls.digest()).digest()

    def feed(self, arr: pa.Array) -> None:
        """Hash a chunk that has no nulls."""
        t = arr.type
        if len(arr) == 0 or pa.types.is_null(t):
            return
        if pa.types.is_dictionary(t):
            self.feed(arr.dictionary_decode())
        elif pa.types.is_string(t) or pa.types.is_binary(t):
            self._var_width(arr, np.int32)
        elif pa.types.is_large_string(t) or pa.types.is_large_binary(t):
            self._var_width(arr, np.int64)
        elif pa.types.is_boolean(t):
            self.values.update(arr.to_numpy(zero_copy_only=False).astype(np.uint8).tobytes())
        elif _fixed_width(t):
            width = t.bit_width // 8
            data = arr.buffers()[1]
            self.values.update(memoryview(data)[arr.offset * width : (arr.offset + len(arr)) * width])
        else:
            self.per_value(arr)

    def _var_width(self, arr: pa.Array, offset_type: type[np.signedinteger[Any]]) -> None:
        _, offsets_buf, data = arr.buffers()
        offsets = np.frombuffer(offsets_buf, dtype=offset_type)[arr.offset : arr.offset + len(arr) + 1]
        self.lengths.update(np.diff(offsets).astype("<i8").tobytes())
        if data is not None:
            self.values.update(memoryview(data)[int(offsets[0]) : int(offsets[-1])])

    def per_value(self, arr: pa.Array) -> None:
        """Nested and other rare types: each value as canonical JSON, one per line (slow, but exact)."""
        for value in arr.to_pylist():
            line = json.dumps(value, default=repr, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
            self.values.update(line.encode("utf-8") + b"\n")


def _fixed_width(t: pa.DataType) -> bool:
    return (
        bool(
            pa.types.is_integer(t)
            or pa.types.is_floating(t)
            or pa.types.is_temporal(t)
            or pa.types.is_decimal(t)
            or pa.types.is_fixed_size_binary(t)
        )
        and t.bit_width % 8 == 0
    )


def _is(t: pa.DataType, predicate: str) -> bool:
    """A ``pa.types`` predicate that may not exist in older pyarrow versions."""
    check = getattr(pa.types, predicate, None)
    return bool(check(t)) if check is not None else False


__all__ = ["HASH_SCHEME", "column_digest", "content_hash", "logical_type"]
