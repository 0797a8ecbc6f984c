"""Importable pipelines for the schedule tests: the scheduler imports them again by ``module:qualname``."""

from __future__ import annotations

import mlcycle as mc


@mc.step
def double(n: int) -> int:
    return 2 * n


@mc.pipeline
def nightly(n: int = 3) -> int:
    return double(n)


@mc.step
def seen(version: int) -> int:
    return version


@mc.pipeline
def retrain(dataset_version: int = 0) -> int:
    return seen(dataset_version)


@mc.step
def explode(n: int) -> int:
    raise RuntimeError(f"boom {n}")


@mc.pipeline
def broken(n: int = 1) -> int:
    return explode(n)
