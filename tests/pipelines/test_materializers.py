"""Step outputs as artifacts: each supported kind round-trips; unknown kinds and unsafe models are refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import FunctionTransformer

from mlcycle.artifacts import BlobStore
from mlcycle.core.errors import InvalidInput, PermissionDenied
from mlcycle.pipelines.materializers import Materializer, OutputRef, load_value, register_materializer, save_value


@pytest.fixture
def blobs(tmp_path: Path) -> BlobStore:
    return BlobStore(tmp_path / "blobs")


def roundtrip(value: Any, blobs: BlobStore, **kw: Any) -> tuple[OutputRef, Any]:
    ref = save_value(value, blobs, step="s")
    return ref, load_value(ref, blobs, **kw)


def test_dataframe_as_parquet(blobs: BlobStore) -> None:
    df = pd.DataFrame({"a": [1, 2, 3], "b": ["x", "y", None]}, index=[10, 11, 12])
    ref, back = roundtrip(df, blobs)
    assert ref["materializer"] == "pandas" and ref["type"].endswith("DataFrame")
    assert blobs.get_bytes(ref["digest"])[:4] == b"PAR1"
    pd.testing.assert_frame_equal(back, df)


def test_arrow_table_as_parquet(blobs: BlobStore) -> None:
    table = pa.table({"a": [1, 2], "b": [0.5, None]})
    ref, back = roundtrip(table, blobs)
    assert ref["materializer"] == "arrow" and back.equals(table)


def test_numpy_array_without_pickle(blobs: BlobStore) -> None:
    arr = np.arange(12, dtype=np.float32).reshape(3, 4)
    ref, back = roundtrip(arr, blobs)
    assert ref["materializer"] == "numpy" and back.dtype == np.float32
    np.testing.assert_array_equal(back, arr)
    with pytest.raises(InvalidInput, match=r"step 's'.*cannot be stored without pickle"):
        save_value(np.array([object()]), blobs, step="s")


def test_sklearn_model_with_skops(blobs: BlobStore) -> None:
    X = np.array([[0.0], [1.0], [2.0], [3.0]])
    y = np.array([0, 0, 1, 1])
    model = LogisticRegression().fit(X, y)
    ref, back = roundtrip(model, blobs)
    assert ref["materializer"] == "sklearn"
    np.testing.assert_array_equal(back.predict(X), model.predict(X))


def _double(x: Any) -> Any:
    return x * 2


def test_models_with_untrusted_types_need_trust(blobs: BlobStore) -> None:
    model = FunctionTransformer(_double)  # refers to a function of this test module
    ref = save_value(model, blobs, step="s")
    with pytest.raises(PermissionDenied, match=r"test_materializers\._double") as info:
        load_value(ref, blobs)
    assert "trust=True" in (info.value.hint or "")
    assert load_value(ref, blobs, trust=True).transform(np.array([[2.0]]))[0][0] == 4.0


def test_json_values(blobs: BlobStore) -> None:
    value = {"a": [1, 2.5, None, True, "x"], "b": {"c": []}}
    ref, back = roundtrip(value, blobs)
    assert ref["materializer"] == "json" and back == value
    assert roundtrip(3.5, blobs)[1] == 3.5
    assert roundtrip(None, blobs)[1] is None


def test_files_come_back_under_their_name(blobs: BlobStore, tmp_path: Path) -> None:
    path = tmp_path / "report.html"
    path.write_text("<h1>hi</h1>")
    ref, back = roundtrip(path, blobs)
    assert ref["materializer"] == "file" and ref["filename"] == "report.html"
    assert back.name == "report.html" and back.read_text() == "<h1>hi</h1>"
    with pytest.raises(InvalidInput, match="not an existing file"):
        save_value(tmp_path / "missing.txt", blobs, step="s")


def test_unknown_types_are_refused_with_the_step_and_type(blobs: BlobStore) -> None:
    class Opaque:
        pass

    with pytest.raises(InvalidInput, match=r"step 'train' returned a .*Opaque, which mlcycle does not know") as info:
        save_value(Opaque(), blobs, step="train")
    assert "register a Materializer" in (info.value.hint or "")
    with pytest.raises(InvalidInput, match="does not know how to store"):
        save_value({"a": {1, 2}}, blobs, step="s")  # a set is not JSON


def test_a_registered_materializer_takes_precedence(blobs: BlobStore) -> None:
    class Text(Materializer):
        name = "test-text"

        def handles(self, value: Any) -> bool:
            return isinstance(value, str) and value.startswith("text:")

        def save(self, value: Any, blobs: BlobStore) -> OutputRef:
            ref = blobs.put_bytes(value.encode())
            return {"digest": ref.digest, "size": ref.size}

        def load(self, ref: OutputRef, blobs: BlobStore, *, trust: bool) -> Any:
            return blobs.get_bytes(ref["digest"]).decode()

    from mlcycle.pipelines import materializers

    register_materializer(Text())
    try:
        ref, back = roundtrip("text:hello", blobs)
        assert ref["materializer"] == "test-text" and back == "text:hello"
        with pytest.raises(InvalidInput, match="already registered"):
            register_materializer(Text())
    finally:
        materializers._REGISTRY[:] = [m for m in materializers._REGISTRY if m.name != "test-text"]
