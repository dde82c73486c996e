"""deploy/requirements.lock: what the container image installs."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_lock_holds_every_runtime_dependency_within_its_bounds():
    """Does the image's lock pin every dependency pyproject.toml names, at a version its lower bound allows
    (a dependency added without `make lock` would build an image that cannot import the app)?"""
    from packaging.version import Version

    locked = {}
    for line in (ROOT / "deploy" / "requirements.lock").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, version = line.split("==")
            locked[name.lower().replace("_", "-")] = Version(version)
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    problems = []
    for requirement in project["dependencies"]:
        name, bound = re.match(r"([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?>=([0-9][0-9.]*)", requirement).groups()
        name = name.lower().replace("_", "-")
        if name not in locked or locked[name] < Version(bound):
            problems.append(f"{name}: {locked.get(name)} (>= {bound})")
    assert problems == []
