"""``mlcycle demo``: the whole lifecycle, end to end, on embedded defaults."""

from __future__ import annotations

import importlib

from mlcycle.cli import output as out


def demo() -> None:
    """Run the whole lifecycle end to end on embedded defaults.

    A scikit-learn model and an LLM app go through every stage, ending with the maturity report. No server,
    network or credentials are needed.
    """
    run_demo = importlib.import_module("mlcycle.demo").run_demo
    run_demo(out.console())
