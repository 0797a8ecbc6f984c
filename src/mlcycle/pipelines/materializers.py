"""How step outputs become artifacts and come back: one materializer per kind of value, never pickle.

    pandas.DataFrame            Parquet
    pyarrow.Table               Parquet
    numpy.ndarray               .npy (np.save, allow_pickle=False)
    scikit-learn estimator      skops; loading trusts scikit-learn/NumPy/SciPy types only, unless trust=True
    pathlib.Path (a file)       the file's bytes; loaded back as a read-only local file with the same name
    JSON-able values            JSON (None, bool, int, float, str, lists, tuples, dicts with str keys)

An output is recorded as ``{"digest", "size", "materializer", "type"}`` (plus ``"filename"`` for files). The
registry is ordered; :func:`register_materializer` adds one (first, so it wins over the built-ins), and the
built-ins are registered the same way.
"""

from __future__ import annotations

import io
import json
import os
import sys
import tempfile
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, ClassVar

from mlcycle.artifacts import BlobStore
from mlcycle.core.errors import InvalidInput, MlcycleError, NotFound, PermissionDenied
from mlcycle.pipelines.hashing import json_problem
from mlcycle.tracking.sklearn_io import dump_estimator, load_estimator

OutputRef = dict[str, Any]


class Materializer(ABC):
    """Saves values of one kind to the artifact store and loads them back."""

    name: ClassVar[str]

    @abstractmethod
    def handles(self, value: Any) -> bool: ...

    @abstractmethod
    def save(self, value: Any, blobs: BlobStore) -> OutputRef:
        """Store ``value``; return at least ``digest`` and ``size``."""

    @abstractmethod
    def load(self, ref: OutputRef, blobs: BlobStore, *, trust: bool) -> Any: ...


def _loaded(module: str, attr: str) -> Any:
    """A class from a library, only when the library is already imported (a value of it cannot exist otherwise)."""
    mod = sys.modules.get(module)
    return getattr(mod, attr, None) if mod is not None else None


def _put(blobs: BlobStore, data: bytes | memoryview) -> OutputRef:
    # Step outputs can be recomputed, so they skip the fsync: a process kill still never leaves a partial blob
    # (temp file, then rename), and after an OS crash a damaged blob fails its sha256 check when read.
    ref = blobs.put_bytes(data, durable=False)
    return {"digest": ref.digest, "size": ref.size}


class PandasParquet(Materializer):
    name = "pandas"

    def handles(self, value: Any) -> bool:
        cls = _loaded("pandas", "DataFrame")
        return cls is not None and isinstance(value, cls)

    def save(self, value: Any, blobs: BlobStore) -> OutputRef:
        buf = io.BytesIO()
        try:
            value.to_parquet(buf)
        except (ValueError, TypeError) as exc:
            raise InvalidInput(f"the DataFrame cannot be stored as Parquet: {exc}") from exc
        return _put(blobs, buf.getbuffer())

    def load(self, ref: OutputRef, blobs: BlobStore, *, trust: bool) -> Any:
        import pandas as pd

        return pd.read_parquet(io.BytesIO(blobs.get_bytes(ref["digest"])))


class ArrowParquet(Materializer):
    name = "arrow"

    def handles(self, value: Any) -> bool:
        cls = _loaded("pyarrow", "Table")
        return cls is not None and isinstance(value, cls)

    def save(self, value: Any, blobs: BlobStore) -> OutputRef:
        import pyarrow.parquet as pq

        buf = io.BytesIO()
        pq.write_table(value, buf)
        return _put(blobs, buf.getbuffer())

    def load(self, ref: OutputRef, blobs: BlobStore, *, trust: bool) -> Any:
        import pyarrow.parquet as pq

        return pq.read_table(io.BytesIO(blobs.get_bytes(ref["digest"])))


class NumpyArray(Materializer):
    name = "numpy"

    def handles(self, value: Any) -> bool:
        cls = _loaded("numpy", "ndarray")
        return cls is not None and isinstance(value, cls)

    def save(self, value: Any, blobs: BlobStore) -> OutputRef:
        import numpy as np

        buf = io.BytesIO()
        try:
            np.save(buf, value, allow_pickle=False)
        except ValueError as exc:
            raise InvalidInput(f"the array (dtype {value.dtype}) cannot be stored without pickle: {exc}") from exc
        return _put(blobs, buf.getbuffer())

    def load(self, ref: OutputRef, blobs: BlobStore, *, trust: bool) -> Any:
        import numpy as np

        return np.load(io.BytesIO(blobs.get_bytes(ref["digest"])), allow_pickle=False)


