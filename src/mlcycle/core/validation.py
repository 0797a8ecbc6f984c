"""Boundary validation of names and keys shared by every service."""

from __future__ import annotations

import numbers
import re

from mlcycle.core.errors import InvalidInput

_KEY = re.compile(r"^[A-Za-z0-9_\-./ :]{1,250}$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-.]{0,127}$")
MAX_PARAM_VALUE = 8000
MAX_TAG_VALUE = 8000


def check_key(key: object, what: str = "key") -> str:
    """Param, metric and tag keys: 1-250 chars of letters, digits, ``_ - . / :`` and space; no ``..``."""
    if not isinstance(key, str) or not _KEY.match(key) or ".." in key or key.startswith("/"):
        raise InvalidInput(
            f"invalid {what} {key!r}",
            hint="use 1-250 letters, digits, '_', '-', '.', '/', ':' or spaces, not starting with '/'",
        )
    return key


def check_name(name: object, what: str = "name") -> str:
    """Project and other object names: start alphanumeric, then letters, digits, ``_ - .``; at most 128."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise InvalidInput(
            f"invalid {what} {name!r}",
            hint="start with a letter or digit, then use letters, digits, '_', '-' or '.' (at most 128)",
        )
    return name


def check_value(value: object, key: str, limit: int, what: str) -> str:
    text = value if isinstance(value, str) else str(value)
    if len(text) > limit:
        raise InvalidInput(f"{what} {key!r} is {len(text)} characters long; the limit is {limit}")
    return text


def check_metric_value(key: str, value: object) -> float:
    """Metric values are real numbers; NaN and +/-inf are kept as they are."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InvalidInput(f"metric {key!r} must be a number, got {type(value).__name__}")
    try:
        return float(value)
    except OverflowError:
        raise InvalidInput(f"metric {key!r} is too large for a 64-bit float") from None


def check_step(step: object, what: str = "step") -> int:
    """Steps (and millisecond timestamps) are whole numbers between 0 and 2**62."""
    if isinstance(step, bool) or not isinstance(step, numbers.Integral):
        raise InvalidInput(f"{what} must be an integer, got {step!r}")
    value = int(step)
    if value < 0 or value > 2**62:
        raise InvalidInput(f"{what} must be between 0 and 2**62, got {value}")
    return value
