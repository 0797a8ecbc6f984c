"""The data guide's example (docs/data.md), run by the test suite."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

import mlcycle as mc


def main(workdir: Path) -> dict[str, mc.data.DatasetVersion]:
    rng = np.random.default_rng(0)
    customers = pd.DataFrame(
        {
            "customer_id": np.arange(1_000),
            "age": rng.integers(18, 90, 1_000),
            "plan": rng.choice(["free", "pro", "team"], 1_000),
            "signed_up": pd.date_range("2024-01-01", periods=1_000, freq="h"),
            "churned": rng.random(1_000) < 0.2,
        }
    )
    csv = workdir / "customers.csv"
    customers.to_csv(csv, index=False)

    project = mc.connect().project("churn")

    # 1. Version: from a file (the source is recorded) or a DataFrame. Equal content is stored once.
    raw = project.log_dataset("customers", csv)
    again = project.log_dataset("customers", csv)
    assert again.id == raw.id and raw.version == 1
    print(raw.info.row_count, [(c.name, c.kind) for c in raw.info.columns])
    print(raw.info.profile["age"].quantiles)

    # 2. Validate: infer expectations from a reference version, add your own, check a new version.
    suite = mc.data.infer_expectations(raw, range_margin=0.1)
    suite.add(mc.data.Custom("adults_only", lambda df: df["age"] >= 18, column="age"))
    raw.validate(suite)  # stored report; passes

    bad = customers.assign(age=customers["age"].where(customers.index % 100 != 0, -1))
    current = project.log_dataset("customers", bad, stage="data_preparation", source="crm export 2024-06")
    try:
        current.validate(suite)
    except mc.ValidationFailed as exc:
        print(exc.message)  # names the columns, rules and sample values
        assert exc.details["failures"][0]["column"] == "age"
    report = current.validate(suite, raise_on_failure=False)
    assert not report.success

    # 3. Compare versions, tag the good one, load it back.
    diff = raw.diff(current)
    print(diff.profile["age"]["min"])
    raw.tag("golden")
    golden = project.dataset("customers", "golden")
    df = golden.load()  # pandas; golden.load(as_="arrow") gives a pyarrow Table
    assert len(df) == 1_000

    # 4. Split deterministically; each part is a version of customers-train/-validation/-test.
    parts = golden.split(method="stratified", stratify_by="churned", fractions=(0.8, 0.1, 0.1), seed=42)
    assert parts["train"].parent().id == golden.id  # type: ignore[union-attr]
    print({name: part.info.row_count for name, part in parts.items()})
    return {name: part.info for name, part in parts.items()}


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        main(Path(d))
