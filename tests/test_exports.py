"""The public API is explicit: this test pins the exported names and keeps `import mlcycle` light."""

from __future__ import annotations

import subprocess
import sys

import mlcycle

EXPECTED = {
    "AlreadyExists",
    "Client",
    "Conflict",
    "IntegrityError",
    "InvalidInput",
    "MlcycleError",
    "NotFound",
    "PayloadTooLarge",
    "PermissionDenied",
    "Project",
    "Run",
    "Unauthenticated",
    "ValidationFailed",
    "__version__",
    "active_run",
    "connect",
    "data",
    "pipeline",
    "sklearn",
    "step",
}


def test_exported_members() -> None:
    assert set(mlcycle.__all__) == EXPECTED
    assert mlcycle.__all__ == sorted(mlcycle.__all__)
    for name in mlcycle.__all__:
        assert getattr(mlcycle, name) is not None


def test_import_is_light() -> None:
    code = (
        "import sys, mlcycle; heavy = [m for m in ('sqlalchemy', 'pandas', 'sklearn', 'fastapi', 'numpy', 'pydantic')"
        " if m in sys.modules]; print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == ""
