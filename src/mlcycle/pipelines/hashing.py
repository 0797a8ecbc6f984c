"""Cache keys of steps: what must be equal for a stored output to stand in for running the step again.

    key = sha256(canonical JSON of {
        step:   the step function's qualified name,
        code:   fingerprint of the step's source and of every in-project function, class and step it uses,
        params: the JSON-able arguments (literals and pipeline parameters),
        inputs: the sha256 digests of the artifacts it reads,
        deps:   {distribution: installed version} for the step's declared ``deps``,
    })

Source is compared as a syntax tree (``ast.dump``), so comments, blank lines and indentation do not matter
while any change to the code does. "In-project" means defined in a module whose file lies outside the standard
library and site-packages (and outside mlcycle itself): a helper in ``myproject/features.py`` is followed,
``pandas.merge`` is not. Callees are found by name from the step's globals and closure, recursively, in a
fixed order.
"""

from __future__ import annotations

import ast
import hashlib
import inspect
import json
import marshal
import os
import sys
import sysconfig
import textwrap
import types
from collections.abc import Iterator, Mapping, Sequence
from functools import lru_cache
from importlib import metadata
from typing import Any

from mlcycle.core.errors import InvalidInput

KEY_VERSION = 1


# ---- JSON ------------------------------------------------------------------------------------------------
def check_jsonable(value: Any, what: str) -> None:
    """Raise InvalidInput unless ``value`` is None, bool, int, float, str, or lists/tuples/str-keyed dicts of them."""
    problem = json_problem(value)
    if problem is not None:
        where, kind = problem
        raise InvalidInput(
            f"{what} is not JSON-able: {kind} at {where or 'the top level'}",
            hint="use numbers, strings, booleans, None, lists and dicts with string keys",
        )


def json_problem(value: Any, where: str = "") -> tuple[str, str] | None:
    """Where and what the first non-JSON part of ``value`` is, or None when all of it is JSON-able."""
    if value is None or isinstance(value, bool | int | float | str):
        return None
    if isinstance(value, list | tuple):
        for i, item in enumerate(value):
            found = json_problem(item, f"{where}[{i}]")
            if found:
                return found
        return None
    if isinstance(value, dict):
        for k, item in value.items():
            if not isinstance(k, str):
                return f"{where}[{k!r}]", f"a {type(k).__name__} key"
            found = json_problem(item, f"{where}[{k!r}]")
            if found:
                return found
        return None
    return where, f"a {type(value).__module__}.{type(value).__qualname__}"


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


# ---- the key ---------------------------------------------------------------------------------------------
def cache_key(
    step_name: str,
    code: str,
    params: Mapping[str, Any],
    inputs: Mapping[str, str],
    deps: Sequence[str] = (),
) -> str:
    """The cache key of one step invocation (64 hex digits)."""
    body = {
        "v": KEY_VERSION,
        "step": step_name,
        "code": code,
        "params": dict(params),
        "inputs": dict(inputs),
        "deps": dependency_versions(deps),
    }
    return hashlib.sha256(canonical_json(body).encode("utf-8")).hexdigest()


def dependency_versions(deps: Sequence[str]) -> dict[str, str]:
    return {name: _installed_version(name) for name in sorted(set(deps))}


