"""The dataset routes over raw HTTP: Parquet upload and download, roles and users, limits, and the JSON bodies.

What a Python client sees is pinned by tests/contract/test_datasets_contract.py; these tests pin the wire.
"""

from __future__ import annotations

import hashlib
import io
from typing import Any

import httpx
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mlcycle.data import content_hash

from .conftest import MAX_ARTIFACT_BYTES, MAX_REQUEST_BYTES, auth

pytestmark = pytest.mark.anyio

TABLE = pa.table(
    {"id": list(range(100)), "plan": ["free", "pro"] * 50, "age": [float(20 + i % 50) for i in range(100)]}
)


def parquet(table: pa.Table = TABLE) -> bytes:
    out = io.BytesIO()
    pq.write_table(table, out)
    return out.getvalue()


async def upload(api: httpx.AsyncClient, secret: str, body: bytes, **params: Any) -> httpx.Response:
    return await api.put("/projects/churn/datasets", content=body, params=params, headers=auth(secret))


@pytest.fixture
async def version(api: httpx.AsyncClient, tokens: dict[str, str]) -> dict[str, Any]:
    await api.post("/projects", json={"name": "churn"}, headers=auth(tokens["alice"]))
    response = await upload(api, tokens["bob"], parquet(), name="customers", source="crm", source_kind="file")
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_upload_is_logged_like_embedded_data_by_the_token_user(
    api: httpx.AsyncClient, tokens: dict[str, str], version: dict[str, Any]
) -> None:
    assert (version["dataset"], version["version"], version["row_count"]) == ("customers", 1, 100)
    assert (version["source"], version["source_kind"], version["created_by"]) == ("crm", "file", "bob")
    assert version["content_hash"] == content_hash(TABLE)
    again = await upload(api, tokens["alice"], parquet(TABLE.combine_chunks()), name="customers")
    assert again.json()["id"] == version["id"]  # equal content, however it was encoded
    bare = (await upload(api, tokens["alice"], parquet(TABLE.slice(0, 10)), name="customers")).json()
    assert (bare["version"], bare["source"], bare["source_kind"], bare["stage"]) == (
        2,
        "",
        "dataframe",
        "data_collection",
    )
    events = (await api.get("/events", params={"project": "churn"}, headers=auth(tokens["vera"]))).json()
    assert [(e["action"], e["user"]) for e in events if e["entity_type"] == "dataset_version"] == [
        ("created", "alice"),
        ("created", "bob"),
    ]


async def test_download_streams_the_parquet_file_with_its_digest(
    api: httpx.AsyncClient, tokens: dict[str, str], version: dict[str, Any]
) -> None:
    response = await api.get(f"/datasets/versions/{version['id']}/parquet", headers=auth(tokens["vera"]))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/vnd.apache.parquet"
    assert response.headers["etag"] == f'"{version["blob_digest"]}"'
    assert hashlib.sha256(response.content).hexdigest() == version["blob_digest"]
    assert response.headers["content-length"] == str(len(response.content))
    assert 'filename="customers-v1.parquet"' in response.headers["content-disposition"]
    assert pq.read_table(io.BytesIO(response.content)).equals(TABLE)
    missing = await api.get(f"/datasets/versions/{'0' * 32}/parquet", headers=auth(tokens["vera"]))
    assert missing.status_code == 404 and missing.json()["error"]["type"] == "NotFound"


