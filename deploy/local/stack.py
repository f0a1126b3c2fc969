"""The local stack: PostgreSQL, Apache Kafka (KRaft) and Elasticsearch, without Docker.

``psm stack up|down|status|start <part>|stop <part>``. Every part runs as its real
server process: Debian's PostgreSQL, Kafka's own ``kafka.Kafka`` from Maven Central
jars, Elasticsearch's ``bin/elasticsearch`` from its Maven Central distribution zip.

* Idempotent: ``up`` leaves a healthy running part alone, and only starts what is down.
* Downloads are cached under ``PSM_CACHE_DIR`` (default ``~/.cache/psm``), so a fresh
  clone on a machine that has run the stack before starts without the network.
* ``down`` stops exactly the processes ``up`` started: their pids are kept in
  ``.stack/run/``.
* A part whose URL is given (``PSM_DATABASE_URL``, ``PSM_KAFKA_BOOTSTRAP``,
  ``PSM_ELASTICSEARCH_URL``) is the user's own server and is not started.
* The resolved URLs are written to ``.stack/psm.env`` for ``make`` and the tests.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from deploy.local.es_plugin import PluginError, ensure_analysis_plugin

HERE = Path(__file__).resolve().parent


class StackError(RuntimeError):
    """A prerequisite is missing or a server did not come up; the message says what to do."""


class StackSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PSM_", frozen=True, extra="ignore")

    stack_dir: Path = Path(".stack")
    cache_dir: Path = Path.home() / ".cache" / "psm"
    stack_user: str = "psm"

    pg_port: int = 55432
    kafka_port: int = 59092
    kafka_controller_port: int = 59093
    es_port: int = 59200
    es_transport_port: int = 59300

    kafka_version: str = "4.1.1"
    # 8.19 is the newest Elasticsearch whose integ-test-zip is on Maven Central.
    es_version: str = "8.19.21"
    es_heap: str = "1g"
    kafka_heap: str = "1g"

    # Set these to use servers of your own: the matching part is then not started.
    database_url: str | None = None
    kafka_bootstrap: str | None = None
    elasticsearch_url: str | None = None

    health_timeout_s: float = Field(default=180.0, gt=0)
    # make run keeps its data through a power cut; make test sets this to false (speed).
    pg_durable: bool = True


def say(msg: str) -> None:
    print(f"[stack] {msg}", flush=True)


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie still answers kill(0); it is dead for our purposes.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def require(cmd: str, hint: str) -> str:
    path = shutil.which(cmd)
    if not path:
        raise StackError(f"'{cmd}' is not installed: {hint}")
    return path


def wait_until(check, timeout: float, what: str, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.3)
    tail = ""
    if log and log.exists():
        tail = "\n" + "\n".join(log.read_text(errors="replace").splitlines()[-30:])
    raise StackError(f"{what} did not become healthy within {timeout:.0f}s{tail}")


@dataclass
class Paths:
    root: Path
    cache: Path

    @property
    def run(self) -> Path:
        return self.root / "run"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def data(self) -> Path:
        return self.root / "data"

    def pidfile(self, part: str) -> Path:
        return self.run / f"{part}.pid"


class Part:
    name = ""

    def __init__(self, cfg: StackSettings, paths: Paths) -> None:
        self.cfg = cfg
        self.paths = paths

    # SIGTERM, unless a server means something gentler by it (PostgreSQL: a "smart"
    # shutdown that waits for every client; an operator who stops it means "fast").
    stop_signal = signal.SIGTERM

    # -- overridden per part ---------------------------------------------------------
    def configured_url(self) -> str | None:
        """The ``PSM_*`` URL setting for this part, if any."""
        return None

    def own_url(self) -> str:
        """The URL of the server this stack runs for the part."""
        raise NotImplementedError

    def external_url(self) -> str | None:
        """A server of the user's own: the setting, unless it names the server this stack
        runs (as .stack/psm.env does, which `make` sources) — then it is ours to start."""
        configured = self.configured_url()
        return configured if configured and configured != self.own_url() else None

    def url(self) -> str:
        return self.external_url() or self.own_url()

    def healthy(self) -> bool:
        raise NotImplementedError

    def prepare(self) -> None:
        """Fetch and lay out what the part needs (cached, idempotent)."""

    def launch(self) -> int:
        """Start the server; return its pid."""
        raise NotImplementedError

    # -- shared ------------------------------------------------------------------------
    def pid(self) -> int | None:
        f = self.paths.pidfile(self.name)
        try:
            pid = int(f.read_text().strip())
        except (OSError, ValueError):
            return None
        return pid if pid_alive(pid) else None

    def start(self) -> None:
        if self.external_url():
            say(f"{self.name}: using your server at {self.external_url()}")
            return
        if self.pid() and self.healthy():
            say(f"{self.name}: already running (pid {self.pid()}) at {self.url()}")
            return
        if self.pid() is None and self.port_in_use():
            raise StackError(
                f"{self.name}: port {self.main_port()} is taken by a process the stack did not "
                f"start; stop it, or choose another port with PSM_{self.name.upper()}_PORT"
            )
        self.prepare()
        if self.pid() is None:
            pid = self.launch()
            self.paths.pidfile(self.name).write_text(str(pid))
        t0 = time.monotonic()
        wait_until(self.healthy, self.cfg.health_timeout_s, self.name, self.log())
        say(f"{self.name}: up at {self.url()} (pid {self.pid()}, {time.monotonic() - t0:.1f}s)")

    def stop(self) -> None:
        pid = self.pid()
        if pid is None:
            self.paths.pidfile(self.name).unlink(missing_ok=True)
            return
        say(f"{self.name}: stopping pid {pid}")
        os.kill(pid, self.stop_signal)
        deadline = time.monotonic() + 60
        while pid_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        if pid_alive(pid):
            say(f"{self.name}: pid {pid} ignored SIGTERM for 60s, killing it")
            os.kill(pid, signal.SIGKILL)
            while pid_alive(pid):
                time.sleep(0.1)
        self.paths.pidfile(self.name).unlink(missing_ok=True)

    def status(self) -> dict:
        if self.external_url():
            return {"part": self.name, "managed": False, "url": self.url(), "healthy": self.reachable()}
        return {"part": self.name, "managed": True, "pid": self.pid(), "url": self.url(),
                "healthy": self.pid() is not None and self.healthy()}

    def main_port(self) -> int:
        raise NotImplementedError

    def reachable(self) -> bool:
        """A server of the user's own answers on its host and port (its own health is the
        application's /readyz to judge)."""
        from urllib.parse import urlsplit

        url = self.external_url() or ""
        parts = urlsplit(url if "//" in url else f"//{url.split(',')[0]}")
        try:
            with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 0), timeout=2):
                return True
        except (OSError, ValueError):
            return False

    def port_in_use(self) -> bool:
        return port_open(self.main_port())

    def log(self) -> Path:
        return self.paths.logs / f"{self.name}.log"

    def as_user(self, argv: list[str]) -> list[str]:
        return ["runuser", "-u", self.cfg.stack_user, "--", *argv]

    def own(self, path: Path) -> None:
        """Hand a directory to the unprivileged stack user (the servers refuse root)."""
        u = pwd.getpwnam(self.cfg.stack_user)
        for p in [path, *path.rglob("*")]:
            os.lchown(p, u.pw_uid, u.pw_gid)


