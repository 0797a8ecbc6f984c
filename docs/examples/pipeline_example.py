"""The pipelines guide's example (docs/pipelines.md), run by the test suite."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

import mlcycle as mc
from mlcycle.pipelines import PipelineRun


@mc.step(stage="data_collection")
def load(n: int) -> pd.DataFrame:
    df = load_breast_cancer(as_frame=True).frame
    return df.head(n)


@mc.step(stage="data_preparation")
def split(df: pd.DataFrame, test_size: float = 0.25) -> tuple[pd.DataFrame, pd.DataFrame]:
    train, test = train_test_split(df, test_size=test_size, random_state=0, stratify=df["target"])
    return train, test


@mc.step(deps=["scikit-learn"])
def train(df: pd.DataFrame, C: float = 1.0) -> LogisticRegression:
    model = LogisticRegression(C=C, max_iter=5000)
    return model.fit(df.drop(columns="target"), df["target"])


@mc.step(stage="model_evaluation")
def evaluate(model: LogisticRegression, df: pd.DataFrame) -> dict[str, float]:
    accuracy = float(model.score(df.drop(columns="target"), df["target"]))
    run = mc.active_run()  # the pipeline run's tracking run
    if run is not None:
        run.log_metrics({"accuracy": accuracy})
    return {"accuracy": accuracy}


@mc.step(stage="model_evaluation", cache=False)
def report(metrics: dict[str, float], folder: str) -> Path:
    path = Path(folder) / "report.md"
    path.write_text(f"# Evaluation\n\naccuracy: {metrics['accuracy']:.3f}\n", encoding="utf-8")
    return path


@mc.pipeline
def training(n: int = 400, C: float = 1.0, folder: str = ".") -> tuple[LogisticRegression, Path]:
    train_df, test_df = split(load(n))
    model = train(train_df, C=C)
    return model, report(evaluate(model, test_df), folder)


def main(workdir: Path) -> PipelineRun:
    prun = training.run(project="churn", n=400, C=0.5, folder=str(workdir), progress=False)
    print(prun.id, prun.status)
    for s in prun.steps:
        print(f"{s.name:10} {s.status:10} cached={s.cached} {s.duration:.3f}s")
    model, report_file = prun.output()
    assert isinstance(model, LogisticRegression)
    assert report_file.read_text().startswith("# Evaluation")

    again = training.run(project="churn", n=400, C=0.5, folder=str(workdir), progress=False)
    assert again.cached_steps == ["load", "split", "train", "evaluate"]  # report has cache=False

    changed = training.run(project="churn", n=400, C=0.1, folder=str(workdir), progress=False)
    assert [s.name for s in changed.steps if not s.cached] == ["train", "evaluate", "report"]

    run = mc.connect().get_run(changed.run_id or "")
    assert 0.8 < run.metrics["accuracy"] <= 1.0 and run.params["C"] == "0.1"
    return changed


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        main(Path(d))
