"""Upload and download of a 10 MB PDF through HTTP, against a bare Flask upload/download of the same bytes.

``python -m bench.documents`` (part of ``make bench``; ``make bench-docs`` writes its section of
docs/benchmarks.md). Two gunicorns with ``deploy/gunicorn.conf.py``, in the same run:

- MDA++ on the demo data (SQLite, documents stored in the database, the default): the police's API token uploads
  the PDF to a case (``POST /api/v1/cases/<id>/documents``, multipart: content check, virus scan by clamd,
  AES-256-GCM encryption bound to its storage key, one transaction with its item and audit row) and downloads it
  (the engine's decision, the audit row, decryption whose tag is the integrity check, the watermark on every page);
- a bare Flask app (``bare`` below) that takes the same multipart upload into a SQLite blob and sends it back as
  an attachment, nothing else.

Each round uploads and downloads once on each, interleaved; the table gives medians (p50) and p95. The virus scan
is timed apart (the same bytes sent to the same clamd by :class:`mda.documents.scanner.ClamdScanner`), and the
upload is compared with the bare one both with and without it. clamd runs with a signature database of one
signature made here (this machine cannot download ClamAV's), so its time is that of reading the stream, not of
matching a full signature set. Target: MDA++ ≤ 2× bare (upload without the scan, and download).
``--quick``: 3 rounds instead of 15 (labelled quick, never written to the docs).
"""

from __future__ import annotations

import argparse
import io
import os
import random
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("MDA_INSTANCE_PATH", tempfile.mkdtemp(prefix="mda-bench-"))
os.environ.setdefault("MDA_SECRET_KEY", "bench-secret-key-bench-secret-key-0123456789")

from flask import Flask, Response, jsonify, request  # noqa: E402

from bench import doc  # noqa: E402

EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
ROUNDS = 15


def make_pdf(megabytes: float, seed: int = 7) -> bytes:
    """A one-page PDF of about *megabytes* MB: a photo-like picture of noise (incompressible, as a scan is)."""
    from PIL import Image
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    side = max(16, int((megabytes * 1024 * 1024 / 3 / 1.25) ** 0.5))  # reportlab writes it ASCII85: 5 bytes per 4
    picture = Image.frombytes("RGB", (side, side), random.Random(seed).randbytes(side * side * 3))
    buf = io.BytesIO()
    page = canvas.Canvas(buf, pagesize=(595, 842))
    page.drawString(72, 800, "Proces-verbaal (fictief), bijlage: foto's")
    page.drawImage(ImageReader(picture), 36, 36, width=523, height=523)
    page.showPage()
    page.save()
    return buf.getvalue()


# ----------------------------------------------------------------------------- the bare baseline
bare = Flask("bare-documents")


def _blobs() -> sqlite3.Connection:
    conn = sqlite3.connect(os.environ.get("MDA_BENCH_BARE_BLOBS", ":memory:"), timeout=30)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE IF NOT EXISTS blob (id INTEGER PRIMARY KEY, data BLOB NOT NULL)")
    return conn


@bare.get("/casus/1")
def _ready():
    return "ok"


@bare.post("/upload")
def _upload():
    data = request.files["file"].read()
    with _blobs() as conn:
        blob_id = conn.execute("INSERT INTO blob (data) VALUES (?)", (data,)).lastrowid
    return jsonify(id=blob_id, size=len(data)), 201


@bare.get("/download/<int:blob_id>")
def _download(blob_id: int):
    with _blobs() as conn:
        (data,) = conn.execute("SELECT data FROM blob WHERE id = ?", (blob_id,)).fetchone()
    return Response(data, mimetype="application/pdf",
                    headers={"Content-Disposition": 'attachment; filename="document.pdf"'})