async def test_download_records_the_reading_run_for_roles_that_may_write(
    api: httpx.AsyncClient, tokens: dict[str, str], version: dict[str, Any]
) -> None:
    bob, vera, url = auth(tokens["bob"]), auth(tokens["vera"]), f"/datasets/versions/{version['id']}/parquet"

    async def readers() -> list[str]:
        params = {"ref": version["id"], "direction": "down"}
        report = (await api.get("/lineage", params=params, headers=vera)).json()
        return [r["id"] for r in report["consumers"]["runs"]]

    runs = [(await api.post("/runs", json={"project": "churn"}, headers=bob)).json()["id"] for _ in range(2)]
    viewed = await api.get(url, params={"run_id": runs[0]}, headers=vera)
    assert viewed.status_code == 200 and pq.read_table(io.BytesIO(viewed.content)).equals(TABLE)
    assert await readers() == []  # a viewer downloads, and nothing is recorded
    unknown = await api.get(url, params={"run_id": "0" * 32}, headers=vera)
    assert unknown.status_code == 200  # not even checked

    read = await api.get(url, params={"run_id": runs[1], "pipeline_run_id": "0" * 32, "step": "prepare"}, headers=bob)
    assert read.status_code == 200 and read.headers["etag"] == f'"{version["blob_digest"]}"'
    assert await readers() == [runs[1]]  # the unknown pipeline run has no such step: only the run is recorded
    missing = await api.get(url, params={"run_id": "0" * 32}, headers=bob)
    assert missing.status_code == 404 and missing.json()["error"]["message"] == f"no run {'0' * 32!r}"
    for half in ({"pipeline_run_id": "0" * 32}, {"step": "prepare"}):
        bad = await api.get(url, params=half, headers=bob)
        assert bad.status_code == 422 and bad.json()["error"]["message"] == "pipeline_run_id and step go together"
    assert await readers() == [runs[1]]


async def test_reads_by_number_latest_tag_and_id(
    api: httpx.AsyncClient, tokens: dict[str, str], version: dict[str, Any]
) -> None:
    vera, bob = auth(tokens["vera"]), auth(tokens["bob"])
    tagged = await api.put("/projects/churn/datasets/customers/tags/golden", json={"version": 1}, headers=bob)
    assert tagged.json()["tags"] == ["golden"]
    for ref in ("1", "v1", "latest", "golden"):
        got = await api.get(f"/projects/churn/datasets/customers/versions/{ref}", headers=vera)
        assert got.json()["id"] == version["id"], ref
    assert (await api.get(f"/datasets/versions/{version['id']}", headers=vera)).json() == tagged.json()
    listed = (await api.get("/projects/churn/datasets", headers=vera)).json()
    assert [(d["name"], d["versions"], d["tags"]) for d in listed] == [("customers", 1, {"golden": 1})]
    missing = await api.get("/projects/churn/datasets/customers/versions/9", headers=vera)
    assert missing.status_code == 404 and missing.json()["error"]["message"] == "dataset 'customers' has no version 9"


async def test_diff_compares_two_versions(
    api: httpx.AsyncClient, tokens: dict[str, str], version: dict[str, Any]
) -> None:
    smaller = (await upload(api, tokens["bob"], parquet(TABLE.drop_columns(["age"])), name="customers")).json()
    diff = await api.get(f"/datasets/versions/{version['id']}/diff/{smaller['id']}", headers=auth(tokens["vera"]))
    body = diff.json()
    assert (body["a"], body["b"], body["same_content"]) == ("customers@v1", "customers@v2", False)
    assert [c["name"] for c in body["removed"]] == ["age"]


async def test_validate_answers_the_report_or_validation_failed(
    api: httpx.AsyncClient, tokens: dict[str, str], version: dict[str, Any]
) -> None:
    bob, url = auth(tokens["bob"]), f"/datasets/versions/{version['id']}"
    suite = {"name": "s", "expectations": [{"rule": "not_null", "column": "id"}]}
    passed = await api.post(f"{url}/validate", json={"suite": suite}, headers=bob)
    assert passed.status_code == 200 and passed.json()["success"] is True
    assert passed.json()["created_by"] == "bob"

    failing = {"expectations": [{"rule": "range", "column": "age", "max": 30}]}
    failed = await api.post(f"{url}/validate", json={"suite": failing}, headers=bob)
    assert failed.status_code == 422
    error = failed.json()["error"]
    assert error["type"] == "ValidationFailed"
    assert error["details"]["failures"] == [
        {"column": "age", "rule": "range", "failed_count": 78, "sample_values": [31.0, 32.0, 33.0, 34.0, 35.0]}
    ]
    kept = await api.post(f"{url}/validate", json={"suite": failing, "raise_on_failure": False}, headers=bob)
    assert kept.status_code == 200 and kept.json()["success"] is False
    reports = (await api.get(f"{url}/reports", headers=auth(tokens["vera"]))).json()
    assert [r["success"] for r in reports] == [False, False, True]

    custom = {"expectations": [{"rule": "custom", "name": "adults"}]}
    refused = await api.post(f"{url}/validate", json={"suite": custom}, headers=bob)
    assert refused.status_code == 422 and "custom" in refused.json()["error"]["message"]


