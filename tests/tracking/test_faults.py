"""Faults: killed writers and concurrent writers never lose or half-commit data."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import mlcycle as mc
from mlcycle.artifacts import BlobStore

BATCH = 500

WRITER = textwrap.dedent(
    """
    import sys, os
    import mlcycle as mc
    client = mc.connect(home=sys.argv[1])
    project = client.project("faults")
    run = project.start_run(name=sys.argv[2])
    print(run.id, flush=True)
    i = 0
    while True:
        run.log_metric_series("m", values=[float(i)] * {batch}, steps=range(i * {batch}, (i + 1) * {batch}))
        run.log_bytes(f"blob-{{i}}.bin", os.urandom(256 * 1024))
        i += 1
        if i == 3:
            print("ready", flush=True)
    """
).format(batch=BATCH)


def _start_writer(home: Path, name: str) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(home), name], stdout=subprocess.PIPE, text=True, env=os.environ.copy()
    )
    assert proc.stdout is not None
    run_id = proc.stdout.readline().strip()
    assert proc.stdout.readline().strip() == "ready"
    return proc, run_id


def test_killed_writer_leaves_no_partial_artifact_or_batch(tmp_path: Path) -> None:
    home = tmp_path / "home"
    proc, run_id = _start_writer(home, "victim")
    time.sleep(0.3)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.stdout is not None
    proc.stdout.close()

    client = mc.connect(home=home)
    run = client.get_run(run_id)
    assert run.status == "RUNNING"  # it never ended; nothing pretends otherwise
    history = run.metrics_history("m")
    assert len(history) % BATCH == 0  # every batch is all in or all out
    blobs = BlobStore(str(home / "artifacts"))
    for art in run.artifacts():
        assert blobs.exists(art.digest)
        assert len(run.read_artifact(art.path)) == art.size  # verified against its sha256 on read
    for digest in blobs.iter_digests():
        blobs.get_bytes(digest)  # no blob at a final path fails verification
    # the store is fully usable afterwards
    with client.project("faults").start_run(name="after") as again:
        again.log_metric("ok", 1.0)
    assert client.get_run(again.id).status == "FINISHED"


def test_two_processes_log_to_the_same_sqlite_store(tmp_path: Path) -> None:
    home = tmp_path / "home"
    code = textwrap.dedent(
        """
        import sys
        import mlcycle as mc
        project = mc.connect(home=sys.argv[1]).project("shared")
        with project.start_run(name=sys.argv[2]) as run:
            for step in range(200):
                run.log_metrics({"a": step, "b": -step}, step=step)
            run.log_params({"who": sys.argv[2]})
        print(run.id)
        """
    )
    mc.connect(home=home).project("shared")  # create schema first so both writers start together
    procs = [
        subprocess.Popen([sys.executable, "-c", code, str(home), f"w{i}"], stdout=subprocess.PIPE, text=True)
        for i in range(2)
    ]
    ids = []
    for p in procs:
        out, _ = p.communicate(timeout=120)
        assert p.returncode == 0
        ids.append(out.strip())
    client = mc.connect(home=home)
    for i, run_id in enumerate(ids):
        run = client.get_run(run_id)
        assert run.status == "FINISHED"
        assert run.params == {"who": f"w{i}"}
        assert len(run.metrics_history("a")) == 200
        assert run.metrics == {"a": 199.0, "b": -199.0}


@pytest.mark.parametrize("name", ["../escape.txt", "/etc/passwd", "a/../../b", "nul\x00byte"])
def test_path_traversal_artifact_names_are_rejected(name: str) -> None:
    run = mc.connect().project("p").start_run()
    with pytest.raises(mc.InvalidInput):
        run.log_bytes(name, b"x")