class Postgres(Part):
    name = "pg"
    stop_signal = signal.SIGINT  # "fast" shutdown: connected clients are disconnected

    def configured_url(self) -> str | None:
        return self.cfg.database_url

    def main_port(self) -> int:
        return self.cfg.pg_port

    def own_url(self) -> str:
        return f"postgresql://psm@127.0.0.1:{self.cfg.pg_port}/psm"

    def bindir(self) -> Path:
        roots = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parent.parent.name))
        if not roots:
            raise StackError("PostgreSQL is not installed: run `apt-get install -y postgresql` (Debian)")
        return roots[-1].parent

    def healthy(self) -> bool:
        if self.external_url():
            return self.reachable()
        r = subprocess.run([str(self.bindir() / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.cfg.pg_port),
                            "-d", "psm", "-U", "psm"], capture_output=True)
        return r.returncode == 0 and self.db_exists()

    def db_exists(self) -> bool:
        return (self.paths.data / "pg" / ".psm-created").exists()

    def prepare(self) -> None:
        if not Path("/usr/lib/postgresql").exists():
            apt_install("postgresql")
        data = self.paths.data / "pg"
        if not (data / "PG_VERSION").exists():
            data.mkdir(parents=True, exist_ok=True)
            self.own(data)
            say("pg: initdb")
            subprocess.run(self.as_user([str(self.bindir() / "initdb"), "-D", str(data), "-U", "psm",
                                         "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"]),
                           check=True, capture_output=True)

    def launch(self) -> int:
        data = self.paths.data / "pg"
        sock = self.paths.run / "pgsock"
        sock.mkdir(parents=True, exist_ok=True)
        self.own(sock)
        # Enough connections for parallel tests and several services. Durability is set
        # after start (durability()), for make run and make test alike.
        opts = (f"-p {self.cfg.pg_port} -k {sock} -c listen_addresses=127.0.0.1 -c max_connections=400 "
                "-c shared_buffers=256MB -c max_prepared_transactions=0")
        log = self.log()
        log.touch()
        self.own(log)
        subprocess.run(self.as_user([str(self.bindir() / "pg_ctl"), "-D", str(data), "-l", str(log),
                                     "-o", opts, "-w", "-t", "120", "start"]), check=True, capture_output=True)
        pid = int((data / "postmaster.pid").read_text().splitlines()[0])
        if not self.db_exists():
            subprocess.run([str(self.bindir() / "createdb"), "-h", "127.0.0.1", "-p", str(self.cfg.pg_port),
                            "-U", "psm", "psm"], check=True, capture_output=True)
            (data / ".psm-created").touch()
        return pid


    DURABILITY = ("fsync", "synchronous_commit", "full_page_writes")

    def durability(self) -> None:
        """Durable by default (make run: data a user expects to survive a power cut);
        ``PSM_PG_DURABLE=false`` turns fsync, synchronous commit and full-page writes off
        (make test: throw-away data, speed). All three are reloadable, so a running
        server changes mode without a restart."""
        value = "on" if self.cfg.pg_durable else "off"
        # One -c each: psql runs a multi-statement -c as one transaction, which ALTER SYSTEM refuses.
        statements = [f"ALTER SYSTEM SET {k} = {value}" for k in self.DURABILITY] + ["SELECT pg_reload_conf()"]
        r = subprocess.run([str(self.bindir() / "psql"), "-h", "127.0.0.1", "-p", str(self.cfg.pg_port), "-U", "psm",
                            "-d", "psm", "-v", "ON_ERROR_STOP=1", "-qAt",
                            *(a for sql in statements for a in ("-c", sql))], capture_output=True, text=True)
        if r.returncode != 0:
            raise StackError(f"pg: could not set durability: {r.stderr.strip()}")
        say(f"pg: {'durable' if self.cfg.pg_durable else 'fast, not durable'} "
            f"({', '.join(f'{k}={value}' for k in self.DURABILITY)})")


