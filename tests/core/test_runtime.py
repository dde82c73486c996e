"""The serving process's runtime settings."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_garbage_collector_tuning_freezes_start_up_objects_and_keeps_collecting():
    """After tuning, are the objects loaded at start-up out of the collector's sight while it still collects?"""
    code = ("import gc\n"
            "import mda\n"
            "from mda.core.runtime import tune_garbage_collector\n"
            "assert gc.get_freeze_count() == 0\n"
            "tune_garbage_collector()\n"
            "print(gc.get_freeze_count(), gc.isenabled())\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
                         env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}).stdout.split()
    assert int(out[0]) > 10_000 and out[1] == "True"
