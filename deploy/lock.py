"""Write deploy/requirements.lock: pyproject.toml's runtime dependencies resolved to exact versions (``make lock``).

pip resolves them for this machine's Python (``pip install --dry-run --report``); the image installs exactly
these from wheels built on the host (deploy/image.sh), so a build is repeatable and needs no package index.
"""

import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: dependencies that only older Python patch releases need, which a resolver on a newer one leaves out:
#: Debian bookworm's python3 is 3.11.2 and redis asks for async-timeout below 3.11.3
EXTRA = {"async-timeout": "5.0.1"}


def main() -> None:
    """Resolve and write the lock file."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--dry-run", "--ignore-installed",  # noqa: S603
                        "--report", str(report), str(ROOT)], check=True)
        installs = json.loads(report.read_text())["install"]
    pins = {i["metadata"]["name"].lower(): i["metadata"]["version"] for i in installs if i["metadata"]["name"] != "mda"}
    pins.update({name: version for name, version in EXTRA.items() if name not in pins})
    lines = ["# The image's exact dependencies (pyproject.toml's [project] dependencies, resolved by deploy/lock.py).",
             "# Refresh with `make lock` after changing them; `make image` builds wheels from this file only."]
    lines += [f"{name}=={version}" for name, version in sorted(pins.items())]
    (ROOT / "deploy" / "requirements.lock").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
