from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mlcycle.artifacts import check_artifact_name
from mlcycle.artifacts.names import MAX_NAME_LENGTH
from mlcycle.core.errors import InvalidInput


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("model.pkl", "model.pkl"),
        ("model/weights.onnx", "model/weights.onnx"),
        ("a//b", "a/b"),
        ("./a", "a"),
        ("a/./b/", "a/b"),
        ("a/b/.", "a/b"),
        ("...", "..."),
        ("a/..b/c..", "a/..b/c.."),
        ("dir with space/ü.txt", "dir with space/ü.txt"),
        ("x" * MAX_NAME_LENGTH, "x" * MAX_NAME_LENGTH),
    ],
)
def test_valid_names_are_normalised(name: str, expected: str) -> None:
    assert check_artifact_name(name) == expected


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("", "empty"),
        ("a\x00b", "NUL"),
        ("/etc/passwd", "absolute"),
        ("//server/share", "absolute"),
        ("\\x", "backslash"),
        ("C:\\x", "backslash"),
        ("C:/x", "drive letter"),
        ("c:x", "drive letter"),
        ("./C:/x", "drive letter"),
        ("a/../b", "'..'"),
        ("..", "'..'"),
        ("../x", "'..'"),
        ("a/..", "'..'"),
        ("a\\b", "backslash"),
        ("a\nb", "control character"),
        ("a\x7fb", "control character"),
        ("a\x85b", "control character"),
        ("x" * (MAX_NAME_LENGTH + 1), "limit is 1024"),
        (".", "names no file"),
        ("./", "names no file"),
        ("././/.", "names no file"),
    ],
)
def test_invalid_names_are_rejected(name: str, reason: str) -> None:
    with pytest.raises(InvalidInput) as info:
        check_artifact_name(name)
    assert reason in info.value.message
    assert info.value.hint


def test_non_string_is_rejected() -> None:
    with pytest.raises(InvalidInput, match="must be a string"):
        check_artifact_name(b"a/b")  # type: ignore[arg-type]


def test_long_name_is_shortened_in_message() -> None:
    with pytest.raises(InvalidInput) as info:
        check_artifact_name("y" * 5000)
    assert len(info.value.message) < 200


_segment = st.one_of(
    st.sampled_from(["", ".", "..", "a", "b.txt", "C:", "c:x", "\\", "\x00", "\n"]),
    st.text(max_size=12),
)


def _names() -> st.SearchStrategy[str]:
    return st.one_of(
        st.text(max_size=60),
        st.lists(_segment, max_size=6).map("/".join),
        st.lists(_segment, max_size=6).map(lambda parts: "/" + "/".join(parts)),
    )


def _check_or_none(name: str) -> str | None:
    try:
        return check_artifact_name(name)
    except InvalidInput:
        return None


@given(_names())
def test_accepted_names_are_safe_relative_paths(name: str) -> None:
    result = _check_or_none(name)
    if result is None:
        return
    parts = result.split("/")
    assert ".." not in parts
    assert "" not in parts
    assert "." not in parts
    assert not result.startswith("/")
    assert "\\" not in result
    assert "\x00" not in result
    assert not re.match(r"[A-Za-z]:", result)
    assert len(result) <= MAX_NAME_LENGTH


@given(_names())
def test_normalisation_is_idempotent(name: str) -> None:
    result = _check_or_none(name)
    if result is not None:
        assert check_artifact_name(result) == result


@given(st.lists(st.text(alphabet="abcXYZ019_-. ", min_size=1, max_size=10), min_size=1, max_size=5))
def test_plain_relative_paths_are_accepted(parts: list[str]) -> None:
    parts = [p for p in parts if p not in (".", "..")]
    if not parts:
        return
    name = "/".join(parts)
    assert check_artifact_name(name) == "/".join(p for p in parts if p not in ("", "."))
