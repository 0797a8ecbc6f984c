"""Turning what a user logs (a pandas DataFrame, a pyarrow Table, a file path or a URL) into one Arrow table.

Files are read by their suffix: ``.csv``/``.tsv`` (optionally ``.gz``/``.bz2``), ``.parquet``/``.pq`` (or a
folder of Parquet files) and JSON Lines ``.jsonl``/``.ndjson``/``.json``. URLs go through fsspec
(``s3://``, ``gs://``, ``https://`` ...). A missing or unreadable file is :class:`InvalidInput` naming it.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import pyarrow as pa

from mlcycle.core.errors import InvalidInput

if TYPE_CHECKING:
    import pandas as pd

    DataLike = pd.DataFrame | pa.Table | str | os.PathLike[str]

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")
_COMPRESSION = (".gz", ".bz2", ".zst", ".lz4")
_FORMATS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".txt": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
}
_HINT = "log a pandas DataFrame, a pyarrow Table, or the path or URL of a .csv, .parquet or .jsonl file"


@dataclass(frozen=True)
class Loaded:
    """A table and where it came from (``source`` is "" for in-memory data)."""

    table: pa.Table
    source: str
    source_kind: str


def to_table(data: Any) -> Loaded:
    """Read ``data`` into an Arrow table without copying a DataFrame's columns more than Arrow needs to."""
    import pandas as pd

    if isinstance(data, pa.Table):
        return Loaded(data, "", "dataframe")
    if isinstance(data, pa.RecordBatch):
        return Loaded(pa.Table.from_batches([data]), "", "dataframe")
    if isinstance(data, pd.DataFrame):
        return Loaded(from_pandas(data), "", "dataframe")
    if isinstance(data, str | os.PathLike):
        text = os.fspath(data)
        if _URL.match(text) and not text.startswith("file://"):
            return Loaded(_read_url(text), text, "url")
        path = Path(text.removeprefix("file://")).expanduser().absolute()
        return Loaded(_read_path(path, text), str(path), "file")
    raise InvalidInput(f"cannot log a {type(data).__name__} as a dataset", hint=_HINT)


def provenance(loaded: Loaded, source: str | None = None, source_kind: str | None = None) -> tuple[str, str]:
    """The source and source kind a version records: those given, else what ``loaded`` came from.

    A ``source`` given beside in-memory data is judged by its form: a URL, an existing file, or a description.
    The remote client calls this on the user's machine, where the file is, and sends both to the server.
    """
    kind = source_kind or (loaded.source_kind if loaded.source or source is None else _guess_kind(source))
    return (source if source is not None else loaded.source), kind


def from_parquet(body: IO[bytes], shown: str = "the request body") -> pa.Table:
    """An uploaded Parquet file as a table with its writer's Arrow types; anything else is InvalidInput."""
    from mlcycle.data.parquet import read_table

    try:
        return read_table(body)
    except (OSError, pa.ArrowException, ValueError) as exc:
        raise InvalidInput(
            f"{shown} cannot be read as parquet: {exc}", hint="send the bytes of one Parquet file"
        ) from exc


def from_pandas(df: pd.DataFrame) -> pa.Table:
    """The frame's columns as Arrow; a column Arrow cannot type is InvalidInput.

    Named index levels are data (``df.set_index("customer_id")``) and become leading columns; an unnamed
    index only numbers the rows and is dropped, so it never changes the content.
    """
    named = [n for n in df.index.names if n is not None]
    if named:
        try:
            df = df.reset_index(level=named)
        except ValueError as exc:
            raise InvalidInput(f"the DataFrame's index cannot become columns: {exc}", hint="rename it") from exc
    names = [str(c) for c in df.columns]
    if len(set(names)) != len(names):
        dupes = sorted({n for n in names if names.count(n) > 1})
        raise InvalidInput(f"the DataFrame has duplicate column names: {dupes}", hint="rename the columns")
    try:
        return pa.Table.from_pandas(df, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as exc:
        raise InvalidInput(
            f"the DataFrame cannot be stored as Parquet: {exc}",
            hint="give each column one type, e.g. df[col] = df[col].astype(str)",
        ) from exc


def file_format(name: str) -> str:
    """The reader for a file name, judged by its suffix (a compression suffix is looked through)."""
    lower = name.lower().rstrip("/")
    for comp in _COMPRESSION:
        if lower.endswith(comp):
            lower = lower[: -len(comp)]
            break
    for suffix, fmt in _FORMATS.items():
        if lower.endswith(suffix):
            return fmt
    raise InvalidInput(f"cannot tell the format of dataset file {name!r} from its name", hint=_HINT)


def _read_path(path: Path, shown: str) -> pa.Table:
    if not path.exists():
        raise InvalidInput(f"dataset file {shown!r} does not exist", hint="check the path")
    fmt = "parquet" if path.is_dir() else file_format(shown)
    try:
        return _read(str(path), fmt)
    except PermissionError as exc:
        raise InvalidInput(f"dataset file {shown!r} cannot be read: permission denied") from exc
    except (OSError, pa.ArrowException, ValueError) as exc:
        raise InvalidInput(f"dataset file {shown!r} cannot be read as {fmt}: {exc}") from exc


def _guess_kind(source: str) -> str:
    if _URL.match(source):
        return "file" if source.startswith("file://") else "url"
    return "file" if os.path.exists(source) else "dataframe"


def _read_url(url: str) -> pa.Table:
    import fsspec

    fmt = file_format(url.split("?", 1)[0])
    try:
        with fsspec.open(url, "rb", compression="infer") as f:
            return _read(f, fmt)
    except FileNotFoundError as exc:
        raise InvalidInput(f"dataset URL {url!r} does not exist", hint="check the URL") from exc
    except ImportError as exc:
        raise InvalidInput(f"dataset URL {url!r} needs a package that is not installed: {exc}") from exc
    except (OSError, pa.ArrowException, ValueError) as exc:
        raise InvalidInput(f"dataset URL {url!r} cannot be read as {fmt}: {exc}") from exc


def _read(source: Any, fmt: str) -> pa.Table:
    if fmt == "parquet":
        import pyarrow.parquet as pq

        return pq.read_table(source)
    if fmt in ("csv", "tsv"):
        from pyarrow import csv

        parse = csv.ParseOptions(delimiter="\t" if fmt == "tsv" else ",")
        convert = csv.ConvertOptions(strings_can_be_null=True)  # an empty field is missing, as in pandas
        return csv.read_csv(source, parse_options=parse, convert_options=convert)
    from pyarrow import json

    return json.read_json(source)


__all__ = ["Loaded", "file_format", "from_pandas", "from_parquet", "provenance", "to_table"]
