"""The lineage guide's example (docs/lineage.md), run by the test suite."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression

import mlcycle as mc
from mlcycle.lineage import LineageReport


@mc.step(stage="data_preparation")
def load_split(data_project: str, dataset: str) -> pd.DataFrame:
    # Loading inside a step records the read: dataset version -> this step run and the pipeline's tracking run.
    frame: pd.DataFrame = mc.connect().project(data_project).dataset(dataset).load()
    return frame


@mc.step(deps=["scikit-learn"])
def train(df: pd.DataFrame, C: float = 1.0) -> LogisticRegression:
    model = LogisticRegression(C=C, max_iter=5000)
    return model.fit(df.drop(columns="target"), df["target"])


@mc.pipeline
def training(data_project: str = "churn", dataset: str = "customers-train", C: float = 1.0) -> LogisticRegression:
    return train(load_split(data_project, dataset), C=C)


def main(workdir: Path) -> LineageReport:
    client = mc.connect()
    project = client.project("churn")
    raw = project.log_dataset("customers", load_breast_cancer(as_frame=True).frame)
    parts = raw.split(method="stratified", stratify_by="target", seed=42)
    prun = training.run(project="churn", C=0.5, progress=False)

    # Upstream: what produced the model? (the same as `mlcycle lineage RUN_ID:pipeline/train/output.skops`)
    report = client.lineage(f"{prun.run_id}:pipeline/train/output.skops")
    p = report.provenance
    assert p is not None
    print([d.ref for d in p.datasets])  # ['customers-train@v1', 'customers@v1']
    print(p.pipeline_runs[0].pipeline, p.pipeline_runs[0].params)  # training {'C': 0.5, ...}
    print(p.commits)  # the git commit the pipeline ran from, when run inside a repository
    assert [d.id for d in p.datasets] == [parts["train"].id, raw.id]
    assert p.pipeline_runs[0].id == prun.id and p.runs[0].id == prun.run_id

    # Downstream: what was made from the raw data?
    down = client.lineage("churn/customers@v1", direction="down")
    assert down.consumers is not None
    print({d.ref for d in down.consumers.datasets})  # the three splits
    print([(m.paths[0].run_id, m.paths[0].path) for m in down.consumers.models])
    assert [pr.id for pr in down.consumers.pipeline_runs] == [prun.id]
    assert report.root.id in {m.digest for m in down.consumers.models}
    return report


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        main(Path(d))
