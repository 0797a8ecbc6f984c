from __future__ import annotations

import hashlib
import io
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlcycle.artifacts import BlobRef, BlobStore
from mlcycle.core.errors import IntegrityError, InvalidInput, NotFound


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def files_under(path: Path) -> list[Path]:
    return sorted(p for p in path.rglob("*") if p.is_file()) if path.exists() else []


def corrupt(store: BlobStore, digest: str, data: bytes = b"not what was stored") -> None:
    path = store.local_path(digest)
    assert path is not None
    path.write_bytes(data)


@pytest.fixture
def store(tmp_path: Path) -> BlobStore:
    return BlobStore(str(tmp_path / "artifacts"))


class FailingReader:
    """Returns ``chunks`` good chunks, then raises, like a dropped upload."""

    def __init__(self, chunks: int) -> None:
        self.left = chunks

    def read(self, size: int, /) -> bytes:
        if self.left == 0:
            raise ConnectionError("client went away")
        self.left -= 1
        return b"z" * size


def test_put_bytes_round_trip_and_layout(store: BlobStore, tmp_path: Path) -> None:
    data = b"hello artifacts"
    ref = store.put_bytes(data)
    assert ref == BlobRef(sha(data), len(data))
    path = tmp_path / "artifacts" / "blobs" / "sha256" / ref.digest[:2] / ref.digest[2:]
    assert path.read_bytes() == data
    assert store.exists(ref.digest)
    assert store.size(ref.digest) == len(data)
    assert store.get_bytes(ref.digest) == data
    assert store.local_path(ref.digest) == path


def test_put_stream_put_file_and_put_bytes_agree(store: BlobStore, tmp_path: Path) -> None:
    data = os.urandom(100_000)
    source = tmp_path / "source.bin"
    source.write_bytes(data)
    refs = {
        store.put_bytes(data),
        store.put_file(source),
        store.put_stream(io.BytesIO(data), chunk_size=7),
        store.put_stream(io.BytesIO(data)),
    }
    assert refs == {BlobRef(sha(data), len(data))}


def test_identical_content_is_stored_once(store: BlobStore, tmp_path: Path) -> None:
    root = tmp_path / "artifacts"
    first = store.put_bytes(b"same")
    second = store.put_bytes(b"same")
    third = store.put_stream(io.BytesIO(b"same"), chunk_size=2)
    other = store.put_bytes(b"different")
    assert first == second == third != other
    assert len(files_under(root / "blobs")) == 2
    assert files_under(root / "tmp") == []


def test_concurrent_writers_of_the_same_content(store: BlobStore, tmp_path: Path) -> None:
    data = os.urandom(300_000)
    with ThreadPoolExecutor(max_workers=8) as pool:
        refs = set(pool.map(lambda _: store.put_stream(io.BytesIO(data), chunk_size=4096), range(16)))
    assert refs == {BlobRef(sha(data), len(data))}
    assert len(files_under(tmp_path / "artifacts" / "blobs")) == 1
    assert files_under(tmp_path / "artifacts" / "tmp") == []


def test_empty_blob(store: BlobStore) -> None:
    ref = store.put_bytes(b"")
    assert ref == BlobRef(sha(b""), 0)
    assert store.get_bytes(ref.digest) == b""
    assert list(store.open_verified(ref.digest)) == []


def test_get_bytes_detects_corruption(store: BlobStore) -> None:
    ref = store.put_bytes(b"precious weights")
    corrupt(store, ref.digest)
    with pytest.raises(IntegrityError) as info:
        store.get_bytes(ref.digest)
    assert ref.digest in info.value.message
    assert "corrupt" in info.value.message
    assert info.value.hint


def test_corrupt_blob_can_be_repaired_by_following_the_hint(store: BlobStore) -> None:
    ref = store.put_bytes(b"precious weights")
    corrupt(store, ref.digest)
    path = store.local_path(ref.digest)
    assert path is not None
    with pytest.raises(IntegrityError) as info:
        store.get_bytes(ref.digest)
    assert str(path) in str(info.value.hint)
    path.unlink()
    assert store.put_bytes(b"precious weights") == ref
    assert store.get_bytes(ref.digest) == b"precious weights"


