"""mlcycle: the whole machine-learning lifecycle, for classical models and LLM apps, in one tool.

    import mlcycle as mc
    client = mc.connect()
    project = client.project("churn", kind="ml")
    with project.start_run(name="baseline") as run:
        run.log_params({"C": 1.0})
        run.log_metrics({"auc": 0.91})

Names are imported lazily so that ``import mlcycle`` stays fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0.dev0"

# public name -> module that defines it
_EXPORTS: dict[str, str] = {
    "AlreadyExists": "mlcycle.core.errors",
    "Client": "mlcycle.client.api",
    "Conflict": "mlcycle.core.errors",
    "IntegrityError": "mlcycle.core.errors",
    "InvalidInput": "mlcycle.core.errors",
    "MlcycleError": "mlcycle.core.errors",
    "NotFound": "mlcycle.core.errors",
    "PayloadTooLarge": "mlcycle.core.errors",
    "PermissionDenied": "mlcycle.core.errors",
    "Project": "mlcycle.client.api",
    "Run": "mlcycle.client.api",
    "Unauthenticated": "mlcycle.core.errors",
    "ValidationFailed": "mlcycle.core.errors",
    "active_run": "mlcycle.client.api",
    "connect": "mlcycle.client.api",
    "pipeline": "mlcycle.pipelines",
    "step": "mlcycle.pipelines",
}
_SUBMODULES = {"data": "mlcycle.data", "sklearn": "mlcycle.client.sklearn"}

__all__ = sorted([*_EXPORTS, *_SUBMODULES, "__version__"])

if TYPE_CHECKING:  # the same names, visible to type checkers ("X as X" marks them as re-exported)
    from mlcycle import data as data
    from mlcycle.client import sklearn as sklearn
    from mlcycle.client.api import Client as Client
    from mlcycle.client.api import Project as Project
    from mlcycle.client.api import Run as Run
    from mlcycle.client.api import active_run as active_run
    from mlcycle.client.api import connect as connect
    from mlcycle.core.errors import AlreadyExists as AlreadyExists
    from mlcycle.core.errors import Conflict as Conflict
    from mlcycle.core.errors import IntegrityError as IntegrityError
    from mlcycle.core.errors import InvalidInput as InvalidInput
    from mlcycle.core.errors import MlcycleError as MlcycleError
    from mlcycle.core.errors import NotFound as NotFound
    from mlcycle.core.errors import PayloadTooLarge as PayloadTooLarge
    from mlcycle.core.errors import PermissionDenied as PermissionDenied
    from mlcycle.core.errors import Unauthenticated as Unauthenticated
    from mlcycle.core.errors import ValidationFailed as ValidationFailed
    from mlcycle.pipelines import pipeline as pipeline
    from mlcycle.pipelines import step as step


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
    elif name in _SUBMODULES:
        value = importlib.import_module(_SUBMODULES[name])
    else:
        raise AttributeError(f"module 'mlcycle' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
