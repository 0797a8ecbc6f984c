"""Cache keys: code fingerprints (source, in-project callees), parameters, input digests, dependency versions."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from mlcycle.core.errors import InvalidInput
from mlcycle.pipelines import hashing
from mlcycle.pipelines.hashing import cache_key, check_jsonable, code_fingerprint, dependency_versions

from .conftest import WriteModule

BASE = """
import numpy as np

def helper(x):
    return x + 1

def step_body(x):
    return helper(np.sum(x))
"""


def test_comments_and_layout_do_not_change_the_fingerprint(write_module: WriteModule) -> None:
    before = code_fingerprint(write_module(BASE).step_body)
    after = code_fingerprint(
        write_module(
            BASE.replace("return helper(np.sum(x))", "# a comment\n\n    return helper( np.sum(x) )")
        ).step_body
    )
    assert before == after


def test_a_changed_body_changes_the_fingerprint(write_module: WriteModule) -> None:
    before = code_fingerprint(write_module(BASE).step_body)
    after = code_fingerprint(write_module(BASE.replace("helper(np.sum(x))", "helper(np.sum(x)) * 2")).step_body)
    assert before != after


def test_a_changed_in_project_callee_changes_the_fingerprint(write_module: WriteModule) -> None:
    before = code_fingerprint(write_module(BASE).step_body)
    after = code_fingerprint(write_module(BASE.replace("return x + 1", "return x + 2")).step_body)
    assert before != after


def test_callees_are_followed_through_modules_classes_and_closures(write_module: WriteModule) -> None:
    consumer = """
    import {prefix}_helpers as helpers

    class Scaler:
        def apply(self, x):
            return x * FACTOR

    def make():
        offset = 1
        def inner(x):
            return Scaler().apply(helpers.shift(x)) + offset
        return inner
    """
    write_module("def shift(x):\n    return x - 1\n", "helpers")
    base = code_fingerprint(write_module(consumer.replace("FACTOR", "2")).make())
    assert code_fingerprint(write_module(consumer.replace("FACTOR", "2")).make()) == base  # deterministic
    changed_class = code_fingerprint(write_module(consumer.replace("FACTOR", "3")).make())
    write_module("def shift(x):\n    return x - 2\n", "helpers")
    changed_module = code_fingerprint(write_module(consumer.replace("FACTOR", "3")).make())
    assert len({base, changed_class, changed_module}) == 3


def test_only_project_code_is_followed() -> None:
    assert not hashing._in_project(np.sum)
    assert not hashing._in_project(cache_key)  # mlcycle itself
    assert hashing._in_project(test_only_project_code_is_followed)


def test_cache_key_covers_params_inputs_and_deps() -> None:
    base = cache_key("s", "code", {"C": 1.0}, {"df": "a" * 64})
    assert base == cache_key("s", "code", {"C": 1.0}, {"df": "a" * 64})
    assert base != cache_key("s", "code", {"C": 0.5}, {"df": "a" * 64})
    assert base != cache_key("s", "code", {"C": 1.0}, {"df": "b" * 64})
    assert base != cache_key("s", "code2", {"C": 1.0}, {"df": "a" * 64})
    assert base != cache_key("s", "code", {"C": 1.0}, {"df": "a" * 64}, deps=["numpy"])


def test_dependency_versions() -> None:
    versions = dependency_versions(["numpy", "surely-not-installed-xyz"])
    assert versions == {"numpy": np.__version__, "surely-not-installed-xyz": "not installed"}


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=10,
)


@given(st.dictionaries(st.text(max_size=8), json_values, max_size=6))
def test_cache_key_does_not_depend_on_parameter_order(params: dict[str, object]) -> None:
    check_jsonable(params, "params")
    reordered = dict(reversed(list(params.items())))
    assert cache_key("s", "c", params, {}) == cache_key("s", "c", reordered, {})


def test_check_jsonable_names_the_offending_part() -> None:
    check_jsonable({"a": [1, 2.5, None, "x", {"b": True}]}, "v")
    try:
        check_jsonable({"a": [1, {"b": object()}]}, "value")
    except InvalidInput as exc:
        assert "['a'][1]['b']" in exc.message and "builtins.object" in exc.message
    else:  # pragma: no cover
        raise AssertionError("expected InvalidInput")
    try:
        check_jsonable({1: "x"}, "value")
    except InvalidInput as exc:
        assert "a int key" in exc.message
