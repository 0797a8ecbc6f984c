from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import mlcycle as mc


class Marker:
    """A type outside scikit-learn, NumPy and SciPy."""

    def __init__(self) -> None:
        self.value = 1


@pytest.fixture
def autolog() -> Iterator[mc.Client]:
    client = mc.connect()
    mc.sklearn.autolog(project="auto", client=client)
    try:
        yield client
    finally:
        mc.sklearn.autolog(disable=True)


def _data() -> tuple[object, object]:
    from sklearn.datasets import load_iris

    return load_iris(return_X_y=True)


def test_fit_inside_a_run_logs_params_metrics_and_model(autolog: mc.Client) -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = _data()
    with autolog.project("auto").start_run(name="lr") as run:
        model = make_pipeline(StandardScaler(), LogisticRegression(C=0.25, max_iter=500)).fit(X, y)
    run = autolog.get_run(run.id)
    assert run.params["logisticregression__C"] == "0.25"
    assert 0.9 < run.metrics["training_accuracy_score"] <= 1.0
    assert "training_roc_auc" in run.metrics and "training_log_loss" in run.metrics
    assert run.tags["estimator_class"] == "sklearn.pipeline.Pipeline"
    loaded = mc.sklearn.load_model(run)
    assert (loaded.predict(X) == model.predict(X)).all()
    # only the outermost fit logged: no separate runs for the scaler or the regression
    assert len(autolog.project("auto").search_runs()) == 1


def test_estimators_whose_fit_is_inherited_are_logged(autolog: mc.Client) -> None:
    from sklearn.ensemble import RandomForestClassifier  # fit is defined on the abstract BaseForest

    X, y = _data()
    with autolog.project("auto").start_run() as run:
        RandomForestClassifier(n_estimators=5, random_state=0).fit(X, y)
    run = autolog.get_run(run.id)
    assert run.params["n_estimators"] == "5"
    assert "training_roc_auc" in run.metrics
    assert [a.path for a in run.artifacts()] == ["model/model.json", "model/model.skops"]


def test_fit_outside_a_run_gets_its_own_run(autolog: mc.Client) -> None:
    from sklearn.linear_model import Ridge

    X, y = _data()
    Ridge(alpha=2.0).fit(X, y)
    runs = autolog.project("auto").search_runs()
    assert [r.name for r in runs] == ["Ridge"]
    assert runs[0].status == "FINISHED"
    assert runs[0].params["alpha"] == "2.0"
    assert "training_r2_score" in runs[0].metrics


def test_failed_fit_marks_its_run_failed(autolog: mc.Client) -> None:
    from sklearn.linear_model import LogisticRegression

    with pytest.raises(ValueError):
        LogisticRegression().fit([[1.0], [2.0]], [0, 0])  # a single class cannot be fitted
    (run,) = autolog.project("auto").search_runs()
    assert run.status == "FAILED"


def test_disable_restores_plain_fit(autolog: mc.Client) -> None:
    from sklearn.linear_model import Ridge

    mc.sklearn.autolog(disable=True)
    X, y = _data()
    Ridge().fit(X, y)
    assert autolog.project("auto").search_runs() == []


def test_untrusted_types_need_trust(autolog: mc.Client) -> None:
    from mlcycle.tracking.sklearn_io import dump_estimator, load_estimator

    data = dump_estimator({"custom": Marker()})
    with pytest.raises(mc.PermissionDenied):
        load_estimator(data)
    assert load_estimator(data, trust=True)["custom"].value == 1


def _crafted_skops(module: str, name: str, code: str) -> bytes:
    """A skops file whose root object is built by calling ``module.name(code)``."""
    import io
    import json
    import zipfile

    import skops.io as sio

    with zipfile.ZipFile(io.BytesIO(sio.dumps((code,)))) as z:
        args = json.loads(z.read("schema.json"))  # a real tuple node holding the code string
    schema = {
        "__class__": name,
        "__module__": module,
        "__loader__": "ConstructorFromReduceNode",
        "content": {k: v for k, v in args.items() if k not in ("protocol", "_skops_version")},
        "__id__": 1,
        "protocol": args["protocol"],
        "_skops_version": args["_skops_version"],
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("schema.json", json.dumps(schema))
    return buf.getvalue()


@pytest.mark.parametrize(("module", "name"), [("builtins", "exec"), ("numpy.testing._private.utils", "runstring")])
def test_a_crafted_model_file_cannot_run_code_without_trust(tmp_path: Path, module: str, name: str) -> None:
    from mlcycle.tracking.sklearn_io import load_estimator

    marker = tmp_path / "ran"
    data = _crafted_skops(module, name, f"open({str(marker)!r}, 'w').close()")
    with pytest.raises(mc.PermissionDenied) as info:
        load_estimator(data)
    assert f"{module}.{name}" in info.value.message
    assert not marker.exists()
    if name == "exec":  # the file really is an exploit: trusting it runs the code
        load_estimator(data, trust=True)
        assert marker.exists()


def test_forests_load_without_trust(autolog: mc.Client) -> None:
    from sklearn.ensemble import RandomForestClassifier

    from mlcycle.tracking.sklearn_io import dump_estimator, load_estimator

    X, y = _data()
    model = RandomForestClassifier(n_estimators=3, random_state=0).fit(X, y)
    assert (load_estimator(dump_estimator(model)).predict(X) == model.predict(X)).all()