def test_open_verified_streams_chunks(store: BlobStore) -> None:
    data = os.urandom(10_000)
    ref = store.put_bytes(data)
    chunks = list(store.open_verified(ref.digest, chunk_size=1000))
    assert len(chunks) == 10
    assert b"".join(chunks) == data


def test_open_verified_raises_after_the_last_chunk(store: BlobStore) -> None:
    ref = store.put_bytes(b"a" * 5000)
    corrupt(store, ref.digest, b"b" * 5000)
    seen: list[bytes] = []
    with pytest.raises(IntegrityError, match="corrupt"):
        for chunk in store.open_verified(ref.digest, chunk_size=1000):
            seen.append(chunk)
    assert b"".join(seen) == b"b" * 5000


def test_missing_blob_is_not_found(store: BlobStore, tmp_path: Path) -> None:
    digest = sha(b"never stored")
    assert not store.exists(digest)
    for call in (
        lambda: store.get_bytes(digest),
        lambda: store.size(digest),
        lambda: store.open_verified(digest),
        lambda: store.local_path(digest),
        lambda: store.download(digest, tmp_path / "out.bin"),
    ):
        with pytest.raises(NotFound) as info:
            call()
        assert digest in info.value.message
        assert info.value.hint
    assert not (tmp_path / "out.bin").exists()


@pytest.mark.parametrize(
    "digest",
    ["", "abc", "A" * 64, "g" * 64, "a" * 63, "a" * 65, "a" * 64 + "\n", "../" + "a" * 61],
)
def test_invalid_digest_is_rejected(store: BlobStore, digest: str) -> None:
    for call in (store.exists, store.get_bytes, store.size, store.open_verified, store.local_path):
        with pytest.raises(InvalidInput, match="invalid blob digest"):
            call(digest)


def test_download_writes_a_verified_copy(store: BlobStore, tmp_path: Path) -> None:
    data = os.urandom(50_000)
    ref = store.put_bytes(data)
    dest = tmp_path / "out" / "nested" / "model.bin"
    assert store.download(ref.digest, dest) == ref
    assert dest.read_bytes() == data
    assert [p.name for p in dest.parent.iterdir()] == ["model.bin"]


def test_download_of_a_corrupt_blob_leaves_dest_untouched(store: BlobStore, tmp_path: Path) -> None:
    ref = store.put_bytes(b"x" * 3_000_000)
    corrupt(store, ref.digest, b"y" * 3_000_000)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    dest = out_dir / "model.bin"
    dest.write_bytes(b"previous version")
    with pytest.raises(IntegrityError):
        store.download(ref.digest, dest)
    assert dest.read_bytes() == b"previous version"
    assert [p.name for p in out_dir.iterdir()] == ["model.bin"]


def test_failed_stream_leaves_no_trace(store: BlobStore, tmp_path: Path) -> None:
    with pytest.raises(ConnectionError):
        store.put_stream(FailingReader(chunks=3), chunk_size=1024)
    assert files_under(tmp_path / "artifacts" / "tmp") == []
    assert files_under(tmp_path / "artifacts" / "blobs") == []


def test_text_stream_is_rejected(store: BlobStore, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="binary mode"):
        store.put_stream(io.StringIO("text"))  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="chunk_size"):
        store.put_stream(io.BytesIO(b"x"), chunk_size=0)
    with pytest.raises(InvalidInput, match="needs bytes"):
        store.put_bytes("text")  # type: ignore[arg-type]
    assert files_under(tmp_path / "artifacts" / "tmp") == []


def test_put_file_errors(store: BlobStore, tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="does not exist"):
        store.put_file(tmp_path / "missing.bin")
    with pytest.raises(InvalidInput, match="is a directory"):
        store.put_file(tmp_path)


