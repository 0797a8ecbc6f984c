from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mlcycle import __version__

from .conftest import Invoke, Seeded

# pydantic is not listed: Typer itself imports it to convert parameters.
HEAVY = ("sqlalchemy", "alembic", "fastapi", "starlette", "uvicorn", "httpx", "pandas", "sklearn", "numpy", "yaml")
MLCYCLE_BIN = Path(sys.executable).with_name("mlcycle")


def test_help_lists_every_command(invoke: Invoke) -> None:
    result = invoke("--help")
    assert result.exit_code == 0
    for name in (
        "runs",
        "projects",
        "datasets",
        "pipelines",
        "scheduler",
        "tokens",
        "db",
        "events",
        "lifecycle",
        "lineage",
        "server",
        "demo",
    ):
        assert name in result.stdout


def test_no_arguments_prints_help(invoke: Invoke) -> None:
    result = invoke()
    assert "Usage" in result.output


def test_version(invoke: Invoke) -> None:
    result = invoke("--version")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"mlcycle {__version__}"


@pytest.mark.parametrize("args", [["--help"], ["runs", "--help"], ["runs", "list", "--help"], ["server", "--help"]])
def test_help_imports_stay_light(args: list[str]) -> None:
    """Building the app and printing help must not import the store, the server or the data stack."""
    code = (
        "import sys, json\n"
        "from mlcycle.cli.main import main\n"
        f"sys.argv = ['mlcycle', *{args!r}]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        f"heavy = sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r} or m == 'mlcycle.client.api')\n"
        "sys.stderr.write(json.dumps(heavy))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "Usage" in proc.stdout
    assert json.loads(proc.stderr) == []


def test_home_option_points_at_another_store(invoke: Invoke, tmp_path: Path) -> None:
    other = tmp_path / "elsewhere"
    result = invoke("--home", str(other), "db", "upgrade")
    assert result.exit_code == 0, result.output
    assert (other / "mlcycle.db").is_file()
    assert str(other) in result.stdout


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(MLCYCLE_BIN), *args], capture_output=True, text=True, env=dict(os.environ))


def test_entry_point_exit_codes(seeded: Seeded) -> None:
    ok = _run("runs", "list", seeded.project, "--json")
    assert ok.returncode == 0, ok.stderr
    assert {r["id"] for r in json.loads(ok.stdout)} == {seeded.baseline, seeded.smaller}

    missing = _run("runs", "show", "no-such-run")
    assert missing.returncode == 4
    assert missing.stdout == ""
    assert missing.stderr.splitlines() == [
        "error: no run 'no-such-run'",
        "hint: run `mlcycle runs list PROJECT` to see run ids",
    ]

    bad_filter = _run("runs", "list", seeded.project, "--filter", "metrics.auc >")
    assert bad_filter.returncode == 2
    assert bad_filter.stderr.startswith("error: invalid filter")
    assert "Traceback" not in bad_filter.stderr

    usage = _run("runs", "list")  # missing argument: a usage error
    assert usage.returncode == 2


def test_python_dash_m_runs_the_cli() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "mlcycle.cli.main", "--version"], capture_output=True, text=True, check=True
    )
    assert proc.stdout.strip() == f"mlcycle {__version__}"
