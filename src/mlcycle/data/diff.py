"""Comparing two dataset versions from their stored schema and profile, without loading any rows."""

from __future__ import annotations

import math
import re
from typing import Any

from mlcycle.data.models import Change, ColumnProfile, DatasetDiff, DatasetVersion

_FOLD = {
    "large_string": "string",
    "string_view": "string",
    "large_binary": "binary",
    "binary_view": "binary",
    "large_list": "list",
    "list_view": "list",
    "large_list_view": "list",
}
_LAYOUTS = re.compile(r"\b(" + "|".join(sorted(_FOLD, key=len, reverse=True)) + r")\b")
_INDICES = re.compile(r"indices=\w+, ")  # a dictionary's code width is not its type
_STATS = ("count", "null_count", "n_unique", "min", "max", "mean", "std")


def diff_versions(a: DatasetVersion, b: DatasetVersion) -> DatasetDiff:
    """What changed from ``a`` to ``b``: columns added, removed, retyped, nullability, rows and statistics.

    A type change is one of values: ``string`` and ``large_string`` (and the other layout variants that the
    content hash folds together) are the same type here."""
    cols_a = {c.name: c for c in a.columns}
    cols_b = {c.name: c for c in b.columns}
    common = [n for n in cols_a if n in cols_b]
    type_changed = {
        n: Change(before=cols_a[n].type, after=cols_b[n].type)
        for n in common
        if _logical(cols_a[n].type) != _logical(cols_b[n].type)
    }
    nullability = {
        n: Change(before=cols_a[n].nullable, after=cols_b[n].nullable)
        for n in common
        if cols_a[n].nullable != cols_b[n].nullable
    }
    profile: dict[str, dict[str, Change]] = {}
    for n in common:
        pa_, pb = a.profile.get(n), b.profile.get(n)
        if pa_ is not None and pb is not None:
            changes = profile_changes(pa_, pb)
            if changes:
                profile[n] = changes
    return DatasetDiff(
        a=a.ref,
        b=b.ref,
        same_content=a.content_hash == b.content_hash,
        added=[c for n, c in cols_b.items() if n not in cols_a],
        removed=[c for n, c in cols_a.items() if n not in cols_b],
        type_changed=type_changed,
        nullability_changed=nullability,
        row_count=_change(a.row_count, b.row_count),
        profile=profile,
    )


def profile_changes(a: ColumnProfile, b: ColumnProfile) -> dict[str, Change]:
    """The statistics of one column that differ, each with its delta when both values are numbers."""
    out: dict[str, Change] = {}
    for stat in _STATS:
        before, after = getattr(a, stat), getattr(b, stat)
        if not _same(before, after):
            out[stat] = _change(before, after)
    qa, qb = a.quantiles or {}, b.quantiles or {}
    for key in sorted(set(qa) | set(qb), key=lambda k: float(k.lstrip("p"))):
        before, after = qa.get(key), qb.get(key)
        if not _same(before, after):
            out[key] = _change(before, after)
    top_a = [v.value for v in a.top or []]
    top_b = [v.value for v in b.top or []]
    if set(map(repr, top_a)) != set(map(repr, top_b)):
        out["top"] = Change(before=top_a, after=top_b)
    return out


def _logical(arrow_type: str) -> str:
    """Arrow type names with the layout variants that hold the same values folded together (as the hash does)."""
    return _INDICES.sub("", _LAYOUTS.sub(lambda m: _FOLD[m.group(0)], arrow_type))


def _same(x: Any, y: Any) -> bool:
    if _number(x) and _number(y):
        return bool(x == y) or (math.isnan(x) and math.isnan(y))
    return type(x) is type(y) and bool(x == y)


def _number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def _change(before: Any, after: Any) -> Change:
    delta = float(after) - float(before) if _number(before) and _number(after) else None
    if delta is not None and math.isnan(delta):
        delta = None
    return Change(before=before, after=after, delta=delta)


__all__ = ["diff_versions", "profile_changes"]
