"""The category catalogue and the regional covenant matrices (data files in ``sharing/``).

Both are read once and cached; a malformed file stops start-up with the file and the
problem (:class:`CatalogueError`). A region changes what it shares without consent by
editing ``sharing/covenants/<REGION>.toml``; see the README.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from mda.config import ROOT
from mda.organisations.models import ORGANISATION_TYPES

SHARING_DIR = ROOT / "sharing"


class CatalogueError(ValueError):
    """A catalogue or covenant file that cannot be used; the message names the file."""


@dataclass(frozen=True)
class Category:
    code: str
    name: str
    description: str
    special: bool


@dataclass(frozen=True)
class CovenantRule:
    recipient: str  # organisation type or "*"
    categories: frozenset[str]  # codes, or {"*"} for every non-special category
    clause: str

    def covers(self, org_type: str, category: Category) -> bool:
        """Whether this rule lets *org_type* receive *category* without consent."""
        if self.recipient not in ("*", org_type):
            return False
        if category.code in self.categories:
            return True
        return "*" in self.categories and not category.special


@dataclass(frozen=True)
class Covenant:
    region_code: str
    name: str
    rules: tuple[CovenantRule, ...]

    def ground_for(self, org_type: str, category: Category) -> CovenantRule | None:
        """The first rule that covers *category* for *org_type*, if any."""
        return next((r for r in self.rules if r.covers(org_type, category)), None)


def _load_toml(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise CatalogueError(f"{path.relative_to(ROOT)}: {exc}") from None


@cache
def categories(directory: Path = SHARING_DIR) -> dict[str, Category]:
    """The category catalogue, code -> :class:`Category`."""
    path = directory / "categories.toml"
    result = {}
    for code, raw in _load_toml(path).items():
        if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
            raise CatalogueError(f"{path.relative_to(ROOT)}: categorie [{code}] mist 'name'")
        if not isinstance(raw.get("special", False), bool):
            raise CatalogueError(f"{path.relative_to(ROOT)}: [{code}].special moet true of false zijn")
        result[code] = Category(code, raw["name"], raw.get("description", ""), raw.get("special", False))
    if not result:
        raise CatalogueError(f"{path.relative_to(ROOT)}: geen categorieën gevonden")
    return result


def category(code: str) -> Category:
    """The category *code*; raises KeyError for a code not in the catalogue."""
    return categories()[code]


@cache
def covenant(region_code: str, directory: Path = SHARING_DIR) -> Covenant:
    """The covenant matrix of *region_code*; a region without a file shares nothing by covenant."""
    path = directory / "covenants" / f"{region_code}.toml"
    if not path.exists():
        return Covenant(region_code, "geen convenant vastgelegd", ())
    raw = _load_toml(path)
    known = categories(directory)
    rules = []
    for n, rule in enumerate(raw.get("rule", []), start=1):
        where = f"{path.relative_to(ROOT)}: regel {n}"
        recipient = rule.get("recipient")
        if recipient != "*" and recipient not in ORGANISATION_TYPES:
            raise CatalogueError(f"{where}: onbekend organisatietype {recipient!r}")
        cats = rule.get("categories")
        if not isinstance(cats, list) or not cats:
            raise CatalogueError(f"{where}: 'categories' moet een niet-lege lijst zijn")
        unknown = [c for c in cats if c != "*" and c not in known]
        if unknown:
            raise CatalogueError(f"{where}: onbekende categorie(ën) {', '.join(unknown)}")
        if not rule.get("clause"):
            raise CatalogueError(f"{where}: 'clause' (artikel of convenantbepaling) ontbreekt")
        rules.append(CovenantRule(recipient, frozenset(cats), rule["clause"]))
    return Covenant(region_code, raw.get("name", region_code), tuple(rules))


def validate_all(directory: Path = SHARING_DIR) -> None:
    """Load the catalogue and every covenant file (called at start-up)."""
    categories(directory)
    for path in sorted((directory / "covenants").glob("*.toml")):
        covenant(path.stem, directory)