async def test_reports_checked_by_the_client_are_stored_with_success_recomputed(
    api: httpx.AsyncClient, tokens: dict[str, str], version: dict[str, Any]
) -> None:
    bob, url = auth(tokens["bob"]), f"/datasets/versions/{version['id']}"
    result = {"rule": "custom:adults", "column": "age", "success": False, "failed_count": 3, "sample_values": [12]}
    report = {"success": True, "row_count": 100, "results": [result], "suite": {"name": "s", "expectations": []}}
    stored = await api.post(f"{url}/reports", json={"report": report, "raise_on_failure": False}, headers=bob)
    assert stored.status_code == 200
    assert (stored.json()["success"], stored.json()["created_by"]) == (False, "bob")
    raised = await api.post(f"{url}/reports", json={"report": report}, headers=bob)
    assert raised.json()["error"]["type"] == "ValidationFailed"
    wrong = await api.post(f"{url}/reports", json={"report": report | {"row_count": 5}}, headers=bob)
    assert wrong.status_code == 422 and "covers 5 rows" in wrong.json()["error"]["message"]


async def test_split_answers_the_parts(api: httpx.AsyncClient, tokens: dict[str, str], version: dict[str, Any]) -> None:
    body = {"method": "random", "fractions": [0.7, 0.3], "seed": 3}
    parts = (await api.post(f"/datasets/versions/{version['id']}/split", json=body, headers=auth(tokens["bob"]))).json()
    assert {k: (v["dataset"], v["row_count"], v["parent_version_id"]) for k, v in parts.items()} == {
        "train": ("customers-train", 70, version["id"]),
        "test": ("customers-test", 30, version["id"]),
    }
    bad = await api.post(f"/datasets/versions/{version['id']}/split", json={"seed": -1}, headers=auth(tokens["bob"]))
    assert bad.status_code == 422 and "seed" in bad.json()["error"]["message"]


async def test_viewer_reads_but_cannot_write_datasets(
    api: httpx.AsyncClient, tokens: dict[str, str], version: dict[str, Any]
) -> None:
    vera, url = auth(tokens["vera"]), f"/datasets/versions/{version['id']}"
    assert (await api.get("/projects/churn/datasets/customers/versions", headers=vera)).status_code == 200
    writes = [
        upload(api, tokens["vera"], parquet(TABLE.slice(0, 3)), name="customers"),
        api.put("/projects/churn/datasets/customers/tags/golden", json={"version": 1}, headers=vera),
        api.post(f"{url}/validate", json={"suite": {"expectations": []}}, headers=vera),
        api.post(f"{url}/split", json={}, headers=vera),
    ]
    for write in writes:
        response = await write
        assert response.status_code == 403, response.request.url
        assert response.json()["error"]["type"] == "PermissionDenied"
    assert len((await api.get("/projects/churn/datasets/customers/versions", headers=vera)).json()) == 1


async def test_uploads_that_are_not_parquet_or_too_large_are_refused(
    api: httpx.AsyncClient, tokens: dict[str, str], version: dict[str, Any]
) -> None:
    garbage = await upload(api, tokens["bob"], b"id,plan\n1,free\n", name="csv")
    assert garbage.status_code == 422
    assert garbage.json()["error"]["message"].startswith("the request body cannot be read as parquet")
    unnamed = await upload(api, tokens["bob"], parquet())
    assert unnamed.status_code == 422 and unnamed.json()["error"]["details"]["errors"][0]["loc"] == "query.name"

    big = pa.table({"x": pa.array(range(MAX_REQUEST_BYTES), pa.int64())})  # well over the JSON limit
    body = parquet(big)
    assert MAX_REQUEST_BYTES < len(body) < MAX_ARTIFACT_BYTES
    assert (await upload(api, tokens["bob"], body, name="big")).status_code == 200  # the artifact limit applies
    too_big = await upload(api, tokens["bob"], b"x" * (MAX_ARTIFACT_BYTES + 1), name="huge")
    assert too_big.status_code == 413 and too_big.json()["error"]["details"] == {"limit": MAX_ARTIFACT_BYTES}
    listed = (await api.get("/projects/churn/datasets", headers=auth(tokens["bob"]))).json()
    assert [(d["name"], d["versions"]) for d in listed] == [("big", 1), ("customers", 1)]
