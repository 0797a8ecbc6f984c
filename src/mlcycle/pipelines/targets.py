"""Finding a pipeline again from what was stored, for ``mlcycle pipelines resume`` and triggers.

A pipeline is stored with its target:

    module:qualname              defined at module level of an importable module (``myproject.flows:training``)
    /abs/path/script.py:qualname defined in a script run as ``__main__``; the file is loaded again as a module,
                                 so code under ``if __name__ == "__main__":`` does not run (put the ``.run()`` call
                                 there)
    ""                           defined inside a function: it cannot be found again

Modules are imported with the current directory on ``sys.path``, as ``python -m`` would.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import inspect
import os
import sys
from typing import TYPE_CHECKING, Any

from mlcycle.core.errors import InvalidInput, NotFound

if TYPE_CHECKING:
    from mlcycle.pipelines.decorators import Pipeline


def target_of(func: Any) -> str:
    qualname: str = func.__qualname__
    if "<locals>" in qualname:
        return ""
    module: str = func.__module__
    if module == "__main__" or module not in sys.modules or module.startswith("mlcycle_script_"):
        path = inspect.getsourcefile(func)
        return f"{os.path.abspath(path)}:{qualname}" if path else ""
    return f"{module}:{qualname}"


def load_pipeline(target: str) -> Pipeline[...]:
    """Import the pipeline a target names."""
    from mlcycle.pipelines.decorators import Pipeline

    if not target:
        raise InvalidInput(
            "this pipeline was defined inside a function, so it cannot be imported again",
            hint="define pipelines at module level to resume or schedule them",
        )
    location, _, qualname = target.rpartition(":")
    module = _load_script(location) if location.endswith(".py") else _import(location)
    obj: Any = module
    for part in qualname.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            raise NotFound(f"{location} has no {qualname!r}", hint="was the pipeline renamed or moved?")
    if not isinstance(obj, Pipeline):
        raise InvalidInput(f"{target} is a {type(obj).__name__}, not a pipeline")
    return obj


def _import(module: str) -> Any:
    cwd = os.getcwd()
    if cwd not in sys.path:
        sys.path.insert(0, cwd)
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise NotFound(
            f"cannot import module {module!r} of the pipeline: {exc}",
            hint="run the command from the project folder, or add it to PYTHONPATH",
        ) from exc


def _load_script(path: str) -> Any:
    name = "mlcycle_script_" + hashlib.sha256(path.encode("utf-8")).hexdigest()[:16]
    if name in sys.modules:
        return sys.modules[name]
    if not os.path.isfile(path):
        raise NotFound(f"the pipeline's script {path} no longer exists")
    folder = os.path.dirname(path)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:  # pragma: no cover - a .py path always has a loader
        raise InvalidInput(f"cannot load {path} as a module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


__all__ = ["load_pipeline", "target_of"]
