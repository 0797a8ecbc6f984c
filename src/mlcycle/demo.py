"""``mlcycle demo``: the lifecycle end to end on embedded defaults, with no network and no credentials.

This version covers problem definition, tracked training of two scikit-learn models with autolog, their
evaluation on held-out data, and the comparison. Each later capability extends this same command.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from mlcycle.client import sklearn as autolog_sklearn
from mlcycle.client.api import Client, Run, connect

PROJECT = "breast-cancer"


def run_demo(console: Console | None = None, *, client: Client | None = None) -> dict[str, Any]:
    """Run the demo and return what it made (project name and run ids), for tests and scripts."""
    console = console or Console()
    client = client or connect()
    from sklearn.datasets import load_breast_cancer
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score, roc_auc_score
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    console.rule("[bold]mlcycle demo[/bold]: a classifier through the lifecycle")
    project = client.project(PROJECT, kind="ml", description="Classify breast tumours as malignant or benign.")
    console.print(f"project [bold]{project.name}[/bold] ({project.kind})")

    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
    console.print(f"data: scikit-learn's bundled breast-cancer set, {len(X)} rows x {X.shape[1]} features")

    autolog_sklearn.autolog(project=PROJECT, client=client)
    candidates = {
        "logistic-regression": make_pipeline(StandardScaler(), LogisticRegression(C=0.5, max_iter=1000)),
        "random-forest": RandomForestClassifier(n_estimators=100, max_depth=5, random_state=0),
    }
    runs: list[Run] = []
    try:
        for name, model in candidates.items():
            with project.start_run(name=name, stage="model_training", tags={"demo": "true"}) as run:
                model.fit(X_train, y_train)
                proba = model.predict_proba(X_test)[:, 1]
                run.log_metrics(
                    {
                        "test_roc_auc": float(roc_auc_score(y_test, proba)),
                        "test_accuracy": float(accuracy_score(y_test, proba > 0.5)),
                    }
                )
            runs.append(run.refresh())
            console.print(f"  trained [cyan]{name}[/cyan] -> run {run.id[:8]}")
    finally:
        autolog_sklearn.autolog(disable=True)

    best = project.search_runs("tags.demo = 'true'", order_by=["metrics.test_roc_auc desc"], limit=1)[0]
    _compare(console, runs, best)
    settings = client.settings
    console.print()
    console.print(f"metadata store: [bold]{settings.resolved_store_url}[/bold]")
    console.print(f"artifacts:      [bold]{settings.resolved_artifacts_url}[/bold]")
    console.print("browse it with:")
    for cmd in (
        f"mlcycle runs list {PROJECT}",
        f"mlcycle runs compare {' '.join(r.id for r in runs)}",
        f"mlcycle lifecycle {PROJECT}",
        "mlcycle events --limit 20",
        "mlcycle server --no-auth   # then open http://127.0.0.1:5000/docs",
    ):
        console.print(f"  [green]{cmd}[/green]")
    return {"project": PROJECT, "runs": [r.id for r in runs], "best": best.id}


def _compare(console: Console, runs: list[Run], best: Run) -> None:
    table = Table(title="candidates (held-out test set)")
    table.add_column("run")
    table.add_column("model")
    for key in ("test_roc_auc", "test_accuracy", "training_roc_auc"):
        table.add_column(key, justify="right")
    for run in runs:
        marker = " *" if run.id == best.id else ""
        table.add_row(
            run.id[:8],
            run.name + marker,
            *(f"{run.metrics.get(k, float('nan')):.4f}" for k in ("test_roc_auc", "test_accuracy", "training_roc_auc")),
        )
    console.print(table)
    console.print(f"best by test_roc_auc: [bold]{best.name}[/bold] (*)")