class Kafka(Part):
    name = "kafka"

    def configured_url(self) -> str | None:
        return self.cfg.kafka_bootstrap

    def main_port(self) -> int:
        return self.cfg.kafka_port

    def own_url(self) -> str:
        return f"127.0.0.1:{self.cfg.kafka_port}"

    def healthy(self) -> bool:
        if self.external_url():
            return self.reachable()
        # The broker logs this line once it has joined the KRaft quorum and opened its
        # listener; a bare TCP connect would succeed earlier than that.
        return port_open(self.cfg.kafka_port) and "Kafka Server started" in self.log().read_text(errors="replace")

    def jars(self) -> Path:
        return self.paths.cache / f"kafka-{self.cfg.kafka_version}" / "libs"

    def prepare(self) -> None:
        java = self.java()
        libs = self.jars()
        if not (libs / f"kafka_2.13-{self.cfg.kafka_version}.jar").exists():
            mvn = require("mvn", "install Maven (`apt-get install -y maven`)")
            say(f"kafka: resolving Apache Kafka {self.cfg.kafka_version} from Maven Central")
            tmp = libs.with_name("libs.partial")
            shutil.rmtree(tmp, ignore_errors=True)
            subprocess.run([mvn, "-q", "-B", "-f", str(HERE / "kafka" / "pom.xml"),
                            f"-Dkafka.version={self.cfg.kafka_version}", "dependency:copy-dependencies",
                            "-DincludeScope=runtime", f"-DoutputDirectory={tmp}"], check=True)
            shutil.rmtree(libs, ignore_errors=True)
            tmp.rename(libs)
        data = self.paths.data / "kafka"
        props = self.paths.run / "kafka.properties"
        props.write_text(self.properties(data))
        if not (data / "meta.properties").exists():
            data.mkdir(parents=True, exist_ok=True)
            say("kafka: formatting KRaft storage")
            subprocess.run([java, "-cp", f"{libs}/*", "kafka.tools.StorageTool", "format", "--standalone",
                            "-t", str(uuid.uuid4().hex[:22]), "-c", str(props)],
                           check=True, capture_output=True, env=self.env())

    def properties(self, data: Path) -> str:
        p = self.cfg
        return "\n".join([
            "process.roles=broker,controller",
            "node.id=1",
            f"controller.quorum.bootstrap.servers=127.0.0.1:{p.kafka_controller_port}",
            f"listeners=PLAINTEXT://127.0.0.1:{p.kafka_port},CONTROLLER://127.0.0.1:{p.kafka_controller_port}",
            f"advertised.listeners=PLAINTEXT://127.0.0.1:{p.kafka_port},CONTROLLER://127.0.0.1:{p.kafka_controller_port}",
            "controller.listener.names=CONTROLLER",
            "inter.broker.listener.name=PLAINTEXT",
            "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
            f"log.dirs={data}",
            "num.partitions=3",
            "offsets.topic.replication.factor=1",
            "offsets.topic.num.partitions=10",
            "transaction.state.log.replication.factor=1",
            "transaction.state.log.min.isr=1",
            "share.coordinator.state.topic.replication.factor=1",
            "share.coordinator.state.topic.min.isr=1",
            "group.initial.rebalance.delay.ms=0",
            "auto.create.topics.enable=false",
            "log.retention.hours=-1",
            "",
        ])

    def java(self) -> str:
        return require("java", "install a JDK 17+ (`apt-get install -y openjdk-17-jre-headless`)")

    def env(self) -> dict:
        return {**os.environ, "KAFKA_HEAP_OPTS": f"-Xmx{self.cfg.kafka_heap}"}

    def launch(self) -> int:
        log = self.log()
        log.write_text("")
        cfg = self.paths.run / "kafka-log4j2.properties"
        cfg.write_text(
            "status = warn\nappender.out.type = Console\nappender.out.name = OUT\n"
            "appender.out.layout.type = PatternLayout\nappender.out.layout.pattern = [%d] %p %m (%c)%n\n"
            "rootLogger.level = INFO\nrootLogger.appenderRef.out.ref = OUT\n"
            "logger.kafka.name = kafka\nlogger.kafka.level = INFO\n"
            "logger.org.name = org.apache.kafka\nlogger.org.level = WARN\n"
        )
        argv = [self.java(), f"-Xmx{self.cfg.kafka_heap}", f"-Xms{self.cfg.kafka_heap}", "-XX:+UseG1GC",
                "-Djava.awt.headless=true", f"-Dlog4j2.configurationFile={cfg}",
                "-cp", f"{self.jars()}/*", "kafka.Kafka", str(self.paths.run / "kafka.properties")]
        with open(log, "ab") as out:
            proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                    start_new_session=True)
        return proc.pid


