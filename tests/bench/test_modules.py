"""The benchmark modules of ``make bench``: each one imports, and the Makefile runs every one (no load is run)."""

import json
import os
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import pytest

import bench

ROOT = Path(__file__).resolve().parents[2]
MODULES = sorted(info.name for info in pkgutil.iter_modules(bench.__path__))
# modules that are not a benchmark of `make bench`, and why
NOT_RUN_BY_MAKE_BENCH = {
    "faults": "make soak",
    "live_soak": "make soak",
    "coedit_soak": "make soak",
    "profile": "a profiler run by hand on one page",
    "live_profile": "a profiler run by hand on the live fan-out",
    "load": "the load generator that python -m bench starts",
    "seed": "the seeder the others use",
    "doc": "where the reports go",
    "bare": "the baseline app python -m bench serves",
}
# One process imports them each in turn and reports every failure; bench.load has a process of its own, since
# locust's gevent patches the process it is imported in (as python -m bench runs it).
IMPORT_EACH = """
import importlib, json, sys, traceback
failed = {}
for name in sys.argv[1:]:
    try:
        importlib.import_module(name)
    except BaseException:
        failed[name] = traceback.format_exc()
print(json.dumps(failed))
"""


@pytest.fixture(scope="module")
def import_failures(tmp_path_factory) -> dict[str, str]:
    """bench.<module> -> the traceback of its import, for every module that failed to import."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MDA_")}
    # bench.bare reads its database at import; the modules that make temporary folders make them here
    env |= {"PYTHONPATH": str(ROOT), "MDA_DATABASE_URL": "sqlite://", "TMPDIR": str(tmp_path_factory.mktemp("t"))}
    failures = {}
    for names in ([f"bench.{m}" for m in MODULES if m != "load"], ["bench.load"]):
        done = subprocess.run([sys.executable, "-c", IMPORT_EACH, *names], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-3000:]
        failures |= json.loads(done.stdout.strip().splitlines()[-1])
    return failures


def _make_bench_modules() -> set[str]:
    """The modules the Makefile's ``bench`` recipe starts (``python -m bench`` is ``__main__``)."""
    recipe = re.search(r"^bench:.*\n((?:\t.*\n)+)", (ROOT / "Makefile").read_text(), re.M).group(1)
    return {found or "__main__" for found in re.findall(r"-m bench(?:\.(\w+))?\b", recipe)}


@pytest.mark.parametrize("module", MODULES)
def test_bench_module_imports(module, import_failures):
    """Does bench.<module> import, every name it takes from another module still being there?"""
    assert f"bench.{module}" not in import_failures, import_failures.get(f"bench.{module}")


def test_make_bench_runs_every_benchmark_module():
    """Does ``make bench`` start every benchmark module, and only modules that exist?"""
    assert _make_bench_modules() == set(MODULES) - set(NOT_RUN_BY_MAKE_BENCH)


def test_a_quick_run_is_refused_for_the_docs(tmp_path):
    """Is ``python -m bench --quick --write-docs`` refused before any work, leaving docs/benchmarks.md as it was?"""
    before = (ROOT / "docs" / "benchmarks.md").read_bytes()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MDA_")}
    env |= {"PYTHONPATH": str(ROOT), "TMPDIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "bench", "--quick", "--write-docs"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr[-3000:]
    assert "docs/benchmarks.md" in done.stderr
    assert (ROOT / "docs" / "benchmarks.md").read_bytes() == before


def test_the_bare_page_is_padded_to_the_size_compared(monkeypatch):
    """Does the bare baseline send exactly as many bytes as the page it is compared with, and never fewer than
    its own content?"""
    monkeypatch.setenv("MDA_DATABASE_URL", "sqlite://")
    from bench.bare import padded

    page = "<!doctype html><p>Zoë</p>"
    assert len(padded(page, 16_384).encode()) == 16_384
    assert padded(page, 16_384).startswith(page)
    assert padded(page, 10) == page
