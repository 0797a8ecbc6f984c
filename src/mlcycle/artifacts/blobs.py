"""Content-addressed blob storage over any fsspec filesystem.

A blob is stored once under its sha256 digest::

    <root>/blobs/sha256/<digest[:2]>/<digest[2:]>   finished blobs, never partially written
    <root>/tmp/<uuid4 hex>                          writes in progress (or left by a killed writer)

A writer streams into a temp file on the same filesystem while hashing, then moves it to the final path; when
that path already exists the temp file is dropped, so identical content is stored once. Every read checks the
sha256 of the bytes it returns and raises :class:`~mlcycle.core.errors.IntegrityError` on a mismatch.
"""

from __future__ import annotations

import hashlib
import os
import re
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from fsspec.core import url_to_fs
from fsspec.implementations.local import LocalFileSystem

from mlcycle.core.errors import IntegrityError, InvalidInput, NotFound

CHUNK_SIZE = 1 << 20
_DIGEST = re.compile(r"[0-9a-f]{64}")


class Readable(Protocol):
    """Anything with a binary ``read(size)``: an open file, ``io.BytesIO``, an HTTP response body."""

    def read(self, size: int, /) -> bytes: ...


@dataclass(frozen=True)
class BlobRef:
    """A stored blob: its hex sha256 digest and its size in bytes."""

    digest: str
    size: int


def check_digest(digest: object) -> str:
    """Return ``digest`` when it is 64 lowercase hex characters, else raise :class:`InvalidInput`."""
    if not isinstance(digest, str) or not _DIGEST.fullmatch(digest):
        raise InvalidInput(
            f"invalid blob digest {digest!r}",
            hint="a digest is the sha256 of the content as 64 lowercase hex characters",
        )
    return digest


def write_atomically(dest: str | os.PathLike[str], chunks: Iterable[bytes]) -> int:
    """Write ``chunks`` to a temp file beside ``dest``, fsync it, then rename it into place; returns the size.
    If anything fails (a chunk iterator that verifies and raises, say), ``dest`` is left as it was."""
    final = Path(dest)
    final.parent.mkdir(parents=True, exist_ok=True)
    temp = final.with_name(f".{final.name}.{uuid.uuid4().hex}.part")
    size = 0
    try:
        with open(temp, "wb") as out:
            for chunk in chunks:
                out.write(chunk)
                size += len(chunk)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, final)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return size