class Elasticsearch(Part):
    name = "es"

    def configured_url(self) -> str | None:
        return self.cfg.elasticsearch_url

    def main_port(self) -> int:
        return self.cfg.es_port

    def own_url(self) -> str:
        return f"http://127.0.0.1:{self.cfg.es_port}"

    def healthy(self) -> bool:
        if self.external_url():
            return self.reachable()
        try:
            with urllib.request.urlopen(f"{self.url()}/_cluster/health", timeout=2) as r:
                return json.load(r).get("status") in ("green", "yellow")
        except (OSError, ValueError):
            return False

    def home(self) -> Path:
        return self.paths.root / f"elasticsearch-{self.cfg.es_version}"

    def jdk(self) -> Path:
        # Elasticsearch 8.19 runs on Java 21+; the integ-test zip ships no JDK of its own.
        for pattern in ("temurin-2[1-9]*", "temurin-[3-9]*", "java-2[1-9]-*", "java-[3-9][0-9]-*"):
            for home in sorted(Path("/usr/lib/jvm").glob(pattern)):
                if (home / "bin" / "java").exists():
                    return home
        raise StackError("Elasticsearch needs a JDK 21 or newer under /usr/lib/jvm "
                         "(e.g. `apt-get install -y openjdk-21-jdk-headless` or a Temurin JDK)")

    def prepare(self) -> None:
        self.jdk()
        zip_path = self.paths.cache / f"elasticsearch-{self.cfg.es_version}.zip"
        if not zip_path.exists():
            mvn = require("mvn", "install Maven (`apt-get install -y maven`)")
            say(f"es: fetching Elasticsearch {self.cfg.es_version} from Maven Central")
            subprocess.run([mvn, "-q", "-B", "dependency:copy",
                            f"-Dartifact=org.elasticsearch.distribution.integ-test-zip:elasticsearch:"
                            f"{self.cfg.es_version}:zip", f"-DoutputDirectory={self.paths.cache}"],
                           check=True, cwd=self.paths.cache)
        if not (self.home() / "bin" / "elasticsearch").exists():
            say("es: unpacking")
            with zipfile.ZipFile(zip_path) as z:
                for info in z.infolist():
                    z.extract(info, self.paths.root)
                    mode = info.external_attr >> 16
                    if mode:
                        os.chmod(self.paths.root / info.filename, mode & 0o7777)
        try:
            # The integ-test zip lacks the analysis-common module (no `cjk` analyzer):
            # our own small plugin brings CJK bigrams and smartcn (deploy/local/es-analysis).
            ensure_analysis_plugin(self.home(), self.paths.cache, self.cfg.es_version, self.jdk())
        except PluginError as e:
            raise StackError(str(e)) from e
        data = self.paths.data / "es"
        data.mkdir(parents=True, exist_ok=True)
        (self.home() / "config" / "elasticsearch.yml").write_text("\n".join([
            "cluster.name: psm-local",
            "node.name: psm-es-1",
            "discovery.type: single-node",
            "network.host: 127.0.0.1",
            f"http.port: {self.cfg.es_port}",
            f"transport.port: {self.cfg.es_transport_port}",
            f"path.data: {data}",
            f"path.logs: {self.paths.logs / 'es'}",
            # A local development server: plain HTTP on loopback, no login.
            "xpack.security.enabled: false",
            # Keep accepting writes on a nearly full disk rather than going read-only.
            "cluster.routing.allocation.disk.threshold_enabled: false",
            "action.destructive_requires_name: false",
            # Tests create (and delete) an index per test; room for many at once.
            "cluster.max_shards_per_node: 10000",
            "",
        ]))
        (self.paths.logs / "es").mkdir(parents=True, exist_ok=True)
        self.own(self.home())
        self.own(data)
        self.own(self.paths.logs / "es")

    def launch(self) -> int:
        pidfile = self.paths.run / "es.server.pid"
        pidfile.unlink(missing_ok=True)
        self.own(self.paths.run)
        env = {**os.environ, "ES_JAVA_HOME": str(self.jdk()),
               "ES_JAVA_OPTS": f"-Xms{self.cfg.es_heap} -Xmx{self.cfg.es_heap}"}
        env.pop("JAVA_HOME", None)
        log = self.log()
        with open(log, "wb") as out:
            subprocess.run(self.as_user([str(self.home() / "bin" / "elasticsearch"), "-d", "-p", str(pidfile)]),
                           env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, check=True,
                           cwd=self.home())
        wait_until(pidfile.exists, 60, "es pidfile", log)
        return int(pidfile.read_text().strip())

    def log(self) -> Path:
        return self.paths.logs / "es" / "psm-local.log"