class SklearnSkops(Materializer):
    name = "sklearn"

    def handles(self, value: Any) -> bool:
        cls = _loaded("sklearn.base", "BaseEstimator")
        return cls is not None and isinstance(value, cls)

    def save(self, value: Any, blobs: BlobStore) -> OutputRef:
        return _put(blobs, dump_estimator(value))

    def load(self, ref: OutputRef, blobs: BlobStore, *, trust: bool) -> Any:
        return load_estimator(blobs.get_bytes(ref["digest"]), trust=trust)


class LocalFile(Materializer):
    name = "file"

    def handles(self, value: Any) -> bool:
        return isinstance(value, Path)

    def save(self, value: Any, blobs: BlobStore) -> OutputRef:
        if not value.is_file():
            raise InvalidInput(f"the returned path {value} is not an existing file")
        ref = blobs.put_file(value)
        return {"digest": ref.digest, "size": ref.size, "filename": value.name}

    def load(self, ref: OutputRef, blobs: BlobStore, *, trust: bool) -> Any:
        """The file, under its original name, in a per-digest folder of this user's private temp folder; treat
        it as read-only. A copy left by an earlier load is reused only from that private folder."""
        dest = _private_files_dir() / ref["digest"] / str(ref.get("filename", "file"))
        if dest.is_symlink() or not dest.is_file() or dest.stat().st_size != ref["size"]:
            blobs.download(ref["digest"], dest)
        return dest


def _private_files_dir() -> Path:
    """``<tmp>/mlcycle-step-files-<uid>``, readable only by this user (never another user's planted folder)."""
    folder = Path(tempfile.gettempdir()) / f"mlcycle-step-files-{os.getuid()}"
    folder.mkdir(mode=0o700, exist_ok=True)
    info = folder.lstat()
    if folder.is_symlink() or info.st_uid != os.getuid() or info.st_mode & 0o077:
        raise PermissionDenied(
            f"{folder} is not a private folder of this user", hint="remove it; mlcycle recreates it safely"
        )
    return folder


class JsonValue(Materializer):
    name = "json"

    def handles(self, value: Any) -> bool:
        return json_problem(value) is None

    def save(self, value: Any, blobs: BlobStore) -> OutputRef:
        return _put(blobs, json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))

    def load(self, ref: OutputRef, blobs: BlobStore, *, trust: bool) -> Any:
        return json.loads(blobs.get_bytes(ref["digest"]))


_REGISTRY: list[Materializer] = []


def register_materializer(materializer: Materializer, *, first: bool = True) -> None:
    """Add a materializer; ``first`` (the default) makes it win over those already registered."""
    if any(m.name == materializer.name for m in _REGISTRY):
        raise InvalidInput(f"a materializer named {materializer.name!r} is already registered")
    _REGISTRY.insert(0, materializer) if first else _REGISTRY.append(materializer)


for _builtin in (PandasParquet(), ArrowParquet(), NumpyArray(), SklearnSkops(), LocalFile(), JsonValue()):
    register_materializer(_builtin, first=False)


def save_value(value: Any, blobs: BlobStore, *, step: str) -> OutputRef:
    """Store a step's output with the first materializer that handles it."""
    kind = f"{type(value).__module__}.{type(value).__qualname__}"
    for materializer in _REGISTRY:
        if materializer.handles(value):
            try:
                ref = materializer.save(value, blobs)
            except MlcycleError as exc:
                raise type(exc)(f"step {step!r}: {exc.message}", hint=exc.hint, details=exc.details) from exc
            return {**ref, "materializer": materializer.name, "type": kind}
    raise InvalidInput(
        f"step {step!r} returned a {kind}, which mlcycle does not know how to store",
        hint=(
            "return a pandas DataFrame, pyarrow Table, numpy array, scikit-learn estimator, pathlib.Path or a "
            "JSON-able value, or register a Materializer with mlcycle.pipelines.register_materializer"
        ),
        details={"step": step, "type": kind},
    )


def load_value(ref: OutputRef, blobs: BlobStore, *, trust: bool = False) -> Any:
    name = ref.get("materializer")
    for materializer in _REGISTRY:
        if materializer.name == name:
            return materializer.load(ref, blobs, trust=trust)
    raise NotFound(
        f"no materializer {name!r} is registered to load this output",
        hint="import the module that registers it before loading",
    )


__all__ = [
    "Materializer",
    "OutputRef",
    "load_value",
    "register_materializer",
    "save_value",
]
