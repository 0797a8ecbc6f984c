"""Definition time: annotations, wiring types, JSON-able parameters and cycles are checked when decorating."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from mlcycle.core.errors import InvalidInput
from mlcycle.pipelines import pipeline, step

from . import steps_fixture as fx


@step
def frame(n: int) -> pd.DataFrame:
    return pd.DataFrame({"x": range(n)})


@step
def fit(df: pd.DataFrame, C: float = 1.0) -> LogisticRegression:
    return LogisticRegression(C=C)


@step
def predict(model: LogisticRegression, df: pd.DataFrame) -> np.ndarray:
    return np.zeros(len(df))


@step
def halves(df: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    return df.iloc[: len(df) // 2], df.iloc[len(df) // 2 :]


@step
def maybe(x: int | None = None) -> int:
    return x or 0


def test_step_without_parameter_annotation_fails_when_decorated() -> None:
    def bad(n, k: int) -> int:  # type: ignore[no-untyped-def]
        return 0

    with pytest.raises(InvalidInput, match=r"no type annotation for parameter 'n'") as info:
        step(bad)
    assert "annotate every parameter" in (info.value.hint or "")


def test_step_without_return_annotation_fails_when_decorated() -> None:
    def bad(n: int):  # type: ignore[no-untyped-def]
        return n

    with pytest.raises(InvalidInput, match="no return type annotation"):
        step(bad)


def test_step_with_star_args_is_rejected() -> None:
    def bad(*xs: int) -> int:
        return 0

    with pytest.raises(InvalidInput, match=r"takes \*xs"):
        step(bad)


def test_output_of_the_wrong_type_fails_at_definition_with_a_clear_message() -> None:
    with pytest.raises(InvalidInput) as info:

        @pipeline
        def wrong(n: int = 3) -> Any:
            df = frame(n)
            return predict(df, df)  # a DataFrame where a model is expected

    message = str(info.value)
    assert "parameter 'model' of step 'predict'" in message
    assert "expects LogisticRegression" in message and "step 'frame' returns DataFrame" in message


def test_pipeline_parameter_of_the_wrong_type_is_rejected() -> None:
    with pytest.raises(InvalidInput, match=r"expects int, but pipeline parameter 'n' is str"):

        @pipeline
        def wrong(n: str = "3") -> Any:
            return frame(n)  # type: ignore[arg-type]


def test_literal_of_the_wrong_type_is_rejected() -> None:
    with pytest.raises(InvalidInput, match=r"parameter 'n' of step 'frame'.*expects int, got 'three'"):

        @pipeline
        def wrong() -> Any:
            return frame("three")  # type: ignore[arg-type]


def test_compatible_types_are_accepted() -> None:
    @pipeline
    def fine(n: int = 3, C: int = 1) -> Any:  # int where float is expected; None and int for int | None
        df = frame(n)
        return predict(fit(df, C=C), df), maybe(), maybe(n)

    assert fine.graph.order == ("frame", "fit", "predict", "maybe", "maybe_2")


def test_parameters_that_are_not_json_are_rejected() -> None:
    with pytest.raises(InvalidInput, match=r"default of parameter 'when' is not JSON-able"):

        @pipeline
        def p1(when: object = object()) -> Any:
            return frame(1)

    with pytest.raises(InvalidInput, match="not JSON-able"):

        @pipeline
        def p2() -> Any:
            return fx.add(fx.make(3), k={1: 2.0})  # type: ignore[arg-type]

    with pytest.raises(InvalidInput, match=r"pipeline parameter 'n' is not JSON-able"):
        fx.chain.run(project="p", n=np.int32(3))


def test_unknown_and_missing_run_parameters_are_rejected() -> None:
    with pytest.raises(InvalidInput, match="has no parameter 'nn'") as info:
        fx.chain.run(project="p", nn=3)
    assert info.value.hint == "did you mean 'n'?"
    with pytest.raises(InvalidInput, match="missing a required argument: 'flag'"):
        fx.flaky.run(project="p")


def test_reserved_parameter_names_are_rejected() -> None:
    with pytest.raises(InvalidInput, match="'project' is reserved"):

        @pipeline
        def p(project: str = "x") -> Any:
            return frame(1)


@pytest.mark.parametrize(
    ("body", "what"),
    [
        (lambda n: frame(n) if n > 3 else None, "compared"),
        (lambda n: frame(n) if n else None, "used as a condition"),
        (lambda n: frame(n * 2), "cannot be defined: TypeError"),
        (lambda n: frame(n)["x"], "cannot be defined: TypeError"),
        (lambda n: frame(int(n)), "converted to a number"),
    ],
)
def test_computing_with_placeholders_explains_what_a_body_may_do(body: Any, what: str) -> None:
    def wrong(n: int = 3) -> Any:
        return body(n)

    with pytest.raises(InvalidInput, match=what) as info:
        pipeline(wrong)
    assert "move any computation or branching into a step" in (info.value.hint or "")


def test_a_cycle_fails_at_definition_and_names_it() -> None:
    with pytest.raises(InvalidInput, match=r"cycle: (fit -> predict -> fit|predict -> fit -> predict)") as info:

        @pipeline
        def circular(n: int = 3) -> Any:
            df = frame(n)
            model = fit.with_options(after=["predict"])(df)
            return predict(model, df)

    assert info.value.details["cycle"][0] == info.value.details["cycle"][-1]


def test_after_must_name_a_step_of_the_pipeline() -> None:
    with pytest.raises(InvalidInput, match="runs after 'frane'") as info:

        @pipeline
        def p(n: int = 3) -> Any:
            return fit.with_options(after=["frane"])(frame(n))

    assert info.value.hint == "did you mean 'frame'?"


def test_after_orders_steps_without_data() -> None:
    @pipeline
    def ordered(n: int = 3) -> Any:
        first = fx.make(n)
        other = fx.make.with_options(name="other", after=[first])(n)
        return fx.total(other)

    assert ordered.graph.upstream("other") == ("make",)
    assert ordered.graph.order == ("make", "other", "total")


def test_pipeline_must_return_step_outputs_and_call_a_step() -> None:
    with pytest.raises(InvalidInput, match="returns int"):

        @pipeline
        def p1() -> Any:
            frame(1)
            return 3

    with pytest.raises(InvalidInput, match="calls no step"):

        @pipeline
        def p2() -> None:
            return None


def test_tuple_outputs_are_unpacked_not_passed_whole() -> None:
    @pipeline
    def split_ok(n: int = 4) -> Any:
        a, b = halves(frame(n))
        return fit(a), fit(b)

    assert split_ok.graph.nodes["halves"].outputs == ("0", "1")
    assert {
        b.key for n in ("fit", "fit_2") for b in split_ok.graph.nodes[n].bindings.values() if hasattr(b, "key")
    } == {
        "0",
        "1",
    }
    with pytest.raises(InvalidInput, match="all the outputs of step 'halves' at once"):

        @pipeline
        def split_bad(n: int = 4) -> Any:
            return fit(halves(frame(n)))  # type: ignore[arg-type]


def test_steps_and_pipelines_called_directly_run_eagerly() -> None:
    assert list(fx.add(np.array([1.0]), k=2.0)) == [3.0]
    model, metrics = fx.training(n=50)
    assert isinstance(model, LogisticRegression)
    assert 0.5 < metrics["accuracy"] <= 1.0  # active_run() is None outside a run: the fixture logs nothing


def test_the_same_step_twice_gets_numbered_names() -> None:
    assert fx.chain.graph.order == ("make", "add", "total", "add_2", "total_2")
    assert fx.chain.graph.descendants("add") == {"add_2", "total_2"}