def test_gc_temp_removes_only_stale_files(store: BlobStore, tmp_path: Path) -> None:
    temp_dir = tmp_path / "artifacts" / "tmp"
    temp_dir.mkdir(parents=True)
    stale, fresh = temp_dir / "stale", temp_dir / "fresh"
    stale.write_bytes(b"left by a killed writer")
    fresh.write_bytes(b"a write in progress")
    two_hours_ago = time.time() - 7200
    os.utime(stale, (two_hours_ago, two_hours_ago))
    assert store.gc_temp() == 1
    assert not stale.exists() and fresh.exists()
    assert store.gc_temp(0) == 1
    assert store.gc_temp(0) == 0
    with pytest.raises(InvalidInput):
        store.gc_temp(-1)


def test_gc_temp_on_a_new_store(store: BlobStore) -> None:
    assert store.gc_temp(0) == 0
    assert list(store.iter_digests()) == []


def test_iter_digests(store: BlobStore) -> None:
    refs = {store.put_bytes(bytes([i]) * i) for i in range(5)}
    assert set(store.iter_digests()) == {ref.digest for ref in refs}


def test_store_accepts_file_urls_and_paths(tmp_path: Path) -> None:
    ref = BlobStore(f"file://{tmp_path}/a").put_bytes(b"data")
    assert BlobStore(tmp_path / "a").get_bytes(ref.digest) == b"data"
    assert BlobStore(tmp_path / "a").is_local
    assert repr(BlobStore(str(tmp_path))) == f"BlobStore({str(tmp_path)!r})"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=5000), chunk_size=st.integers(min_value=1, max_value=700))
def test_round_trip_of_arbitrary_content(store: BlobStore, data: bytes, chunk_size: int) -> None:
    # One store serves every example on purpose: repeated content must dedupe, not fail.
    ref = store.put_stream(io.BytesIO(data), chunk_size=chunk_size)
    assert ref == BlobRef(sha(data), len(data))
    assert store.put_bytes(data) == ref
    assert store.get_bytes(ref.digest) == data
    assert b"".join(store.open_verified(ref.digest, chunk_size=chunk_size)) == data


# -- a writer killed mid-write -----------------------------------------------------------------------------

KILL_CHUNK = 64 * 1024
KILL_CHUNKS = 400

