"""Saving and loading scikit-learn estimators safely, with skops (never pickle).

Loading trusts skops's own default types, plus scikit-learn *classes* (such as the ``Tree`` inside a forest),
which skops asks about because they are not estimators. Anything else (a function, or a type from another
module) needs an explicit ``trust=True``: a skops file can name any callable, and loading calls it.
"""

from __future__ import annotations

import importlib
from typing import Any

from mlcycle.core.errors import MissingDependency, PermissionDenied


def dump_estimator(estimator: Any) -> bytes:
    sio = _skops()
    data: bytes = sio.dumps(estimator)
    return data


def load_estimator(data: bytes, *, trust: bool = False) -> Any:
    """Load an estimator; types beyond skops's defaults and scikit-learn classes need ``trust=True``."""
    sio = _skops()
    untrusted = list(sio.get_untrusted_types(data=data))
    unknown = sorted(t for t in untrusted if not _is_sklearn_class(t))
    if unknown and not trust:
        raise PermissionDenied(
            f"the model file names types that are not trusted by default: {', '.join(unknown)}",
            hint="load it with trust=True only if you trust where it came from",
            details={"types": unknown},
        )
    return sio.loads(data, trusted=untrusted)


def _is_sklearn_class(name: str) -> bool:
    """A class defined in scikit-learn (calling it builds an object); never a function or another module's."""
    module, _, attr = name.rpartition(".")
    if not (module == "sklearn" or module.startswith("sklearn.")) or not attr.isidentifier():
        return False
    try:
        obj = getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError):
        return False
    return isinstance(obj, type) and (obj.__module__ or "").startswith("sklearn")


def _skops() -> Any:
    try:
        import skops.io as sio
    except ImportError as exc:  # pragma: no cover - skops is a core dependency
        raise MissingDependency("skops is needed to save scikit-learn models", hint="pip install skops") from exc
    return sio
