"""The wire contract, route by route, on both stores: ids, 404/409/422 semantics, bad input, auth."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from tests.service.helpers import Service, fresh_pg_database, running

from mfstack.service import openapi

SYS = ["metaflow_version:2.19.39", "user:tester", "runtime:dev"]
OTHER_KEY = "second-key-for-rotation"


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def service(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    tmp = tmp_path_factory.mktemp(f"api-{request.param}")
    db = (
        f"sqlite:///{tmp}/m.db"
        if request.param == "sqlite"
        else fresh_pg_database(request.getfixturevalue("pg_dsn"), "mfapi")
    )
    with running(db, tmp, api_keys=("test-key-0123456789", OTHER_KEY), extra=["--max-body", "100000"]) as svc:
        yield svc


@pytest.fixture
def c(service: Service) -> Iterator[httpx.Client]:
    with service.client() as client:
        yield client


def make_run(c: httpx.Client, flow: str, run_id: str | None = None) -> object:
    c.post(f"/flows/{flow}", json={"flow_id": flow})
    body: dict[str, object] = {"flow_id": flow, "user_name": "tester", "tags": ["a"], "system_tags": SYS}
    if run_id:
        body["run_number"] = run_id
    r = c.post(f"/flows/{flow}/run", json=body)
    assert r.status_code == 200, r.text
    return r.json()["run_number"]


def test_ping_and_json_content_type(c: httpx.Client) -> None:
    r = c.get("/ping")
    assert r.status_code == 200 and r.headers["metadata_service_version"] == "2.5.1"
    r = c.get("/flows/NoSuchFlow")
    assert r.status_code == 404 and r.headers["content-type"] == "application/json" and "message" in r.json()


def test_create_flow_twice_is_409_and_get_works(c: httpx.Client) -> None:
    assert c.post("/flows/Twice", json={}).status_code == 200
    assert c.post("/flows/Twice", json={}).status_code == 409
    assert c.get("/flows/Twice").json()["flow_id"] == "Twice"


def test_integer_and_string_ids(c: httpx.Client) -> None:
    number = make_run(c, "Ids")
    assert isinstance(number, int)
    assert make_run(c, "Ids", "my-run.1") == "my-run.1"
    assert c.post("/flows/Ids/run", json={"run_number": "my-run.1"}).status_code == 409
    assert c.get("/flows/Ids/runs/my-run.1").json()["run_number"] == "my-run.1"
    assert c.post("/flows/Ids/runs/my-run.1/steps/start/step", json={}).status_code == 200
    t = c.post("/flows/Ids/runs/my-run.1/steps/start/task", json={"task_id": "t-abc"}).json()
    assert t["task_id"] == "t-abc" and t["run_number"] == "my-run.1"
    assert c.post("/flows/Ids/runs/my-run.1/steps/start/task", json={"task_id": "t-abc"}).status_code == 409
    auto = c.post("/flows/Ids/runs/my-run.1/steps/start/task", json={}).json()["task_id"]
    assert isinstance(auto, int)
    assert c.get(f"/flows/Ids/runs/my-run.1/steps/start/tasks/{auto}").status_code == 200
    assert c.get("/flows/Ids/runs/my-run.1/steps/start/tasks/t-abc").json()["task_id"] == "t-abc"
    runs = c.get("/flows/Ids/runs").json()
    assert {r["run_number"] for r in runs} == {number, "my-run.1"}


def test_run_numbers_are_shared_by_all_flows(c: httpx.Client) -> None:
    a, b = make_run(c, "SeqA"), make_run(c, "SeqB")
    assert isinstance(a, int) and isinstance(b, int) and b > a


def test_missing_parents_are_404(c: httpx.Client) -> None:
    assert c.post("/flows/Ghost/run", json={}).status_code == 404
    make_run(c, "Parents")
    assert c.post("/flows/Parents/runs/999999/steps/s/step", json={}).status_code == 404
    assert c.post("/flows/Parents/runs/99999999999/steps/s/step", json={}).status_code == 404
    assert c.post("/flows/Parents/runs/nope/steps/s/task", json={}).status_code == 404
    for path in ("/runs/999999", "/runs/999999/steps", "/runs/1/steps/nope/tasks", "/runs/999999/artifacts"):
        assert c.get("/flows/Parents" + path).status_code == 404, path
    assert c.post("/flows/Parents/runs/999999/steps/s/tasks/1/metadata", json=[]).status_code == 404
    assert c.post("/flows/Parents/runs/999999/heartbeat", json={}).status_code == 404


def test_heartbeat_answers_a_json_encoded_string(c: httpx.Client) -> None:
    run = make_run(c, "Beat")
    c.post(f"/flows/Beat/runs/{run}/steps/s/step", json={})
    task = c.post(f"/flows/Beat/runs/{run}/steps/s/task", json={}).json()["task_id"]
    for path in (f"/flows/Beat/runs/{run}/heartbeat", f"/flows/Beat/runs/{run}/steps/s/tasks/{task}/heartbeat"):
        for _ in range(2):  # the second one is throttled: still a 200 with the same answer
            r = c.post(path, content="{}")
            assert r.status_code == 200
            assert json.loads(r.json()) == {"wait_time_in_seconds": 10}


def test_metadata_artifacts_attempts_and_filtered_tasks(c: httpx.Client) -> None:
    run = make_run(c, "Data")
    base = f"/flows/Data/runs/{run}/steps/s"
    c.post(base + "/step", json={})
    t1 = c.post(base + "/task", json={}).json()["task_id"]
    t2 = c.post(base + "/task", json={}).json()["task_id"]
    for task, path in ((t1, "0:1"), (t2, "0:2")):
        rows = [
            {"field_name": "foreach-execution-path", "value": path, "type": "t", "tags": ["attempt_id:0"]},
            {"field_name": "foreach-stack", "value": ["i=1"], "type": "foreach-stack", "tags": ["attempt_id:0"]},
        ]
        assert c.post(f"{base}/tasks/{task}/metadata", json=rows).json() == {"metadata_created": 2}
    art = {"location": "/x", "ds_type": "local", "sha": "abc", "type": "metaflow.artifact", "content_type": "pickle-v4"}
    arts = [
        dict(art, name="x", attempt_id=0),
        dict(art, name="x", attempt_id=1, sha="def"),
        dict(art, name="y", attempt_id=0),
    ]
    assert c.post(f"{base}/tasks/{t1}/artifact", json=arts).json() == {"artifacts_created": 3}
    meta = c.get(f"{base}/tasks/{t1}/metadata").json()
    assert {m["field_name"] for m in meta} == {"foreach-execution-path", "foreach-stack"}
    assert next(m for m in meta if m["field_name"] == "foreach-stack")["value"] == '["i=1"]'
    assert meta[0]["tags"] == ["attempt_id:0"]
    latest = c.get(f"{base}/tasks/{t1}/artifacts").json()
    assert [(a["name"], a["attempt_id"]) for a in latest] == [("x", 1)]
    assert latest[0]["tags"] == ["a"] and latest[0]["system_tags"] == SYS
    assert c.get(f"{base}/tasks/{t1}/artifacts/x").json()["sha"] == "def"
    assert c.get(f"{base}/tasks/{t1}/artifacts/x/attempt/0").json()["sha"] == "abc"
    assert {a["name"] for a in c.get(f"{base}/tasks/{t1}/attempt/0/artifacts").json()} == {"x", "y"}
    assert c.get(f"{base}/tasks/{t1}/artifacts/zzz").status_code == 404
    assert c.get(f"/flows/Data/runs/{run}/artifacts").status_code == 200
    hits = c.get(
        f"{base}/filtered_tasks", params={"metadata_field_name": "foreach-execution-path", "pattern": "^(?:0:2)$"}
    ).json()
    assert hits == [f"Data/{run}/s/{t2}"]
    assert len(c.get(f"{base}/filtered_tasks").json()) == 2
    assert c.get(f"{base}/filtered_tasks", params={"metadata_field_name": "f", "pattern": "("}).status_code == 400


def test_tag_mutation_and_system_tags(c: httpx.Client) -> None:
    run = make_run(c, "Tags")
    path = f"/flows/Tags/runs/{run}/tag/mutate"
    r = c.patch(path, json={"tags_to_add": ["b", "c"], "tags_to_remove": ["a"]})
    assert r.status_code == 200 and sorted(r.json()["tags"]) == ["b", "c"]
    refused = c.patch(path, json={"tags_to_add": [], "tags_to_remove": [SYS[0]]})
    assert refused.status_code == 422 and "System tags" in refused.json()["message"]
    assert sorted(c.get(f"/flows/Tags/runs/{run}").json()["tags"]) == ["b", "c"]
    assert c.patch(path, json={"tags_to_add": "b"}).status_code == 400
    assert c.patch("/flows/Tags/runs/999999/tag/mutate", json={}).status_code == 404


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/flows/Bad/run", b"{not json"),
        ("POST", "/flows/Bad/run", b"[1, 2]"),
        ("POST", "/flows/Bad/run", b'{"tags": "x"}'),
        ("POST", "/flows/Bad/run", b'{"tags": [1]}'),
        ("POST", "/flows/Bad/run", b'{"run_number": 12}'),
        ("POST", "/flows/Bad/run", b'{"run_number": "123"}'),
        ("POST", "/flows/Bad/run", b'{"user_name": "' + b"u" * 300 + b'"}'),
        ("POST", "/flows/Bad-Name", b"{}"),
        ("POST", "/flows/1abc", b"{}"),
        ("GET", "/flows/Bad/runs/a%20b", b""),
        ("POST", "/flows/Bad/runs/1/steps/s/tasks/1/metadata", b'[{"field_name": "f"}]'),
        (
            "POST",
            "/flows/Bad/runs/1/steps/s/tasks/1/artifact",
            b'[{"name": "n", "location": "l", "ds_type": "d", "attempt_id": "0"}]',
        ),
        (
            "POST",
            "/flows/Bad/runs/1/steps/s/tasks/1/artifact",
            b'[{"name": "n", "location": "l", "ds_type": "d", "attempt_id": 99999}]',
        ),
        ("GET", "/flows/Bad/runs/1/steps/s/tasks/1/attempt/x/artifacts", b""),
        ("POST", "/flows/Bad/run", b'{"user_name": "a\\u0000b"}'),
    ],
)
def test_bad_input_is_400_with_a_json_message(c: httpx.Client, method: str, path: str, body: bytes) -> None:
    c.post("/flows/Bad", json={})
    r = c.request(method, path, content=body, headers={"content-type": "application/json"})
    assert r.status_code == 400, r.text
    assert isinstance(r.json()["message"], str) and "Traceback" not in r.text


def test_oversize_body_is_413(c: httpx.Client) -> None:
    r = c.post("/flows/Big", content=b'{"user_name": "' + b"x" * 200_000 + b'"}')
    assert r.status_code == 413 and "limit" in r.json()["message"]


def test_unknown_route_and_method_are_json(c: httpx.Client) -> None:
    assert c.get("/nope").status_code == 404 and "message" in c.get("/nope").json()
    r = c.delete("/flows")
    assert r.status_code == 405 and "message" in r.json()


def test_every_route_requires_a_valid_key(service: Service) -> None:
    paths = openapi.document()["paths"]
    with service.client(key=None) as anonymous, service.client(key="wrong") as wrong:
        for path, methods in paths.items():
            concrete = path.format(flow="F", run="1", step="s", task="1", name="n", attempt="0")
            for method in methods:
                for client in (anonymous, wrong):
                    r = client.request(method.upper(), concrete, content=b"{}")
                    assert r.status_code == 403, (method, path, r.status_code)
                    assert r.json()["message"]
    with service.client(key=OTHER_KEY) as rotated:
        assert rotated.get("/flows").status_code == 200
    assert "test-key-0123456789" not in service.log.read_text() and OTHER_KEY not in service.log.read_text()


def test_openapi_matches_the_real_routes(c: httpx.Client) -> None:
    from mfstack.service import routes_read, routes_write

    served = c.get("/openapi.json").json()
    described = {(m.upper(), p) for p, ms in served["paths"].items() for m in ms}
    real = {
        (m, r.path) for r in [*routes_read.ROUTES, *routes_write.ROUTES] for m in (r.methods or set()) if m != "HEAD"
    }
    real.add(("GET", "/openapi.json"))
    assert described == real


def test_schema_status_and_upgrade(c: httpx.Client) -> None:
    status = c.get("/db_schema_status").json()
    assert status["is_up_to_date"] is True and status["current_version"] == status["latest_version"]
    assert c.patch("/upgrade").json()["is_up_to_date"] is True


def test_log_is_structured(service: Service) -> None:
    records = [json.loads(line) for line in service.log.read_text().splitlines() if line.startswith('{"ts":')]
    assert records and all(r["log"] == "access" for r in records)
    assert {"ts", "method", "path", "status", "ms", "client"} <= set(records[-1])
    assert any(r["status"] == 403 for r in records)
