"""The documents benchmark in a tiny configuration: it imports, runs end to end and writes its report."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_the_documents_bench_runs_a_tiny_round_and_reports_both_ratios(tmp_path):
    """Does ``python -m bench.documents`` with a 0.2 MB PDF and one round upload and download through both servers,
    time the scan apart and write a report naming the command, the load and both ratios to the folder given?"""
    if shutil.which("sigtool") is None or not Path("/usr/sbin/clamd").exists():
        pytest.skip("ClamAV (clamav, clamav-daemon) is niet geïnstalleerd")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MDA_")}
    env |= {"PYTHONPATH": str(ROOT), "TMPDIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "bench.documents", "--megabytes", "0.2", "--rounds", "1", "--out",
                           str(tmp_path / "out")], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    report = (tmp_path / "out" / "documents.md").read_text()
    assert "python -m bench.documents --megabytes 0.2 --rounds 1" in report and "Load average" in report
    assert "(quick run)" in report
    for row in ("upload (bare Flask)", "virus scan alone", "scan time taken off", "download ratio MDA++ : bare"):
        assert row in report, row


def test_the_pdf_it_sends_is_one_we_accept():
    """Is the benchmark's PDF (a page of noise, as a scan) accepted by the upload's content check, at about the
    size asked?"""
    from bench.documents import make_pdf
    from mda.documents import filetypes

    pdf = make_pdf(1.0)
    assert filetypes.detect(pdf) == filetypes.PDF
    assert 0.8 < len(pdf) / (1024 * 1024) < 1.2
