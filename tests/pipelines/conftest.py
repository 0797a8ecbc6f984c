"""Fixtures for pipeline tests: a service on the test's embedded store, and modules written to disk."""

from __future__ import annotations

import importlib
import sys
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from mlcycle.core.config import load_settings
from mlcycle.pipelines import PipelineService


@pytest.fixture
def service() -> PipelineService:
    """The service ``pipeline.run()`` uses by default (MLCYCLE_HOME is the test's own folder)."""
    return PipelineService.from_settings(load_settings())


class ModuleWriter:
    """Writes source to modules with names unique to the test and imports them; writing a module again
    re-imports the new code, as an edit between two runs would. ``{name}`` in source is the real name of module
    ``name``, for imports between them."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.prefix = f"pipemod_{uuid.uuid4().hex[:10]}"

    def modname(self, name: str) -> str:
        return f"{self.prefix}_{name}"

    def __call__(self, source: str, name: str = "main") -> ModuleType:
        full = self.modname(name)
        text = textwrap.dedent(source).replace("{prefix}", self.prefix)
        (self.folder / f"{full}.py").write_text(text, encoding="utf-8")
        importlib.invalidate_caches()
        if full in sys.modules:
            return importlib.reload(sys.modules[full])
        return importlib.import_module(full)

    def forget(self) -> None:
        for key in [k for k in sys.modules if k.startswith(self.prefix)]:
            del sys.modules[key]


WriteModule = ModuleWriter


@pytest.fixture
def write_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleWriter]:
    folder = tmp_path / "modules"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    writer = ModuleWriter(folder)
    yield writer
    writer.forget()
