"""Saving and loading scikit-learn estimators safely, with skops (never pickle).

Loading trusts only types from scikit-learn, NumPy and SciPy (and Python builtins); anything else needs an
explicit ``trust=True`` from the caller.
"""

from __future__ import annotations

from typing import Any

from mlcycle.core.errors import MissingDependency, PermissionDenied

TRUSTED_PREFIXES = ("sklearn.", "numpy.", "scipy.", "builtins.", "collections.")


def dump_estimator(estimator: Any) -> bytes:
    sio = _skops()
    data: bytes = sio.dumps(estimator)
    return data


def load_estimator(data: bytes, *, trust: bool = False) -> Any:
    """Load an estimator; types outside scikit-learn/NumPy/SciPy need ``trust=True``."""
    sio = _skops()
    untrusted = list(sio.get_untrusted_types(data=data))
    unknown = [t for t in untrusted if not t.startswith(TRUSTED_PREFIXES)]
    if unknown and not trust:
        raise PermissionDenied(
            f"the model file contains types that are not trusted by default: {', '.join(sorted(unknown))}",
            hint="load it with trust=True only if you trust where it came from",
        )
    return sio.loads(data, trusted=untrusted)


def _skops() -> Any:
    try:
        import skops.io as sio
    except ImportError as exc:  # pragma: no cover - skops is a core dependency
        raise MissingDependency("skops is needed to save scikit-learn models", hint="pip install skops") from exc
    return sio