# ----------------------------------------------------------------------------- clamd
class Clamd:
    """clamd on a Unix socket of its own, with one signature made here (EICAR): what the test suite does."""

    def __init__(self):
        # a short path of its own: a Unix socket's path may not exceed 107 bytes (TMPDIR may be a long one)
        folder = self.folder = Path(tempfile.mkdtemp(prefix="mda-clamd-", dir="/tmp"))
        clamd, sigtool = "/usr/sbin/clamd", shutil.which("sigtool")
        if sigtool is None or not Path(clamd).exists():
            raise RuntimeError("ClamAV (clamav, clamav-daemon) is niet geïnstalleerd")
        (folder / "db").mkdir(parents=True)
        sample = folder / "eicar.txt"
        sample.write_bytes(EICAR)
        digest, size, _ = subprocess.run([sigtool, "--md5", str(sample)], capture_output=True, text=True,
                                         check=True).stdout.strip().split(":")
        (folder / "db" / "bench.hdb").write_text(f"{digest}:{size}:Eicar-Test-Signature\n")
        self.socket = folder / "clamd.sock"
        (folder / "clamd.conf").write_text(
            f"LocalSocket {self.socket}\nDatabaseDirectory {folder / 'db'}\nForeground yes\n"
            f"LogFile {folder / 'clamd.log'}\nPidFile {folder / 'clamd.pid'}\nStreamMaxLength 100M\nSelfCheck 0\n")
        self.proc = subprocess.Popen([clamd, "-c", str(folder / "clamd.conf")], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with socket.socket(socket.AF_UNIX) as s:
                    s.connect(str(self.socket))
                return
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError("clamd stopte") from None
                time.sleep(0.25)
        raise RuntimeError("clamd startte niet binnen 60 s")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)
        shutil.rmtree(self.folder, ignore_errors=True)


# ----------------------------------------------------------------------------- the run
def _timed(call, *args) -> tuple[float, object]:
    start = time.perf_counter()
    result = call(*args)
    return (time.perf_counter() - start) * 1000, result


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def _prepare(folder: Path):
    """The demo app on a fresh SQLite file; the police officer's API token and the id of case MDA-2026-0001."""
    from sqlmodel import select

    from bench.seed import demo_app
    from mda import db
    from mda.auth import services
    from mda.cases.models import Case
    from mda.demo.accounts import demo_user

    app = demo_app("documents-bench", f"sqlite:///{folder}/mda.sqlite")
    with app.app_context(), db.unit_of_work() as s:
        token = services.create_api_token(s, demo_user(s, "agent.pol@demo.invalid"), "bench")
        case_id = s.exec(select(Case.id).where(Case.reference == "MDA-2026-0001")).one()
    app.extensions["mda_engine"].dispose()
    return app.config["DATABASE_URL"], token, case_id


def run(megabytes: float, rounds: int, folder: Path) -> dict:
    """Measure; return the timings (ms) and what the report names."""
    import requests

    from bench.__main__ import Server
    from mda.documents.scanner import ClamdScanner

    pdf = make_pdf(megabytes)
    url, token, case_id = _prepare(folder)
    clamd = Clamd()
    servers = []
    try:
        mda = Server(url, env={"MDA_CLAMD_ADDRESS": str(clamd.socket), "MDA_DOCUMENT_MAX_MB": "50"})
        servers.append(mda)
        baseline = Server(url, app="bench.documents:bare", env={"MDA_BENCH_BARE_BLOBS": str(folder / "bare.sqlite")})
        servers.append(baseline)
        auth = {"Authorization": f"Bearer {token}"}
        http = requests.Session()

        def mda_upload():
            resp = http.post(f"{mda.host}/api/v1/cases/{case_id}/documents", headers=auth,
                             files={"file": ("pv.pdf", pdf, "application/pdf")}, data={"category": "justitie"})
            assert resp.status_code == 201, resp.text[:300]
            return resp.json()["item_id"]

        def bare_upload():
            resp = http.post(f"{baseline.host}/upload", files={"file": ("pv.pdf", pdf, "application/pdf")})
            assert resp.status_code == 201, resp.text[:300]
            return resp.json()["id"]

        def download(address: str):
            resp = http.get(address, headers=auth)
            assert resp.status_code == 200 and resp.content.startswith(b"%PDF"), resp.text[:300]
            return len(resp.content)

        times: dict[str, list[float]] = {k: [] for k in ("mda_up", "bare_up", "mda_down", "bare_down", "scan")}
        mda_id, bare_id = mda_upload(), bare_upload()  # warm both (imports, first connection)
        download(f"{mda.host}/api/v1/cases/{case_id}/documents/{mda_id}/download")
        download(f"{baseline.host}/download/{bare_id}")
        scanner = ClamdScanner(str(clamd.socket), 60)
        sizes = {}
        for _ in range(rounds):
            ms, mda_id = _timed(mda_upload)
            times["mda_up"].append(ms)
            ms, bare_id = _timed(bare_upload)
            times["bare_up"].append(ms)
            ms, sizes["mda"] = _timed(download, f"{mda.host}/api/v1/cases/{case_id}/documents/{mda_id}/download")
            times["mda_down"].append(ms)
            ms, sizes["bare"] = _timed(download, f"{baseline.host}/download/{bare_id}")
            times["bare_down"].append(ms)
            ms, _ = _timed(scanner.scan, pdf)
            times["scan"].append(ms)
    finally:
        for server in servers:
            server.stop()
        clamd.stop()
    return dict(times=times, bytes=len(pdf), sizes=sizes, rounds=rounds)


