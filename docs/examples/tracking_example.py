"""The README's tracking example, run by the test suite."""

from __future__ import annotations

from pathlib import Path

import mlcycle as mc


def main(workdir: Path) -> list[mc.Run]:
    report = workdir / "report.html"
    report.write_text("<h1>baseline</h1>", encoding="utf-8")

    client = mc.connect()
    project = client.project("churn", kind="ml")
    with project.start_run(name="baseline", stage="model_training") as run:
        run.log_params({"C": 1.0, "penalty": "l2"})
        run.log_metrics({"auc": 0.91, "loss": 0.3}, step=0)
        run.log_metric_series("loss", values=[0.5, 0.4, 0.3], steps=[1, 2, 3])
        run.set_tags({"team": "risk"})
        run.log_artifact(report)

    runs = project.search_runs(
        "metrics.auc > 0.9 and params.penalty = 'l2'", order_by=["metrics.auc desc"], limit=100
    )
    again = client.get_run(runs[0].id)
    assert [p.value for p in again.metrics_history("loss")] == [0.3, 0.5, 0.4, 0.3]
    return runs


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        print(main(Path(d)))
