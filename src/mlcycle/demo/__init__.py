"""``mlcycle demo``: the lifecycle end to end on embedded defaults, with no network and no credentials.

This version covers problem definition, data collection (a versioned dataset), data preparation (validation
against inferred expectations, a seeded stratified split), and model training and evaluation through a cached
pipeline that trains two scikit-learn models with autolog and compares them. Running it again finds the same
dataset versions and serves every pipeline step from the cache. Each later capability extends this command.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from mlcycle.client import sklearn as autolog_sklearn
from mlcycle.client.api import Client, Dataset, Run, connect

PROJECT = "breast-cancer"
DATASET = "breast-cancer"


def run_demo(console: Console | None = None, *, client: Client | None = None) -> dict[str, Any]:
    """Run the demo and return what it made (ids of datasets, the pipeline run and the runs), for tests."""
    console = console or Console()
    client = client or connect()
    console.rule("[bold]mlcycle demo[/bold]: a classifier through the lifecycle")
    project = client.project(PROJECT, kind="ml", description="Classify breast tumours as malignant or benign.")
    console.print(f"[bold]problem[/bold]    project {project.name} ({project.kind}): {project.info.description}")

    raw, parts = _prepare_data(console, project)
    try:
        prun = _train(console, project, parts)
    finally:
        autolog_sklearn.autolog(disable=True)

    result = prun.output()
    runs = _latest_candidates(project)
    _compare(console, runs, result)
    _where(console, client, runs)
    return {
        "project": PROJECT,
        "dataset_version": raw.id,
        "splits": {k: v.id for k, v in parts.items()},
        "pipeline_run": prun.id,
        "cached_steps": prun.cached_steps,
        "steps": [s.name for s in prun.steps],
        "runs": [r.id for r in runs],
        "best": result["best"],
    }


def _prepare_data(console: Console, project: Any) -> tuple[Dataset, dict[str, Dataset]]:
    from sklearn.datasets import load_breast_cancer

    from mlcycle.data import infer_expectations

    frame = load_breast_cancer(as_frame=True).frame
    raw = project.log_dataset(
        DATASET, frame, stage="data_collection", source="sklearn.datasets.load_breast_cancer (bundled)"
    )
    console.print(
        f"[bold]data[/bold]       {raw.info.ref}: {raw.info.row_count} rows x {len(raw.info.columns)} columns, "
        f"content {raw.info.content_hash[:12]}"
    )
    suite = infer_expectations(raw)
    report = raw.validate(suite)
    console.print(f"[bold]validate[/bold]   {len(report.results)} expectations inferred and checked: all passed")
    parts = raw.split(method="stratified", stratify_by="target", fractions=(0.7, 0.15, 0.15), seed=0)
    console.print(
        "[bold]split[/bold]      stratified, seed 0: "
        + ", ".join(f"{k} {v.info.ref} ({v.info.row_count} rows)" for k, v in parts.items())
    )
    return raw, parts


def _train(console: Console, project: Any, parts: dict[str, Dataset]) -> Any:
    from mlcycle.demo.flow import training

    console.print("[bold]train[/bold]      pipeline 'training': two candidates in parallel, each in a child run")
    prun = training.run(
        project=project.name,
        project_name=project.name,
        dataset=DATASET,
        train_version=parts["train"].version,
        validation_version=parts["validation"].version,
        progress=console.is_terminal,
    )
    table = Table(title=f"pipeline run {prun.id[:8]} ({prun.status})")
    for col in ("step", "status", "cache hit", "seconds"):
        table.add_column(col, justify="right" if col == "seconds" else "left")
    for s in prun.steps:
        table.add_row(s.name, s.status, "yes" if s.cached else "no", f"{s.duration:.3f}")
    console.print(table)
    if len(prun.cached_steps) == len(prun.steps):
        console.print("every step was a cache hit: same data versions, same code, same parameters")
    return prun


def _latest_candidates(project: Any) -> list[Run]:
    """The newest child run of each candidate (a fully cached pipeline run trains nothing new)."""
    newest: dict[str, Run] = {}
    for run in project.search_runs("tags.demo = 'true'", order_by=["start_time desc"], limit=100):
        newest.setdefault(run.name, run)
    return sorted(newest.values(), key=lambda r: r.name)


def _compare(console: Console, runs: list[Run], result: dict[str, Any]) -> None:
    table = Table(title="candidates (validation split)")
    table.add_column("run")
    table.add_column("model")
    for key in ("val_roc_auc", "val_accuracy", "training_roc_auc"):
        table.add_column(key, justify="right")
    for run in runs:
        scores = result["scores"].get(run.name, {})
        marker = " *" if run.name == result["best"] else ""
        table.add_row(
            run.id[:8],
            run.name + marker,
            f"{scores.get('val_roc_auc', float('nan')):.4f}",
            f"{scores.get('val_accuracy', float('nan')):.4f}",
            f"{run.metrics.get('training_roc_auc', float('nan')):.4f}",
        )
    console.print(table)
    console.print(f"best by val_roc_auc: [bold]{result['best']}[/bold] (*)")


def _where(console: Console, client: Client, runs: list[Run]) -> None:
    settings = client.settings
    console.print()
    console.print(f"metadata store: [bold]{settings.resolved_store_url}[/bold]")
    console.print(f"artifacts:      [bold]{settings.resolved_artifacts_url}[/bold]")
    console.print("browse it with:")
    for cmd in (
        f"mlcycle datasets list {PROJECT}",
        f"mlcycle pipelines runs {PROJECT}",
        f"mlcycle runs list {PROJECT}",
        f"mlcycle runs compare {' '.join(r.id for r in runs)}",
        *(f"mlcycle lineage {r.id}:model/model.skops" for r in runs[:1]),
        f"mlcycle lifecycle {PROJECT}",
        "mlcycle events --limit 20",
        "mlcycle server --no-auth   # then open http://127.0.0.1:5000/docs",
    ):
        console.print(f"  [green]{cmd}[/green]")
