"""Builds and installs ``psm-analysis``, the Chinese analysis plugin in ``es-analysis/``.

The Elasticsearch the local stack runs (Maven Central's integ-test zip) has no
analysis-common module, so neither the ``cjk`` analyzer nor any Chinese analysis is
built in. ``psm-analysis`` is a small stable-API plugin that adds ``psm_cjk`` and
``psm_smartcn`` (see ``es-analysis/README.md``). It is built from source with Maven on
first use and installed with the server's own ``elasticsearch-plugin`` tool.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
from pathlib import Path

PLUGIN_NAME = "psm-analysis"
SOURCE_DIR = Path(__file__).resolve().parent / "es-analysis"
DESCRIPTOR = "stable-plugin-descriptor.properties"
# Debian's Maven 3.8 colours its errors even with -B.
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")


class PluginError(RuntimeError):
    """The plugin could not be built or installed; the message says why and what to do."""


def ensure_analysis_plugin(es_home: Path, cache_dir: Path, es_version: str, java_home: Path) -> None:
    """Make sure ``es_home`` has psm-analysis built from the current sources installed.

    Idempotent: does nothing when the installed plugin was built from the sources as they
    are now. Otherwise builds the zip (kept in ``cache_dir``, one per Elasticsearch version
    and source digest, so a rebuild happens only after the plugin's sources change) and
    (re)installs it. The server must not be running. Files under ``es_home/plugins`` are
    created by the calling user: hand ``es_home`` to the server's user afterwards.
    """
    if not (java_home / "bin" / "java").exists():
        raise PluginError(f"no JDK at {java_home}: the plugin is built and installed with it")
    plugin_tool = es_home / "bin" / "elasticsearch-plugin"
    if not plugin_tool.exists():
        raise PluginError(f"{es_home} is not an unpacked Elasticsearch: {plugin_tool} is missing")

    digest = source_digest()
    installed = es_home / "plugins" / PLUGIN_NAME
    if installed_digest(installed) == digest:
        return
    zip_path = build(cache_dir, es_version, lucene_version(es_home), java_home, digest)

    env = {**os.environ, "ES_JAVA_HOME": str(java_home)}
    env.pop("JAVA_HOME", None)
    if installed.exists():
        # Built from older sources: the tool refuses to install over an existing plugin.
        say(f"replacing {PLUGIN_NAME} (built from older sources)")
        run([str(plugin_tool), "remove", PLUGIN_NAME], env=env, cwd=es_home, what=f"removing the old {PLUGIN_NAME}")
    say(f"installing {PLUGIN_NAME}")
    run([str(plugin_tool), "install", "--batch", zip_path.as_uri()], env=env, cwd=es_home,
        what=f"installing {zip_path}")


def build(cache_dir: Path, es_version: str, lucene: str, java_home: Path, digest: str) -> Path:
    """Return the cached plugin zip for this version and source digest, building it if needed."""
    zip_path = cache_dir / f"{PLUGIN_NAME}-{es_version}-{digest}.zip"
    if zip_path.exists():
        return zip_path
    mvn = shutil.which("mvn")
    if mvn is None:
        raise PluginError("'mvn' is not installed: install Maven (`apt-get install -y maven`) to build "
                          f"the {PLUGIN_NAME} Elasticsearch plugin")
    say(f"building {PLUGIN_NAME} for Elasticsearch {es_version} (Lucene {lucene})")
    # Built outside the source tree, so the checkout stays clean and a failed build
    # leaves nothing a later run could mistake for a finished zip.
    build_dir = cache_dir / f"{PLUGIN_NAME}-build-{es_version}"
    cache_dir.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(build_dir, ignore_errors=True)
    env = {**os.environ, "JAVA_HOME": str(java_home)}
    try:
        run([mvn, "-q", "-B", "-f", str(SOURCE_DIR / "pom.xml"), f"-Delasticsearch.version={es_version}",
             f"-Dlucene.version={lucene}", f"-Dpsm.source.digest={digest}", f"-Dpsm.build.dir={build_dir}",
             "package"], env=env, cwd=SOURCE_DIR, what=f"building the {PLUGIN_NAME} plugin with Maven")
        built = build_dir / f"{PLUGIN_NAME}-{es_version}.zip"
        if not built.exists():
            raise PluginError(f"Maven finished but did not produce {built}")
        partial = zip_path.with_name(zip_path.name + ".partial")
        shutil.copyfile(built, partial)
        partial.replace(zip_path)
    finally:
        shutil.rmtree(build_dir, ignore_errors=True)
    return zip_path


def source_digest() -> str:
    """A short hash of the plugin's sources (pom and src/), to tell builds apart."""
    h = hashlib.sha256()
    files = [SOURCE_DIR / "pom.xml", *sorted(p for p in (SOURCE_DIR / "src").rglob("*") if p.is_file())]
    for f in files:
        h.update(f.relative_to(SOURCE_DIR).as_posix().encode() + b"\0")
        h.update(f.read_bytes() + b"\0")
    return h.hexdigest()[:12]


def installed_digest(plugin_dir: Path) -> str | None:
    """The source digest an installed psm-analysis was built from (its version's ``+suffix``)."""
    try:
        lines = (plugin_dir / DESCRIPTOR).read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        key, _, value = line.partition("=")
        if key.strip() == "version":
            return value.strip().rpartition("+")[2] or None
    return None


def lucene_version(es_home: Path) -> str:
    # The plugin must be compiled against the very Lucene the server runs, and the
    # server's lib/ is the one place that says which that is for any ES version.
    jars = sorted((es_home / "lib").glob("lucene-core-*.jar"))
    if len(jars) != 1:
        raise PluginError(f"cannot tell the Lucene version of {es_home}: expected one lib/lucene-core-*.jar, "
                          f"found {[j.name for j in jars]}")
    return jars[0].name.removeprefix("lucene-core-").removesuffix(".jar")


def run(argv: list[str], *, env: dict, cwd: Path, what: str) -> None:
    r = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if r.returncode != 0:
        output = "\n".join(ANSI_ESCAPE.sub("", r.stdout + r.stderr).strip().splitlines()[-40:])
        raise PluginError(f"{what} failed (exit {r.returncode}): {' '.join(argv)}\n{output}")


def say(msg: str) -> None:
    print(f"[stack] es: {msg}", flush=True)