class BlobStore:
    """Blobs addressed by sha256 under ``url``: a local path (the default) or any fsspec URL (``s3://b/p``).

    ``storage_options`` go to the fsspec filesystem, e.g. ``{"client_kwargs": {"endpoint_url": ...}}`` for S3.
    """

    def __init__(self, url: str | os.PathLike[str], *, storage_options: dict[str, Any] | None = None) -> None:
        self.url = os.fspath(url)
        fs, root = url_to_fs(self.url, **(storage_options or {}))
        self.fs = fs
        self.root: str = root.rstrip("/")
        self.is_local = isinstance(fs, LocalFileSystem)

    def __repr__(self) -> str:
        return f"BlobStore({self.url!r})"

    # -- writing -------------------------------------------------------------------------------------------

    def put_stream(self, fileobj: Readable, *, chunk_size: int = CHUNK_SIZE) -> BlobRef:
        """Store everything ``fileobj.read`` returns, in chunks of ``chunk_size`` bytes."""
        if chunk_size <= 0:
            raise InvalidInput(f"chunk_size must be positive, got {chunk_size}")

        def copy(out: Any) -> BlobRef:
            hasher = hashlib.sha256()
            size = 0
            while chunk := fileobj.read(chunk_size):
                if not isinstance(chunk, bytes | bytearray):
                    raise InvalidInput(
                        f"put_stream read {type(chunk).__name__}, not bytes",
                        hint="open the file in binary mode ('rb')",
                    )
                hasher.update(chunk)
                size += len(chunk)
                out.write(chunk)
            return BlobRef(hasher.hexdigest(), size)

        return self._publish(copy)

    def put_bytes(self, data: bytes | bytearray | memoryview, *, durable: bool = True) -> BlobRef:
        """Store ``data``; nothing is written when a blob with the same content already exists.

        ``durable=False`` skips the fsync before the rename: still atomic against a killed process, but an OS
        crash may leave a blob that fails verification on read. Meant for content that can be recomputed.
        """
        if not isinstance(data, bytes | bytearray | memoryview):
            raise InvalidInput(f"put_bytes needs bytes, got {type(data).__name__}")
        view = memoryview(data)
        ref = BlobRef(hashlib.sha256(view).hexdigest(), view.nbytes)
        if self.exists(ref.digest):
            return ref

        def write(out: Any) -> BlobRef:
            out.write(view)
            return ref

        return self._publish(write, durable=durable)

    def _publish(self, write: Callable[[Any], BlobRef], *, durable: bool = True) -> BlobRef:
        """Write a temp file with ``write`` (which returns the content's ref), make it durable, then move it
        to its blob path; on any failure the temp file is removed and nothing is published."""
        temp = self._new_temp()
        try:
            with self.fs.open(temp, "wb") as out:
                ref = write(out)
                if self.is_local and durable:
                    out.flush()
                    os.fsync(out.fileno())
            self._commit(temp, ref.digest)
        except BaseException as exc:
            self._discard(temp)
            if isinstance(exc, FileNotFoundError) and not self.is_local:
                raise self._location_missing("write to", exc) from exc
            raise
        return ref

    def put_file(self, path: str | os.PathLike[str]) -> BlobRef:
        """Store the content of the local file at ``path``."""
        try:
            f = open(path, "rb")  # noqa: SIM115 - closed by the with block below
        except FileNotFoundError:
            raise NotFound(f"file {os.fspath(path)!r} does not exist", hint="check the path") from None
        except IsADirectoryError:
            raise InvalidInput(
                f"{os.fspath(path)!r} is a directory", hint="store the files inside it one by one"
            ) from None
        with f:
            return self.put_stream(f)

    # -- reading -------------------------------------------------------------------------------------------

    def exists(self, digest: str) -> bool:
        """Whether a blob with this digest is stored (its content is not checked)."""
        return self._exists(self._blob_path(digest))

    def size(self, digest: str) -> int:
        """The size in bytes of the stored blob."""
        path = self._blob_path(digest)
        self.fs.invalidate_cache(path)
        try:
            return int(self.fs.size(path))
        except FileNotFoundError:
            raise self._missing(digest) from None

    def get_bytes(self, digest: str) -> bytes:
        """The whole blob, checked against its digest."""
        path = self._blob_path(digest)
        self.fs.invalidate_cache(path)
        try:
            data: bytes = self.fs.cat_file(path)
        except FileNotFoundError:
            raise self._missing(digest) from None
        actual = hashlib.sha256(data).hexdigest()
        if actual != digest:
            raise self._corrupt(digest, actual)
        return data

    def open_verified(self, digest: str, *, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
        """Chunks of the blob; after the last chunk, raises :class:`IntegrityError` if the content is corrupt.

        A missing blob raises :class:`NotFound` here, before any chunk is produced, so a server can still
        answer 404 instead of a broken stream.
        """
        if chunk_size <= 0:
            raise InvalidInput(f"chunk_size must be positive, got {chunk_size}")
        path = self._blob_path(digest)
        if not self._exists(path):
            raise self._missing(digest)
        return self._verified_chunks(digest, path, chunk_size)

    def download(self, digest: str, dest_path: str | os.PathLike[str]) -> BlobRef:
        """Write the blob to the local ``dest_path``, atomically: a verified copy or nothing replaces it."""
        size = write_atomically(dest_path, self.open_verified(digest))
        return BlobRef(digest, size)

    def local_path(self, digest: str) -> Path | None:
        """The file holding the blob when the store is on local disk (treat it as read-only), else None."""
        path = self._blob_path(digest)
        if not self.is_local:
            return None
        if not self._exists(path):
            raise self._missing(digest)
        return Path(path)

    def iter_digests(self) -> Iterator[str]:
        """The digests of all stored blobs, in no particular order."""
        base = f"{self.root}/blobs/sha256"
        for path in self._find(base):
            shard, rest = path.rstrip("/").split("/")[-2:]
            if _DIGEST.fullmatch(shard + rest):
                yield shard + rest

    # -- housekeeping --------------------------------------------------------------------------------------

    def gc_temp(self, older_than_seconds: float = 3600) -> int:
        """Remove temp files not modified for ``older_than_seconds`` (left by killed writers); return the count.

        A temp file younger than that may belong to a write in progress, so keep the default unless no
        writer can be running.
        """
        if older_than_seconds < 0:
            raise InvalidInput(f"older_than_seconds must not be negative, got {older_than_seconds}")
        cutoff = time.time() - older_than_seconds
        removed = 0
        for path in self._find(f"{self.root}/tmp"):
            try:
                modified = self.fs.modified(path).timestamp()
            except (FileNotFoundError, NotImplementedError):
                continue
            if modified <= cutoff and self._discard(path):
                removed += 1
        return removed

    # -- internals -----------------------------------------------------------------------------------------

    def _blob_path(self, digest: str) -> str:
        check_digest(digest)
        return f"{self.root}/blobs/sha256/{digest[:2]}/{digest[2:]}"

    def _new_temp(self) -> str:
        temp_dir = f"{self.root}/tmp"
        if self.is_local:
            os.makedirs(temp_dir, exist_ok=True)
        return f"{temp_dir}/{uuid.uuid4().hex}"

    def _exists(self, path: str) -> bool:
        self.fs.invalidate_cache(path)
        return bool(self.fs.exists(path))

    def _find(self, base: str) -> list[str]:
        """All files under ``base``; none when it does not exist yet, NotFound when the bucket is missing."""
        self.fs.invalidate_cache(base)
        try:
            found: list[str] = self.fs.find(base)
        except FileNotFoundError as exc:
            raise self._location_missing("list", exc) from exc
        return found

    def _commit(self, temp: str, digest: str) -> None:
        """Move a finished temp file to its blob path, or drop it when the blob is already stored."""
        final = self._blob_path(digest)
        if self._exists(final):
            self._discard(temp)
            return
        if self.is_local:
            # os.replace is an atomic rename; shutil.move (fs.mv) could fall back to a non-atomic copy.
            os.makedirs(os.path.dirname(final), exist_ok=True)
            os.replace(temp, final)
        else:
            # Object stores publish an object whole, so a server-side copy never shows a partial blob.
            self.fs.mv(temp, final)
            self.fs.invalidate_cache(final)

    def _discard(self, path: str) -> bool:
        try:
            self.fs.rm_file(path)
        except FileNotFoundError:
            return False
        finally:
            self.fs.invalidate_cache(path)
        return True

    def _verified_chunks(self, digest: str, path: str, chunk_size: int) -> Iterator[bytes]:
        hasher = hashlib.sha256()
        try:
            f = self.fs.open(path, "rb")
        except FileNotFoundError:
            raise self._missing(digest) from None
        with f:
            while chunk := f.read(chunk_size):
                hasher.update(chunk)
                yield chunk
        actual = hasher.hexdigest()
        if actual != digest:
            raise self._corrupt(digest, actual)

    def _missing(self, digest: str) -> NotFound:
        return NotFound(
            f"blob {digest} not found in {self.url}",
            hint="check the digest and that this is the artifact store it was written to",
            details={"digest": digest},
        )

    def _location_missing(self, action: str, exc: OSError) -> NotFound:
        return NotFound(
            f"cannot {action} the artifact store {self.url}: {exc}",
            hint="check that the bucket or directory exists and that these credentials may use it",
        )

    def _corrupt(self, digest: str, actual: str) -> IntegrityError:
        return IntegrityError(
            f"blob {digest} is corrupt: its stored content has sha256 {actual}",
            hint=f"delete {self._blob_path(digest)} and store the original content again",
            details={"digest": digest, "actual": actual},
        )


__all__ = ["CHUNK_SIZE", "BlobRef", "BlobStore", "Readable", "check_digest"]
