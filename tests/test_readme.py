"""The README as users read it: short, and true to pyproject.toml."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _bounds() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    requirements = project["dependencies"] + [r for extra in project["optional-dependencies"].values() for r in extra]
    bounds = {}
    for requirement in requirements:
        match = re.match(r"([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?>=([0-9][0-9.]*)", requirement)
        if match:
            bounds[match.group(1).lower().replace("_", "-")] = match.group(2)
    return bounds


def _readme_bounds() -> dict[str, str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    table = text[text.index("## Libraries and why"):]
    return {name.lower(): version for name, version in re.findall(r"([A-Za-z][A-Za-z0-9_.\-]*) ≥([0-9][0-9.]*)", table)}


def test_the_readme_names_the_lower_bounds_pyproject_pins():
    """Does every "library ≥version" in the README's library table say what pyproject.toml says?"""
    pinned, stated = _bounds(), _readme_bounds()
    assert len(stated) > 20  # the table is found and read
    wrong = {name: (version, pinned.get(name)) for name, version in stated.items() if pinned.get(name) != version}
    assert wrong == {}


def test_the_readme_stays_short():
    """Is the README a front page (about 200 lines), with the details in docs/ and every linked doc present?"""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 210
    links = re.findall(r"\]\((docs/[^)#]+)", text)
    assert links and all((ROOT / link).exists() for link in links)
