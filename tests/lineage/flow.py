"""Importable steps and a pipeline for the lineage tests: a step reads a dataset split through the client API
(so the pipeline's tracking run and the step are recorded as its readers), the next trains a model on it."""

from __future__ import annotations

import pandas as pd
from sklearn.linear_model import LogisticRegression

import mlcycle as mc

FEATURES = ["x", "y"]


@mc.step(stage="data_preparation")
def prepare(data_project: str, dataset: str, version: int) -> pd.DataFrame:
    frame: pd.DataFrame = mc.connect().project(data_project).dataset(dataset, version).load()
    return frame


@mc.step(deps=["scikit-learn"])
def train(df: pd.DataFrame, C: float = 1.0) -> LogisticRegression:
    return LogisticRegression(C=C).fit(df[FEATURES], df["label"])


@mc.pipeline
def training(
    data_project: str = "lineage", dataset: str = "points-train", version: int = 1, C: float = 1.0
) -> LogisticRegression:
    return train(prepare(data_project, dataset, version), C=C)
