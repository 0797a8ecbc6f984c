"""scikit-learn autologging: ``mc.sklearn.autolog()`` records params, training metrics and the fitted model.

Every estimator's ``fit`` is wrapped. Only the outermost ``fit`` logs (a Pipeline or a search logs once, not
once per inner estimator). Inside a ``with project.start_run()`` block the data goes to that run; otherwise
each ``fit`` gets a run of its own in the project given to :func:`autolog`. Logging never breaks training: a
logging failure is reported through the ``mlcycle`` logger and ``fit`` returns as usual.
"""

from __future__ import annotations

import contextvars
import functools
import json
import logging
import math
from collections.abc import Callable
from typing import Any

from mlcycle.client.api import Client, Run, active_run, connect
from mlcycle.core.errors import MlcycleError
from mlcycle.tracking.sklearn_io import dump_estimator, load_estimator

log = logging.getLogger("mlcycle")

MODEL_ARTIFACT = "model/model.skops"
MODEL_META = "model/model.json"
MAX_PARAM_CHARS = 500

_in_fit: contextvars.ContextVar[bool] = contextvars.ContextVar("mlcycle_in_fit", default=False)
_patched: dict[type, Callable[..., Any]] = {}
_config: dict[str, Any] = {}


def autolog(
    *,
    project: str = "default",
    log_models: bool = True,
    disable: bool = False,
    client: Client | None = None,
) -> None:
    """Turn autologging on (or off with ``disable=True``) for every scikit-learn estimator."""
    if disable:
        for cls, original in _patched.items():
            cls.fit = original  # type: ignore[attr-defined]
        _patched.clear()
        _config.clear()
        return
    _config.update(project=project, log_models=log_models, client=client)
    from sklearn.utils import all_estimators

    for _, cls in all_estimators():
        # patch the class that defines the fit this estimator uses (often an abstract base, e.g. BaseForest)
        owner = next((k for k in cls.__mro__ if "fit" in k.__dict__), None)
        if owner is not None and owner not in _patched:
            _patched[owner] = owner.__dict__["fit"]
            owner.fit = _wrap(owner.__dict__["fit"])


def load_model(run: Run, name: str = MODEL_ARTIFACT, *, trust: bool = False) -> Any:
    """Load an estimator logged by autolog (types outside scikit-learn/NumPy/SciPy need ``trust=True``)."""
    return load_estimator(run.read_artifact(name), trust=trust)


def _wrap(fit: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fit)
    def fit_and_log(self: Any, *args: Any, **kwargs: Any) -> Any:
        if _in_fit.get() or not _config:
            return fit(self, *args, **kwargs)
        token = _in_fit.set(True)
        try:
            run, owned = _target_run(self)
            try:
                result = fit(self, *args, **kwargs)
            except BaseException:
                if owned and run is not None:
                    _safe(lambda: run.end("FAILED"))
                raise
            if run is not None:
                X = args[0] if args else kwargs.get("X")
                y = args[1] if len(args) > 1 else kwargs.get("y")
                _safe(lambda: _log_fit(run, self, X, y))
                if owned:
                    _safe(lambda: run.end("FINISHED"))
            return result
        finally:
            _in_fit.reset(token)

    return fit_and_log


def _target_run(estimator: Any) -> tuple[Run | None, bool]:
    current = active_run()
    if current is not None:
        return current, False
    try:
        client = _config.get("client") or connect()
        _config["client"] = client
        project = client.project(_config["project"])
        return project.start_run(name=type(estimator).__name__, stage="model_training"), True
    except MlcycleError as exc:
        log.warning("mlcycle autolog could not start a run: %s", exc)
        return None, False


def _log_fit(run: Run, estimator: Any, X: Any, y: Any) -> None:
    params = {k: _param_text(v) for k, v in estimator.get_params(deep=True).items()}
    run.log_params(params)
    run.set_tags({"estimator_class": f"{type(estimator).__module__}.{type(estimator).__name__}"})
    if y is not None:
        metrics = {k: v for k, v in _training_metrics(estimator, X, y).items() if v is not None}
        if metrics:
            run.log_metrics(metrics)
    if _config.get("log_models", True):
        import sklearn

        run.log_bytes(MODEL_ARTIFACT, dump_estimator(estimator))
        meta = {
            "flavor": "sklearn",
            "format": "skops",
            "class": f"{type(estimator).__module__}.{type(estimator).__name__}",
            "sklearn_version": sklearn.__version__,
        }
        run.log_text(MODEL_META, json.dumps(meta, indent=2))


def _training_metrics(est: Any, X: Any, y: Any) -> dict[str, float | None]:
    from sklearn import metrics as m
    from sklearn.base import is_classifier, is_regressor

    out: dict[str, float | None] = {}
    if is_classifier(est):
        pred = est.predict(X)
        out["training_accuracy_score"] = float(m.accuracy_score(y, pred))
        out["training_precision_score"] = float(m.precision_score(y, pred, average="weighted", zero_division=0))
        out["training_recall_score"] = float(m.recall_score(y, pred, average="weighted", zero_division=0))
        out["training_f1_score"] = float(m.f1_score(y, pred, average="weighted", zero_division=0))
        if hasattr(est, "predict_proba"):
            proba = est.predict_proba(X)
            out["training_log_loss"] = float(m.log_loss(y, proba, labels=est.classes_))
            if proba.shape[1] == 2:
                out["training_roc_auc"] = float(m.roc_auc_score(y, proba[:, 1]))
            else:
                out["training_roc_auc"] = float(m.roc_auc_score(y, proba, multi_class="ovr", labels=est.classes_))
    elif is_regressor(est):
        pred = est.predict(X)
        mse = float(m.mean_squared_error(y, pred))
        out["training_mean_squared_error"] = mse
        out["training_root_mean_squared_error"] = math.sqrt(mse)
        out["training_mean_absolute_error"] = float(m.mean_absolute_error(y, pred))
        out["training_r2_score"] = float(m.r2_score(y, pred))
    if hasattr(est, "score") and not out:
        out["training_score"] = float(est.score(X, y))
    return out


def _param_text(value: Any) -> str:
    text = repr(value) if not isinstance(value, str) else value
    return text if len(text) <= MAX_PARAM_CHARS else text[: MAX_PARAM_CHARS - 3] + "..."


def _safe(action: Callable[[], Any]) -> None:
    try:
        action()
    except MlcycleError as exc:
        log.warning("mlcycle autolog: %s", exc)
