"""The stack tool on a private stack of its own (other ports, other directory), so that
stopping servers here never disturbs the shared stack the rest of the suite uses."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import tempfile
import subprocess
import sys
from tests.ports import unused_port
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from deploy.local.stack import pid_alive
from services.runtime.http.app import create_app
from services.tools.main import all_modules


def free_port() -> int:
    return unused_port()  # not from the ephemeral range: see tests/ports.py


def run_stack(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "services.tools.cli", "stack", *args], env=env, capture_output=True,
                          text=True, timeout=300)


def pids_of(root: Path) -> list[int]:
    """Every live process whose command line mentions the private stack's directory."""
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                cmd = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
            except OSError:
                continue
            if str(root) in cmd and state != "Z":
                found.append(int(proc.name))
    return found


@pytest.fixture(scope="module")
def private_stack() -> Iterator[dict[str, str]]:
    # Not under pytest's tmp_path: pytest keeps /tmp/pytest-of-<user> private (0700)
    # and resets that whenever a pytest starts, but the servers run as the stack user.
    root = Path(tempfile.mkdtemp(prefix="psm-stack-test-"))
    os.chmod(root, 0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PSM_")}
    env.update({
        "PSM_STACK_DIR": str(root),
        "PSM_PG_PORT": str(free_port()),
        "PSM_KAFKA_PORT": str(free_port()),
        "PSM_KAFKA_CONTROLLER_PORT": str(free_port()),
        "PSM_ES_PORT": str(free_port()),
        "PSM_ES_TRANSPORT_PORT": str(free_port()),
        "PSM_ES_HEAP": "512m",
    })
    up = run_stack(env, "up")
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        yield env
    finally:
        run_stack(env, "down")
        shutil.rmtree(root, ignore_errors=True)


def status(env: dict[str, str]) -> dict[str, dict]:
    out = run_stack(env, "status")
    assert out.returncode == 0, out.stderr
    return {p["part"]: p for p in json.loads(out.stdout)}


def test_up_twice_is_harmless(private_stack):
    before = status(private_stack)
    again = run_stack(private_stack, "up")
    assert again.returncode == 0, again.stderr
    after = status(private_stack)
    assert all(after[p]["healthy"] for p in ("pg", "kafka", "es")), after
    assert {p: after[p]["pid"] for p in after} == {p: before[p]["pid"] for p in before}
    assert "already running" in again.stdout


def test_env_file_names_the_three_servers(private_stack):
    env = Path(private_stack["PSM_STACK_DIR"], "psm.env").read_text()
    assert f"127.0.0.1:{private_stack['PSM_PG_PORT']}/psm" in env
    assert f"PSM_KAFKA_BOOTSTRAP=127.0.0.1:{private_stack['PSM_KAFKA_PORT']}" in env
    assert f"PSM_ELASTICSEARCH_URL=http://127.0.0.1:{private_stack['PSM_ES_PORT']}" in env


def test_the_servers_are_the_real_ones(private_stack):
    st = status(private_stack)
    cmd = Path(f"/proc/{st['kafka']['pid']}/cmdline").read_bytes().split(b"\0")
    assert b"kafka.Kafka" in cmd
    pg_exe = os.readlink(f"/proc/{st['pg']['pid']}/exe")
    assert pg_exe.startswith("/usr/lib/postgresql/")
    es_cmd = Path(f"/proc/{st['es']['pid']}/cmdline").read_bytes()
    assert b"org.elasticsearch" in es_cmd


async def test_readyz_follows_elasticsearch_down_and_up(private_stack, settings):
    app_settings = settings.model_copy(update={
        "elasticsearch_url": f"http://127.0.0.1:{private_stack['PSM_ES_PORT']}"})
    async with TestClient(TestServer(create_app(app_settings, all_modules()))) as client:
        for _ in range(300):  # "starting" (503) while the app's consumers first join their groups
            ready = await client.get("/readyz")
            if (await ready.json())["status"] != "starting":
                break
            await asyncio.sleep(0.1)
        assert ready.status == 200, await ready.text()

        # In a thread: the app's consumers must keep their groups' heartbeats meanwhile.
        stopped = await asyncio.to_thread(run_stack, private_stack, "stop", "es")
        assert stopped.returncode == 0, stopped.stderr
        down = await client.get("/readyz")
        body = await down.json()
        assert down.status == 503
        assert body["checks"]["elasticsearch"].startswith("down")
        assert body["checks"]["postgresql"] == "ok" and body["checks"]["kafka"] == "ok"
        assert "elasticsearch" in body["detail"]

        started = await asyncio.to_thread(run_stack, private_stack, "start", "es")
        assert started.returncode == 0, started.stderr
        back = await client.get("/readyz")
        assert back.status == 200, await back.text()


def sourced(env: dict[str, str]) -> dict[str, str]:
    """The environment as `make` gives it: .stack/psm.env sourced (the stack's own URLs)."""
    lines = Path(env["PSM_STACK_DIR"], "psm.env").read_text().splitlines()
    return {**env, **dict(line.split("=", 1) for line in lines if line)}


def test_with_its_env_sourced_the_stack_still_owns_and_restarts_its_servers(private_stack):
    env = sourced(private_stack)
    assert run_stack(env, "stop", "kafka").returncode == 0
    stopped = status(env)["kafka"]
    assert (stopped["managed"], stopped["healthy"], stopped["pid"]) == (True, False, None), stopped
    started = run_stack(env, "start", "kafka")
    assert started.returncode == 0, started.stderr
    assert "using your server" not in started.stdout and "kafka: up at" in started.stdout
    assert status(env)["kafka"]["healthy"] is True


async def test_stopping_postgresql_does_not_wait_for_its_clients(private_stack):
    import asyncpg

    env = sourced(private_stack)
    client = await asyncpg.connect(env["PSM_DATABASE_URL"])
    try:
        stopped = run_stack(env, "stop", "pg")
        assert stopped.returncode == 0, stopped.stderr
        # A "smart" shutdown would have waited for this client until the tool gave up and killed it.
        assert "ignored" not in stopped.stdout and "killing" not in stopped.stdout, stopped.stdout
        assert status(env)["pg"]["healthy"] is False
    finally:
        await client.close(timeout=1)
    started = run_stack(env, "start", "pg")
    assert started.returncode == 0, started.stderr


async def test_postgresql_is_durable_unless_told_otherwise(private_stack):
    import asyncpg

    async def settings_now() -> list[str]:
        conn = await asyncpg.connect(sourced(private_stack)["PSM_DATABASE_URL"])
        try:
            return [await conn.fetchval(f"SHOW {k}") for k in ("fsync", "synchronous_commit", "full_page_writes")]
        finally:
            await conn.close()

    assert run_stack(private_stack, "up").returncode == 0
    assert await settings_now() == ["on", "on", "on"]  # make run's data survives a power cut
    fast = run_stack({**private_stack, "PSM_PG_DURABLE": "false"}, "up")
    assert fast.returncode == 0 and "not durable" in fast.stdout
    assert await settings_now() == ["off", "off", "off"]  # make test's


async def test_postgresql_down_is_a_503_and_the_service_recovers_and_stops(private_stack, settings):
    """Requests while the database is away are 503 problems with Retry-After; once it is
    back the same process answers again, and it still shuts down (a connection left
    checked out by the restart is given up, services/runtime/storage/pool.py)."""
    env = sourced(private_stack)
    app_settings = settings.model_copy(update={"database_url": env["PSM_DATABASE_URL"],
                                               "kafka_bootstrap": env["PSM_KAFKA_BOOTSTRAP"],
                                               "consistency_wait_s": 0.5})
    async with TestClient(TestServer(create_app(app_settings, all_modules()))) as client:
        headers = {"Authorization": "Bearer not-a-key"}
        assert (await client.get("/v1/me", headers=headers)).status == 401  # the database answers
        assert run_stack(env, "stop", "pg").returncode == 0
        try:
            r = await client.get("/v1/me", headers=headers)
            body = await r.json()
            assert (r.status, r.headers.get("Retry-After")) == (503, "5"), body
            assert r.content_type == "application/problem+json" and body["type"].endswith("/dependency-unavailable")
        finally:
            assert run_stack(env, "start", "pg").returncode == 0
        assert (await client.get("/v1/me", headers=headers)).status == 401


async def test_kafka_down_is_a_503_said_once_and_its_end_said_once(private_stack, settings, caplog):
    """While Kafka is away, a request that must see its service caught up cannot be known
    fresh: 503 with Retry-After, /readyz names Kafka, and however many requests and
    retrying parts there are, the log says the outage once when it starts and once when
    it ends."""
    import logging

    from pydantic import SecretStr

    key = "op_outage_" + os.urandom(8).hex()
    operator = {"Authorization": f"Bearer {key}"}
    env = sourced(private_stack)
    app_settings = settings.model_copy(update={"database_url": env["PSM_DATABASE_URL"],
                                               "kafka_bootstrap": env["PSM_KAFKA_BOOTSTRAP"],
                                               "consistency_wait_s": 2.0,
                                               "operator_key": SecretStr(key)})
    caplog.set_level(logging.INFO)
    async with TestClient(TestServer(create_app(app_settings, all_modules()))) as client:
        listings = await client.get("/v1/listings", headers=operator)  # listings waits for its consumers
        assert listings.status == 200, await listings.text()
        before = len(caplog.records)  # (what earlier tests in this process left said is not this test's)
        assert run_stack(env, "stop", "kafka").returncode == 0
        try:
            answers = []
            for _ in range(20):
                r = await client.get("/v1/listings", headers=operator)
                answers.append((r.status, r.headers.get("Retry-After"), (await r.json())["type"]))
            assert set(answers) == {(503, "2", "/v1/problems/dependency-unavailable")}, answers
            ready = await (await client.get("/readyz")).json()
            assert ready["checks"]["kafka"].startswith("down") and ready["checks"]["postgresql"] == "ok"
            await asyncio.sleep(3)  # the relays and consumers retry meanwhile
        finally:
            assert run_stack(env, "start", "kafka").returncode == 0

        async def answered() -> bool:
            return (await client.get("/v1/listings", headers=operator)).status == 200

        for _ in range(120):
            if await answered():
                break
            await asyncio.sleep(0.5)
        else:
            raise AssertionError("GET /v1/listings still refused a minute after Kafka came back")

    records = caplog.records[before:]
    said = [r.getMessage() for r in records if r.name == "psm.outage" and r.levelno >= logging.WARNING]
    assert len([m for m in said if m.startswith("kafka unreachable")]) == 1, said
    assert len([m for m in said if m.startswith("kafka reachable again")]) == 1, said
    noisy = [r for r in records if r.levelno >= logging.WARNING and r.name.startswith("psm")
             and r.name != "psm.outage"]
    assert len(noisy) <= 3, [f"{r.name}: {r.getMessage()}" for r in noisy]  # e.g. the wait budget's own line


def test_down_leaves_no_process_behind(private_stack):
    root = Path(private_stack["PSM_STACK_DIR"])
    st = status(private_stack)
    pids = [st[p]["pid"] for p in ("pg", "kafka", "es")]
    assert all(pids) and pids_of(root)
    down = run_stack(private_stack, "down")
    assert down.returncode == 0, down.stderr
    assert pids_of(root) == []
    assert not any(pid_alive(pid) for pid in pids)
    assert all(p["pid"] is None for p in status(private_stack).values())