@lru_cache(maxsize=256)
def _installed_version(name: str) -> str:
    """Looked up once per process: code already imported keeps running the version it was imported at."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


# ---- code fingerprints -----------------------------------------------------------------------------------
def code_fingerprint(func: Any) -> str:
    """sha256 over the normalised source of ``func`` and of its transitive in-project callees.

    Entries are (qualified name, source digest) pairs, independent of the module name, so a script gives the
    same fingerprint run as ``__main__`` and loaded again by ``mlcycle pipelines resume``.
    """
    entries: list[tuple[str, str]] = []
    _collect(func, set(), entries)
    return hashlib.sha256(canonical_json(sorted(entries)).encode("utf-8")).hexdigest()


def _collect(obj: Any, seen: set[int], entries: list[tuple[str, str]]) -> None:
    if id(obj) in seen:
        return
    seen.add(id(obj))
    entries.append((getattr(obj, "__qualname__", repr(obj)), _source_digest(obj)))
    for ref in _references(obj):
        _collect(ref, seen, entries)


def _source_digest(obj: Any) -> str:
    try:
        source = textwrap.dedent(inspect.getsource(obj))
        tree = ast.dump(ast.parse(source))
    except (OSError, TypeError, SyntaxError):
        code = getattr(obj, "__code__", None)
        if code is None:
            return "no-source"
        return hashlib.sha256(marshal.dumps(code)).hexdigest()  # source unavailable: fall back to bytecode
    return hashlib.sha256(tree.encode("utf-8")).hexdigest()


def _references(obj: Any) -> list[Any]:
    """In-project functions, classes and steps that ``obj`` (a function or class) refers to by name."""
    functions = [obj] if isinstance(obj, types.FunctionType) else list(_class_functions(obj))
    found: dict[int, Any] = {}
    for fn in functions:
        names = set(_code_names(fn.__code__))
        values: list[Any] = [fn.__globals__[n] for n in sorted(names) if n in fn.__globals__]
        cells = fn.__closure__ or ()
        for cell in cells:
            try:
                values.append(cell.cell_contents)
            except ValueError:  # an empty cell
                continue
        for value in values:
            for target in _expand(value, names):
                if target is not obj and _in_project(target):
                    found[id(target)] = target
    return list(found.values())


def _expand(value: Any, names: set[str]) -> Iterator[Any]:
    """The functions/classes a referenced value stands for: a step's function, or a module's named members."""
    inner = getattr(value, "__mlcycle_step_func__", None)
    if inner is not None:
        yield inner
    elif isinstance(value, types.ModuleType):
        if _module_in_project(value.__name__):
            for name in sorted(names):
                member = getattr(value, name, None)
                if member is not None and not isinstance(member, types.ModuleType):
                    yield from _expand(member, set())
    elif isinstance(value, types.FunctionType | type):
        yield value


def _class_functions(cls: Any) -> Iterator[types.FunctionType]:
    for member in vars(cls).values() if isinstance(cls, type) else ():
        fn = member.__func__ if isinstance(member, staticmethod | classmethod) else member
        if isinstance(fn, property):
            fn = fn.fget
        if isinstance(fn, types.FunctionType):
            yield fn


def _code_names(code: types.CodeType) -> Iterator[str]:
    yield from code.co_names
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _code_names(const)


def _in_project(obj: Any) -> bool:
    code = getattr(obj, "__code__", None)
    return _module_in_project(getattr(obj, "__module__", None), getattr(code, "co_filename", None))


def _module_in_project(module_name: str | None, filename: str | None = None) -> bool:
    """Whether a module is the user's code. Modules loaded from a file without being registered in
    ``sys.modules`` (as some runners of scripts do) are judged by ``filename``."""
    if not module_name or module_name == "builtins":
        return False
    if module_name == "mlcycle" or module_name.startswith("mlcycle."):
        return False
    path = getattr(sys.modules.get(module_name), "__file__", None) or filename
    if path is None or path.startswith("<"):
        return module_name == "__main__"
    return _path_in_project(os.path.realpath(path))


@lru_cache(maxsize=4096)
def _path_in_project(path: str) -> bool:
    parts = path.split(os.sep)
    if "site-packages" in parts or "dist-packages" in parts:
        return False
    return not any(path.startswith(root + os.sep) for root in _system_roots())


@lru_cache(maxsize=1)
def _system_roots() -> tuple[str, ...]:
    paths = sysconfig.get_paths()
    roots = {os.path.realpath(paths[k]) for k in ("stdlib", "platstdlib", "purelib", "platlib") if k in paths}
    return tuple(sorted(roots))


__all__ = ["cache_key", "canonical_json", "check_jsonable", "code_fingerprint", "dependency_versions", "json_problem"]
