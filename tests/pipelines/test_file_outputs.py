from __future__ import annotations

from pathlib import Path

import mlcycle as mc


@mc.step
def two_files(folder: str) -> tuple[Path, Path]:
    a, b = Path(folder, "a"), Path(folder, "b")
    a.mkdir(exist_ok=True)
    b.mkdir(exist_ok=True)
    (a / "m.bin").write_bytes(b"first")
    (b / "m.bin").write_bytes(b"second")
    return a / "m.bin", b / "m.bin"


@mc.pipeline
def files(folder: str = ".") -> tuple[Path, Path]:
    return two_files(folder)


def test_two_files_with_one_name_are_both_kept(tmp_path: Path) -> None:
    prun = files.run(project="files", folder=str(tmp_path), progress=False)
    assert prun.status == "FINISHED"
    first, second = prun.output()
    assert (first.read_bytes(), second.read_bytes()) == (b"first", b"second")
    run = mc.connect().get_run(prun.run_id or "")
    paths = sorted(a.path for a in run.artifacts("pipeline/two_files"))
    assert len(paths) == 2 and all(p.endswith("/m.bin") for p in paths)