SLOW_WRITER = f"""
import sys, time
from mlcycle.artifacts import BlobStore

class SlowReader:
    def __init__(self):
        self.sent = 0

    def read(self, size, /):
        if self.sent == {KILL_CHUNKS}:
            return b""
        if self.sent >= 4:
            time.sleep(0.05)
        self.sent += 1
        return b"k" * {KILL_CHUNK}

BlobStore(sys.argv[1]).put_stream(SlowReader(), chunk_size={KILL_CHUNK})
"""


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_writer_killed_mid_write_leaves_no_blob(store: BlobStore, tmp_path: Path) -> None:
    import mlcycle

    root = tmp_path / "artifacts"
    kept = [store.put_bytes(b"stored before the crash"), store.put_bytes(os.urandom(200_000))]
    content = b"k" * (KILL_CHUNK * KILL_CHUNKS)
    src_dir = str(Path(mlcycle.__file__).parent.parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([src_dir, os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen([sys.executable, "-c", SLOW_WRITER, str(root)], env=env)
    try:
        deadline = time.monotonic() + 60
        while not any(p.stat().st_size >= 4 * KILL_CHUNK for p in files_under(root / "tmp")):
            assert proc.poll() is None, "the writer ended before it could be killed"
            assert time.monotonic() < deadline, "the writer never started writing"
            time.sleep(0.01)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    digest = sha(content)
    assert not store.exists(digest)
    assert not (root / "blobs" / "sha256" / digest[:2] / digest[2:]).exists()
    assert sorted(store.iter_digests()) == sorted(ref.digest for ref in kept)
    for ref in kept:
        assert store.get_bytes(ref.digest)
    assert len(files_under(root / "blobs")) == len(kept)

    leftovers = files_under(root / "tmp")
    assert len(leftovers) == 1
    assert store.gc_temp() == 0  # too young to be called stale
    assert store.gc_temp(0) == 1
    assert files_under(root / "tmp") == []
    assert store.put_bytes(content) == BlobRef(digest, len(content))


# -- S3 through moto's server ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[BlobStore, Any, str]]:
    """A store at ``s3://<fresh bucket>/prefix``, a boto3 client and the bucket name."""
    import boto3  # type: ignore[import-untyped]

    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    bucket = f"mlcycle-{uuid.uuid4().hex[:12]}"
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    client.create_bucket(Bucket=bucket)
    options = {"client_kwargs": {"endpoint_url": s3_endpoint}, "skip_instance_cache": True}
    yield BlobStore(f"s3://{bucket}/prefix", storage_options=options), client, bucket
    client.close()


def s3_keys(client: Any, bucket: str, prefix: str) -> list[str]:
    listing = client.list_objects_v2(Bucket=bucket, Prefix=prefix)
    return sorted(obj["Key"] for obj in listing.get("Contents", []))


def test_s3_round_trip_and_dedup(s3: tuple[BlobStore, Any, str], tmp_path: Path) -> None:
    store, client, bucket = s3
    data = os.urandom(3 * 1024 * 1024)
    ref = store.put_stream(io.BytesIO(data), chunk_size=256 * 1024)
    assert ref == BlobRef(sha(data), len(data))
    assert store.put_bytes(data) == ref
    assert store.put_stream(io.BytesIO(data)) == ref
    small = store.put_bytes(b"small")
    assert not store.is_local and store.local_path(ref.digest) is None

    assert s3_keys(client, bucket, "prefix/") == sorted(
        f"prefix/blobs/sha256/{r.digest[:2]}/{r.digest[2:]}" for r in (ref, small)
    )
    assert store.exists(ref.digest) and store.size(ref.digest) == len(data)
    assert store.get_bytes(ref.digest) == data
    assert b"".join(store.open_verified(ref.digest)) == data
    assert store.download(small.digest, tmp_path / "small.bin") == small
    assert (tmp_path / "small.bin").read_bytes() == b"small"
    assert set(store.iter_digests()) == {ref.digest, small.digest}


def test_s3_verifies_on_read(s3: tuple[BlobStore, Any, str], tmp_path: Path) -> None:
    store, client, bucket = s3
    ref = store.put_bytes(b"model weights")
    key = f"prefix/blobs/sha256/{ref.digest[:2]}/{ref.digest[2:]}"
    client.put_object(Bucket=bucket, Key=key, Body=b"tampered")
    with pytest.raises(IntegrityError, match="corrupt"):
        store.get_bytes(ref.digest)
    with pytest.raises(IntegrityError):
        list(store.open_verified(ref.digest))
    with pytest.raises(IntegrityError):
        store.download(ref.digest, tmp_path / "model.bin")
    assert not (tmp_path / "model.bin").exists()
    with pytest.raises(NotFound):
        store.get_bytes(sha(b"missing"))


def test_s3_failed_stream_and_gc_temp(s3: tuple[BlobStore, Any, str]) -> None:
    store, client, bucket = s3
    with pytest.raises(ConnectionError):
        store.put_stream(FailingReader(chunks=2), chunk_size=1024)
    assert s3_keys(client, bucket, "prefix/") == []
    client.put_object(Bucket=bucket, Key="prefix/tmp/" + uuid.uuid4().hex, Body=b"left by a killed writer")
    assert store.gc_temp() == 0
    assert store.gc_temp(0) == 1
    assert s3_keys(client, bucket, "prefix/") == []


def test_s3_missing_bucket_is_not_found(s3: tuple[BlobStore, Any, str], s3_endpoint: str) -> None:
    options = {"client_kwargs": {"endpoint_url": s3_endpoint}, "skip_instance_cache": True}
    store = BlobStore(f"s3://mlcycle-missing-{uuid.uuid4().hex[:8]}/prefix", storage_options=options)
    assert not store.exists(sha(b"x"))
    for call in (lambda: store.put_bytes(b"x"), store.gc_temp, lambda: list(store.iter_digests())):
        with pytest.raises(NotFound, match=r"cannot .* the artifact store s3://mlcycle-missing-") as info:
            call()
        assert "bucket" in str(info.value.hint)