def render(result: dict, command: str, quick: bool, load: tuple[float, float, float], seconds: float) -> str:
    """The report: p50 / p95 per operation, the ratios, and how to reproduce them."""
    from bench.__main__ import _gunicorn_summary

    t = result["times"]
    p50 = {k: statistics.median(v) for k, v in t.items()}
    up_ratio = p50["mda_up"] / p50["bare_up"]
    up_without_scan = (p50["mda_up"] - p50["scan"]) / p50["bare_up"]
    down_ratio = p50["mda_down"] / p50["bare_down"]
    mb = result["bytes"] / (1024 * 1024)
    rows = [("upload (MDA++: check, scan, encrypt, store, audit)", "mda_up"), ("upload (bare Flask)", "bare_up"),
            ("download (MDA++: engine, audit, decrypt, watermark)", "mda_down"), ("download (bare Flask)", "bare_down"),
            ("virus scan alone (clamd INSTREAM, same bytes)", "scan")]
    return "\n".join([
        f"## Case documents: a {mb:.1f} MB PDF through HTTP{' (quick run)' if quick else ''}", "",
        f"`{command}` (run by `make bench`): {result['rounds']} rounds, one request at a time, MDA++ and a bare "
        f"Flask app interleaved, both under gunicorn (`deploy/gunicorn.conf.py`: "
        f"{_gunicorn_summary()}) on SQLite; MDA++ stores documents in the database (the default). Load average "
        f"before the run {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} ({os.cpu_count()} CPUs); the run took "
        f"{seconds:.0f} s. The download MDA++ sends is the watermarked copy ({result['sizes'].get('mda', 0):,} bytes "
        f"against {result['sizes'].get('bare', 0):,}).", "",
        "| operation | p50 / p95 (ms) |", "|---|---|",
        *[f"| {label} | {p50[key]:.0f} / {_p95(t[key]):.0f} |" for label, key in rows],
        f"| upload ratio MDA++ : bare, scan included | {up_ratio:.2f}× |",
        f"| upload ratio MDA++ : bare, scan time taken off | {up_without_scan:.2f}× (target ≤ 2×) |",
        f"| download ratio MDA++ : bare | {down_ratio:.2f}× (target ≤ 2×) |", "",
        "clamd scans with one signature made by the run (no signature download here): a full ClamAV database adds "
        "matching time to the scan row, not to the others."])


def main(argv: list[str] | None = None) -> None:
    """``python -m bench.documents [--quick] [--write-docs]``: print the table, save it to build/bench/documents.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 rounds instead of 15; never in the docs")
    parser.add_argument("--write-docs", action="store_true", help="also replace its section of docs/benchmarks.md")
    parser.add_argument("--megabytes", type=float, default=10.0, help="size of the PDF (default 10)")
    parser.add_argument("--rounds", type=int, default=None, help="rounds (default 15, quick 3)")
    parser.add_argument("--out", type=Path, default=doc.BUILD, help="folder of the report (default build/bench)")
    args = parser.parse_args(argv)
    if args.quick and args.write_docs:
        parser.error("a quick run is not written to docs/benchmarks.md: drop --quick or --write-docs")
    rounds = args.rounds or (3 if args.quick else ROUNDS)
    load = os.getloadavg()
    started = time.perf_counter()
    folder = Path(tempfile.mkdtemp(prefix="mda-bench-documents-"))
    try:
        result = run(args.megabytes, rounds, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    command = " ".join(["python -m bench.documents", *(argv if argv is not None else sys.argv[1:])])
    report = render(result, command, args.quick or args.rounds is not None or args.megabytes != 10.0, load,
                    time.perf_counter() - started)
    print("\n" + report)
    print(f"Written to {doc.save('documents', report, args.out)}.")
    if args.write_docs:
        doc.write("documents", report)
        print(f"Written to {doc.TARGET.relative_to(doc.ROOT)}.")


if __name__ == "__main__":
    main()
