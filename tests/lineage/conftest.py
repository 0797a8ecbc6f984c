"""Fixtures for the lineage tests: the scenario of :mod:`tests.lineage.scenario`, built once for the package."""

from __future__ import annotations

import pytest

from tests.lineage.scenario import Scenario, build


@pytest.fixture(scope="package")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    return build(tmp_path_factory.mktemp("lineage"))
