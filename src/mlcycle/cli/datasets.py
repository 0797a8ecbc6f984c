"""``mlcycle datasets``: list datasets, show a version (schema, profile, tags, lineage), diff two versions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from mlcycle.cli import output as out
from mlcycle.cli.connection import open_client

if TYPE_CHECKING:
    from mlcycle.data.models import ColumnProfile, DatasetDiff, DatasetVersion

app = typer.Typer(rich_markup_mode=None, help="List, show and diff dataset versions.", no_args_is_help=True)

ProjectArg = Annotated[str, typer.Argument(help="Project name or id.")]
NameArg = Annotated[str, typer.Argument(help="Dataset name.")]
MAX_TOP = 3


@app.command("list")
def list_datasets(project: ProjectArg, json_output: out.JsonFlag = False) -> None:
    """List the datasets of PROJECT with their latest version, row count and tags."""
    with open_client() as client:
        infos = client.get_project(project).datasets()
    if json_output:
        out.print_json(infos)
        return
    if not infos:
        out.console().print(f"No datasets in project {out.text(project)}. Log one with `project.log_dataset(...)`.")
        return
    t = out.table("name", "versions", "latest", "rows", "tags", "updated", "created by")
    for d in infos:
        t.add_row(
            out.text(d.name),
            str(d.versions),
            f"v{d.latest_version}" if d.latest_version else out.MISSING,
            f"{d.latest_row_count:,}" if d.latest_row_count is not None else out.MISSING,
            out.text(", ".join(f"{k}=v{v}" for k, v in d.tags.items())) or out.MISSING,
            out.format_ts(d.latest_created_at),
            out.text(d.created_by),
        )
    out.print_table(t)


@app.command("show")
def show_dataset(
    project: ProjectArg,
    name: NameArg,
    version: Annotated[str, typer.Option("--version", "-v", help="Version number, 'latest' or a tag.")] = "latest",
    json_output: out.JsonFlag = False,
) -> None:
    """Show one version of dataset NAME: provenance, schema, profile, tags and the other versions."""
    with open_client() as client:
        ds = client.get_project(project).dataset(name, version)
        parent = ds.parent()
        versions = [v.info for v in ds.versions()]
    info = ds.info
    if json_output:
        out.print_json(
            {
                **info.model_dump(),
                "parent": parent.info.ref if parent else None,
                "versions": [{"version": v.version, "id": v.id, "row_count": v.row_count} for v in versions],
            }
        )
        return
    c = out.console()
    fields = out.table("field", "value", title=f"Dataset {out.text(info.ref)}")
    for key, value in [
        ("id", info.id),
        ("rows", f"{info.row_count:,}"),
        ("columns", str(len(info.columns))),
        ("stage", info.stage),
        ("source", out.text(info.source) or out.MISSING),
        ("source kind", info.source_kind),
        ("derived from", out.text(f"{parent.info.ref} ({parent.id})") if parent else out.MISSING),
        ("run", info.run_id or out.MISSING),
        ("tags", out.text(", ".join(info.tags)) or out.MISSING),
        ("content hash", info.content_hash),
        ("created", out.format_ts(info.created_at)),
        ("created by", out.text(info.created_by)),
    ]:
        fields.add_row(key, value)
    out.print_table(fields, c)
    c.print()
    _render_profile(info)
    c.print()
    t = out.table("version", "rows", "created", "tags", title="Versions")
    for v in versions:
        current = " (shown)" if v.id == info.id else ""
        t.add_row(
            f"v{v.version}{current}", f"{v.row_count:,}", out.format_ts(v.created_at), out.text(", ".join(v.tags))
        )
    out.print_table(t, c)


def _render_profile(info: DatasetVersion) -> None:
    t = out.table("column", "type", "kind", "nullable", "count", "nulls", "unique", "min", "max", "mean", "std",
                  "p50", "top values", title="Schema and profile")  # fmt: skip
    for col in info.columns:
        p = info.profile.get(col.name)
        t.add_row(out.text(col.name), out.text(col.type), col.kind, "yes" if col.nullable else "no", *_stats(p))
    out.print_table(t)


def _stats(p: ColumnProfile | None) -> list[str]:
    if p is None:
        return [out.MISSING] * 9
    top = ", ".join(f"{v.value}: {v.count:,}" for v in (p.top or [])[:MAX_TOP])
    if p.top and len(p.top) > MAX_TOP:
        top += ", …"
    median = (p.quantiles or {}).get("p50")
    return [
        f"{p.count:,}",
        f"{p.null_count:,}",
        f"{p.n_unique:,}" if p.n_unique is not None else out.MISSING,
        _value(p.min),
        _value(p.max),
        _value(p.mean),
        _value(p.std),
        _value(median),
        out.text(top) or out.MISSING,
    ]


def _value(v: Any) -> str:
    if v is None:
        return out.MISSING
    if isinstance(v, float):
        return out.format_metric(v, short=True)
    return out.text(v)


@app.command("diff")
def diff_datasets(
    project: ProjectArg,
    name: NameArg,
    v1: Annotated[str, typer.Argument(help="The version to compare from: a number, 'latest' or a tag.")],
    v2: Annotated[str, typer.Argument(help="The version to compare to.")],
    json_output: out.JsonFlag = False,
) -> None:
    """Show what changed from version V1 to V2 of dataset NAME: columns, types, nullability, rows, statistics."""
    with open_client() as client:
        p = client.get_project(project)
        d = p.dataset(name, v1).diff(p.dataset(name, v2))
    if json_output:
        out.print_json(d)
        return
    _render_diff(d)


def _render_diff(d: DatasetDiff) -> None:
    c = out.console()
    c.print(f"{out.text(d.a)} → {out.text(d.b)}: " + ("same content" if d.same_content else "content differs"))
    delta = d.row_count.delta or 0
    c.print(f"rows: {d.row_count.before:,} → {d.row_count.after:,} ({delta:+,.0f})")
    if not d.schema_changed:
        c.print("schema: unchanged")
    for col in d.added:
        c.print(f"[green]+ {out.text(col.name)}[/] ({out.text(col.type)})")
    for col in d.removed:
        c.print(f"[red]- {out.text(col.name)}[/] ({out.text(col.type)})")
    for name, ch in d.type_changed.items():
        c.print(f"[yellow]~ {out.text(name)}[/] type {out.text(ch.before)} → {out.text(ch.after)}")
    for name, ch in d.nullability_changed.items():
        before, after = ("nullable" if x else "not null" for x in (ch.before, ch.after))
        c.print(f"[yellow]~ {out.text(name)}[/] {before} → {after}")
    if not d.profile:
        c.print("profile: unchanged")
        return
    c.print()
    t = out.table("column", "statistic", "before", "after", "delta", title="Profile changes")
    for column, stats in d.profile.items():
        for stat, ch in stats.items():
            t.add_row(
                out.text(column),
                stat,
                _value(ch.before),
                _value(ch.after),
                out.format_metric(ch.delta, short=True) if ch.delta is not None else out.MISSING,
            )
    out.print_table(t, c)
