from __future__ import annotations

import pytest

from mlcycle.core import catalog
from mlcycle.core.errors import InvalidInput


def test_shipped_catalog_has_15_core_stages_two_optional_ones_and_governance() -> None:
    stages = catalog.stages_in_flow_order()
    assert stages[-1].id == "governance" and stages[-1].cross_cutting
    flow = [s for s in stages if not s.cross_cutting]
    assert len([s for s in flow if not s.optional]) == 15
    assert sorted(s.id for s in flow if s.optional) == ["fine_tuning", "llm_pretraining"]


def test_flow_order_is_entry_ml_llm_exit() -> None:
    ids = list(catalog.stage_ids())
    assert ids[:3] == ["problem_definition", "data_collection", "solution_approach"]
    assert ids[3:6] == ["data_preparation", "model_training", "model_evaluation"]
    assert ids[6] == "foundation_model_selection"
    assert ids.index("guardrails") < ids.index("model_registry")
    assert ids[-5:-1] == ["model_registry", "deployment", "monitoring", "continuous_improvement"]


def test_unknown_stage_is_invalid_input_with_did_you_mean() -> None:
    with pytest.raises(InvalidInput) as info:
        catalog.check_stage("model_trainig")
    assert "did you mean 'model_training'?" in (info.value.hint or "")


def test_roles_are_catalog_roles_plus_admin_and_viewer() -> None:
    roles = catalog.role_ids()
    assert {"admin", "viewer", "data_scientist", "ml_engineer", "risk_compliance"} <= set(roles)
    with pytest.raises(InvalidInput):
        catalog.check_role("data_scientst")


def test_catalog_validation_rejects_dangling_next_stage() -> None:
    raw = catalog.load_catalog().model_dump()
    raw["lifecycle_stages"][0]["next"] = ["no_such_stage"]
    with pytest.raises(ValueError, match="unknown next stages"):
        catalog.Catalog.model_validate(raw)
