"""The demo's training pipeline: load the split datasets, train two candidate models in parallel (each in a
child run with autolog), evaluate them on the validation split and choose the better one.

Steps live in this importable module so that pipeline runs can be resumed and scheduled.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.ensemble import RandomForestClassifier
from sklearn.pipeline import Pipeline

import mlcycle as mc

TARGET = "target"


@mc.step(stage="data_preparation")
def load_split(project: str, dataset: str, part: str, version: int) -> pd.DataFrame:
    """One split of the demo data (``<dataset>-<part>``), read through the dataset registry."""
    frame: pd.DataFrame = mc.connect().project(project).dataset(f"{dataset}-{part}", version).load()
    return frame


def _fit_in_child_run(model: BaseEstimator, train: pd.DataFrame, name: str) -> None:
    parent = mc.active_run()  # the pipeline run's tracking run
    client = parent.client if parent is not None else mc.connect()
    project = client.get_project(parent.info.project_id if parent is not None else "default")
    mc.sklearn.autolog(project=project.name, client=client)
    with project.start_run(name=name, stage="model_training", parent=parent, tags={"demo": "true"}):
        model.fit(train.drop(columns=TARGET), train[TARGET])


@mc.step(deps=["scikit-learn"])
def train_logistic_regression(train: pd.DataFrame, C: float) -> Pipeline:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    model = make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=2000))
    _fit_in_child_run(model, train, "logistic-regression")
    return model


@mc.step(deps=["scikit-learn"])
def train_random_forest(train: pd.DataFrame, n_estimators: int, max_depth: int) -> RandomForestClassifier:
    model = RandomForestClassifier(n_estimators=n_estimators, max_depth=max_depth, random_state=0)
    _fit_in_child_run(model, train, "random-forest")
    return model


@mc.step(stage="model_evaluation", deps=["scikit-learn"])
def evaluate(model: BaseEstimator, validation: pd.DataFrame, name: str) -> dict[str, float]:
    from sklearn.metrics import accuracy_score, roc_auc_score

    X, y = validation.drop(columns=TARGET), validation[TARGET]
    proba = model.predict_proba(X)[:, 1]
    scores = {"val_roc_auc": float(roc_auc_score(y, proba)), "val_accuracy": float(accuracy_score(y, proba > 0.5))}
    run = mc.active_run()
    if run is not None:
        run.log_metrics({f"{name}_{k}": v for k, v in scores.items()})
    return scores


@mc.step(stage="model_evaluation")
def choose(logistic_regression: dict[str, float], random_forest: dict[str, float]) -> dict[str, Any]:
    candidates = {"logistic-regression": logistic_regression, "random-forest": random_forest}
    best = max(candidates, key=lambda k: candidates[k]["val_roc_auc"])
    return {"best": best, "scores": candidates}


@mc.pipeline(stage="model_training")
def training(
    project_name: str,
    dataset: str,
    train_version: int,
    validation_version: int,
    C: float = 0.5,
    n_estimators: int = 100,
    max_depth: int = 5,
) -> dict[str, Any]:
    train = load_split(project_name, dataset, "train", train_version)
    validation = load_split(project_name, dataset, "validation", validation_version)
    lr = train_logistic_regression(train, C=C)
    rf = train_random_forest(train, n_estimators=n_estimators, max_depth=max_depth)
    return choose(evaluate(lr, validation, "logistic_regression"), evaluate(rf, validation, "random_forest"))
