"""Validation of artifact names: the relative paths under which a run or model version lists its files.

An artifact name is later joined onto a directory, a URL or an archive member path, so it must never be able to
escape that base. :func:`check_artifact_name` accepts a relative POSIX path and returns its normal form::

    check_artifact_name("model/weights.onnx")   -> "model/weights.onnx"
    check_artifact_name("./plots//roc.png")     -> "plots/roc.png"
    check_artifact_name("../etc/passwd")        -> InvalidInput
"""

from __future__ import annotations

import re
import unicodedata

from mlcycle.core.errors import InvalidInput

MAX_NAME_LENGTH = 1024

_HINT = "use a relative path with '/' between parts, such as 'model/weights.onnx'"
_DRIVE = re.compile(r"^[A-Za-z]:")


def _reject(name: str, reason: str) -> InvalidInput:
    shown = name if len(name) <= 80 else name[:77] + "..."
    return InvalidInput(f"invalid artifact name {shown!r}: {reason}", hint=_HINT, details={"reason": reason})


def _has_control_character(name: str) -> bool:
    return any(unicodedata.category(ch) == "Cc" for ch in name)


def check_artifact_name(name: str) -> str:
    """Return ``name`` as a normalised relative POSIX path, or raise :class:`InvalidInput`.

    Rejected: non-strings, empty names, names over 1024 characters, NUL and other control characters,
    backslashes, absolute paths (``/x``, ``C:/x``) and any ``..`` part. Empty and ``.`` parts are dropped
    (``a//b`` becomes ``a/b``, ``./a`` becomes ``a``); a name with nothing left is rejected.
    """
    if not isinstance(name, str):
        raise InvalidInput(f"artifact name must be a string, got {type(name).__name__}", hint=_HINT)
    if not name:
        raise _reject(name, "it is empty")
    if len(name) > MAX_NAME_LENGTH:
        raise _reject(name, f"it is {len(name)} characters long; the limit is {MAX_NAME_LENGTH}")
    if "\x00" in name:
        raise _reject(name, "it contains a NUL byte")
    if _has_control_character(name):
        raise _reject(name, "it contains a control character")
    if "\\" in name:
        raise _reject(name, "it contains a backslash; separate parts with '/'")
    if name.startswith("/"):
        raise _reject(name, "it is an absolute path")
    parts = name.split("/")
    if ".." in parts:
        raise _reject(name, "it contains a '..' part")
    kept = [part for part in parts if part not in ("", ".")]
    if not kept:
        raise _reject(name, "it names no file")
    if _DRIVE.match(kept[0]):
        raise _reject(name, "it starts with a drive letter, which makes it absolute on Windows")
    return "/".join(kept)


__all__ = ["MAX_NAME_LENGTH", "check_artifact_name"]