def apt_install(package: str) -> None:
    apt = require("apt-get", f"install the Debian package '{package}' with your package manager")
    say(f"installing Debian package {package}")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run([apt, "update", "-qq"], check=True, env=env)
    subprocess.run([apt, "install", "-y", "-qq", package], check=True, env=env)


def ensure_user(name: str) -> None:
    try:
        pwd.getpwnam(name)
    except KeyError:
        require("useradd", "create an unprivileged user for the servers and set PSM_STACK_USER to it")
        say(f"creating unprivileged user '{name}' to run PostgreSQL and Elasticsearch")
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name], check=True)


# The console's browser tests (tests/e2e) drive Debian's Chromium through its driver; a
# font with Chinese glyphs makes the screenshots legible (headless Chromium has none).
BROWSER_PACKAGES = {"chromium": "/usr/bin/chromium", "chromium-driver": "/usr/bin/chromedriver",
                    "fonts-wqy-microhei": "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"}


def ensure_browser() -> None:
    """Install what the browser tests need, once (idempotent: present packages are left alone)."""
    for package, path in BROWSER_PACKAGES.items():
        if not Path(path).exists():
            apt_install(package)
    say("browser: " + ", ".join(BROWSER_PACKAGES.values()))


class Stack:
    def __init__(self, cfg: StackSettings) -> None:
        self.cfg = cfg
        root = cfg.stack_dir.resolve()
        self.paths = Paths(root=root, cache=cfg.cache_dir.resolve())
        self.parts: dict[str, Part] = {p.name: p for p in (Postgres(cfg, self.paths), Kafka(cfg, self.paths),
                                                           Elasticsearch(cfg, self.paths))}

    def setup(self) -> None:
        for d in (self.paths.root, self.paths.run, self.paths.logs, self.paths.data, self.paths.cache):
            d.mkdir(parents=True, exist_ok=True)
        ensure_user(self.cfg.stack_user)
        # The servers run as the stack user: it must be able to reach .stack/ through
        # every parent directory.
        for d in [self.paths.root, *self.paths.root.parents]:
            mode = d.stat().st_mode
            if not mode & 0o001:
                os.chmod(d, mode | 0o001)
        os.chmod(self.paths.logs, 0o777)
        os.chmod(self.paths.run, 0o777)

    def up(self, names: list[str] | None = None) -> None:
        self.setup()
        for name in names or list(self.parts):
            self.parts[name].start()
            if name == "pg" and not self.parts["pg"].external_url():
                self.parts["pg"].durability()
        self.write_env()

    def down(self, names: list[str] | None = None) -> None:
        for name in reversed(names or list(self.parts)):
            self.parts[name].stop()

    def write_env(self) -> None:
        env = {
            "PSM_DATABASE_URL": self.parts["pg"].url(),
            "PSM_KAFKA_BOOTSTRAP": self.parts["kafka"].url(),
            "PSM_ELASTICSEARCH_URL": self.parts["es"].url(),
        }
        (self.paths.root / "psm.env").write_text("".join(f"{k}={v}\n" for k, v in env.items()))

    def status(self) -> list[dict]:
        return [p.status() for p in self.parts.values()]


def main(argv: list[str]) -> int:
    import argparse

    ap = argparse.ArgumentParser(prog="psm stack", description="the local PostgreSQL + Kafka + Elasticsearch")
    ap.add_argument("action", choices=["up", "down", "status", "start", "stop", "env", "browser"],
                    help="browser: install Debian's chromium, its driver and a Chinese font (for tests/e2e)")
    ap.add_argument("parts", nargs="*", metavar="PART", help="pg, kafka, es (default: all)")
    args = ap.parse_args(argv)
    unknown = set(args.parts) - {"pg", "kafka", "es"}
    if unknown:
        ap.error(f"unknown part(s) {sorted(unknown)}: choose from pg, kafka, es")
    try:
        if args.action == "browser":
            ensure_browser()
            return 0
        stack = Stack(StackSettings())
        if args.action in ("up", "start"):
            stack.up(args.parts or None)
        elif args.action in ("down", "stop"):
            stack.down(args.parts or None)
        elif args.action == "env":
            stack.write_env()
            print((stack.paths.root / "psm.env").read_text(), end="")
        else:
            print(json.dumps(stack.status(), indent=2))
    except StackError as e:
        print(f"[stack] error: {e}", file=sys.stderr)
        return 1
    return 0
