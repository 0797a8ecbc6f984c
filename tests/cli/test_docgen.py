from __future__ import annotations

from pathlib import Path

from mlcycle.cli.docgen import render_markdown

DOC = Path(__file__).resolve().parents[2] / "docs" / "cli.md"


def test_cli_reference_is_up_to_date() -> None:
    assert DOC.read_text(encoding="utf-8") == render_markdown(), (
        "docs/cli.md is out of date; regenerate it with `python -m mlcycle.cli.docgen > docs/cli.md`"
    )


def test_every_command_is_documented() -> None:
    text = render_markdown()
    for path in (
        "mlcycle runs list",
        "mlcycle runs show",
        "mlcycle runs compare",
        "mlcycle projects list",
        "mlcycle tokens create",
        "mlcycle tokens revoke",
        "mlcycle tokens list",
        "mlcycle db upgrade",
        "mlcycle db current",
        "mlcycle events",
        "mlcycle lifecycle",
        "mlcycle lineage",
        "mlcycle server",
        "mlcycle demo",
        "mlcycle datasets list",
        "mlcycle datasets show",
        "mlcycle datasets diff",
        "mlcycle pipelines list",
        "mlcycle pipelines runs",
        "mlcycle pipelines show",
        "mlcycle pipelines resume",
        "mlcycle pipelines pause-schedule",
        "mlcycle pipelines resume-schedule",
        "mlcycle pipelines schedule",
        "mlcycle pipelines schedules",
        "mlcycle pipelines unschedule",
        "mlcycle scheduler run",
    ):
        assert f"`{path}`" in text
    assert "\x1b[" not in text  # no terminal escapes
