"""What every HTTP benchmark needs: ``psm serve`` subprocess(es) on a database, topic prefix
and index prefix of their own, ready, and everything removed afterwards."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import asyncpg
from aiokafka.admin import AIOKafkaAdminClient
from elasticsearch import AsyncElasticsearch

from services.runtime.settings import Settings
from services.tools.main import event_loop

T = TypeVar("T")

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Served:
    tag: str
    database_url: str
    operator_key: str
    urls: list[str] = field(default_factory=list)
    pids: list[int] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.urls[0]


def run_like_serve(coro: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run`` on the event loop ``psm serve`` runs (uvloop), for the benchmarks
    that run the services in their own process."""
    with asyncio.Runner(loop_factory=event_loop) as runner:
        return runner.run(coro)


@contextlib.asynccontextmanager
async def profiled(pid: int, path: str | None) -> AsyncIterator[None]:
    """py-spy records process ``pid`` into ``path`` (raw, collapsed stacks: one line per
    stack and its sample count) while the body runs; nothing if ``path`` is None. How
    bench/PROFILE.md's figures were taken."""
    if path is None:
        yield
        return
    spy = await asyncio.create_subprocess_exec("py-spy", "record", "-p", str(pid),
                                               "-r", "50", "-f", "raw", "-o", path,
                                               *os.environ.get("BENCH_PYSPY_ARGS", "").split(),  # e.g. --native
                                               stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
    try:
        yield
    finally:
        spy.send_signal(signal.SIGINT)  # py-spy writes what it recorded and exits
        await spy.wait()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def wait_ready(http: aiohttp.ClientSession, url: str, process: subprocess.Popen, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"psm serve exited with {process.returncode}")
        try:
            async with http.get(url + "/readyz") as r:
                if r.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.3)
    raise RuntimeError(f"psm serve at {url} not ready within {timeout:.0f}s")


@contextlib.asynccontextmanager
async def serving(settings: Settings, *, replicas: int = 1, services: str | None = None,
                  partitions: int = 2) -> AsyncIterator[Served]:
    """``replicas`` ``psm serve`` processes (of ``services``, or all) on a fresh database."""
    tag = f"bench{uuid.uuid4().hex[:8]}"
    db = f"psm_bench_{tag}"
    admin = await asyncpg.connect(settings.database_url)
    await admin.execute(f'CREATE DATABASE "{db}"')
    await admin.close()
    served = Served(tag, settings.database_url.rsplit("/", 1)[0] + "/" + db, "op_bench_" + uuid.uuid4().hex)
    env = {**os.environ, "PSM_DATABASE_URL": served.database_url, "PSM_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
           "PSM_ELASTICSEARCH_URL": settings.elasticsearch_url, "PSM_TOPIC_PREFIX": f"{tag}.",
           "PSM_TOPIC_PARTITIONS": str(partitions), "PSM_INDEX_PREFIX": tag, "PSM_OPERATOR_KEY": served.operator_key,
           "PSM_LOG_LEVEL": "WARNING"}
    log = Path(f"/tmp/{tag}-serve.log")
    processes: list[subprocess.Popen] = []
    try:
        with log.open("wb") as out:
            for _ in range(replicas):
                port = free_port()
                argv = [sys.executable, "-m", "services.tools.cli", "serve", "--port", str(port)]
                processes.append(subprocess.Popen(argv + (["--services", services] if services else []), cwd=ROOT,
                                                  env=env, stdout=out, stderr=subprocess.STDOUT))
                served.urls.append(f"http://127.0.0.1:{port}")
                served.pids.append(processes[-1].pid)
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http:
            for process, url in zip(processes, served.urls):
                await wait_ready(http, url, process)
        yield served
    finally:
        for p in processes:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in processes:
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        log.unlink(missing_ok=True)
        await cleanup(settings, db, tag)


async def cleanup(settings: Settings, db: str, tag: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    await admin.start()
    try:
        doomed = [t for t in set(await admin.list_topics()) if t.startswith(f"{tag}.")]
        if doomed:
            await admin.delete_topics(doomed)
    finally:
        await admin.close()
    es = AsyncElasticsearch(settings.elasticsearch_url)
    try:
        await es.options(ignore_status=404).indices.delete(index=f"{tag}-*", expand_wildcards="all")
    finally:
        await es.close()
    conn = await asyncpg.connect(settings.database_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
    finally:
        await conn.close()
