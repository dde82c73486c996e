"""The personal calendar feed with 500 meetings against the same feed with one, through HTTP.

``python -m bench.feed`` (part of ``make bench``). One gunicorn (gthread) serves both feeds;
the demo data plus 500 meetings (each with a demo case on the agenda, the professional invited)
for one user and a single meeting for another. Measured with plain HTTP requests in one loop,
interleaved: the 500-meeting feed, the 1-meeting feed, and the 500-meeting feed polled with its
ETag (what a calendar program does every hour: a 304). Target: 500 meetings ≤ 10× one.
``--quick``: 5 requests of each instead of 25 (labelled quick). The table goes to ``build/bench/feed.md``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import urllib.error
import urllib.request
from datetime import timedelta

os.environ.setdefault("MDA_INSTANCE_PATH", tempfile.mkdtemp(prefix="mda-bench-"))
os.environ.setdefault("MDA_SECRET_KEY", "bench-secret-key-bench-secret-key-0123456789")

from sqlalchemy import insert  # noqa: E402
from sqlmodel import select  # noqa: E402

from bench import doc  # noqa: E402
from bench.seed import demo_app  # noqa: E402
from mda import db  # noqa: E402
from mda.cases.models import Case  # noqa: E402
from mda.core.timeutil import utcnow  # noqa: E402
from mda.demo.accounts import demo_user  # noqa: E402
from mda.meetings import feeds  # noqa: E402
from mda.meetings.models import AgendaItem, Invitation, Meeting  # noqa: E402

N_MEETINGS = int(os.environ.get("MDA_BENCH_FEED_MEETINGS", "500"))
ROUNDS = int(os.environ.get("MDA_BENCH_FEED_ROUNDS", "25"))


def _meetings(s, prefix: str, n: int, coordinator_id: int, case_id: int, user_id: int) -> None:
    now, start = utcnow(), utcnow() + timedelta(days=1)
    s.execute(insert(Meeting), [dict(uid=f"{prefix}-{k}@bench.invalid", type_code="casuistiekoverleg",
                                     title=f"Benchoverleg {k} (fictief)", starts_at=start + timedelta(hours=k),
                                     ends_at=start + timedelta(hours=k, minutes=30), coordinator_id=coordinator_id,
                                     status="gepland", created_at=now, updated_at=now) for k in range(n)])
    ids = list(s.exec(select(Meeting.id).where(Meeting.uid.like(f"{prefix}-%"))))
    s.execute(insert(AgendaItem), [dict(uid=f"{prefix}-item-{mid}@bench.invalid", meeting_id=mid, position=1,
                                        kind="casus", title="Casus", case_id=case_id, minutes=30, starts_at=start,
                                        ends_at=start + timedelta(minutes=30)) for mid in ids])
    s.execute(insert(Invitation), [dict(meeting_id=mid, user_id=user_id, whole_meeting=True, required=True,
                                        response="geaccepteerd", created_at=now) for mid in ids])


def _get(url: str, etag: str | None = None) -> tuple[float, int, str]:
    request = urllib.request.Request(url, headers={"If-None-Match": etag} if etag else {})
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            response.read()
            status, tag = response.status, response.headers.get("ETag", "")
    except urllib.error.HTTPError as exc:  # 304 arrives as an "error"
        status, tag = exc.code, exc.headers.get("ETag", "")
    return (time.perf_counter() - start) * 1000, status, tag


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def main(argv: list[str] | None = None) -> None:
    """``python -m bench.feed [--quick]``: print the table and save it to build/bench/feed.md."""
    from bench.__main__ import Server, _gunicorn_summary  # gunicorn as in the README's deployment

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5 requests of each feed instead of 25")
    args = parser.parse_args(argv)
    rounds = 5 if args.quick else ROUNDS

    app = demo_app("feed-bench")
    with app.app_context(), db.unit_of_work() as s:
        coordinator = demo_user(s, "regisseur.vt@demo.invalid")
        many, one = demo_user(s, "medewerker.vt@demo.invalid"), demo_user(s, "agent.pol@demo.invalid")
        case = s.exec(select(Case).where(Case.reference == "MDA-2026-0001")).one()
        _meetings(s, "bench-veel", N_MEETINGS, coordinator.id, case.id, many.id)
        _meetings(s, "bench-een", 1, coordinator.id, case.id, one.id)
        tokens = {"many": feeds.renew_token(s, many), "one": feeds.renew_token(s, one)}
    app.extensions["mda_engine"].dispose()
    server = Server(app.config["DATABASE_URL"])
    try:
        urls = {k: f"{server.host}/overleggen/feed/{t}.ics" for k, t in tokens.items()}
        times: dict[str, list[float]] = {"many": [], "one": [], "poll": []}
        _, _, etag = _get(urls["many"])
        _get(urls["one"])
        statuses = set()
        for _ in range(rounds):
            for key in ("many", "one"):
                ms, status, _tag = _get(urls[key])
                times[key].append(ms)
                statuses.add(status)
            ms, status, _tag = _get(urls["many"], etag)
            times["poll"].append(ms)
            statuses.add(status)
    finally:
        server.stop()
    many_ms, one_ms, poll_ms = (statistics.median(times[k]) for k in ("many", "one", "poll"))
    report = "\n".join([
        f"## Personal calendar feed{' (quick run)' if args.quick else ''}", "",
        f"Through HTTP (gunicorn, `deploy/gunicorn.conf.py`: {_gunicorn_summary()}; SQLite), median / p95 of "
        f"{rounds} requests, one at a time, statuses seen: {sorted(statuses)}.", "",
        "| feed | median / p95 (ms) |", "|---|---|",
        f"| {N_MEETINGS} meetings | {many_ms:.1f} / {_p95(times['many']):.1f} |",
        f"| 1 meeting | {one_ms:.1f} / {_p95(times['one']):.1f} |",
        f"| {N_MEETINGS} meetings, polled with its ETag (304) | {poll_ms:.1f} / {_p95(times['poll']):.1f} |",
        f"| ratio {N_MEETINGS} : 1 | {many_ms / one_ms:.1f}× (target ≤ 10×) |"])
    print("\n" + report)
    print(f"Written to {doc.save('feed', report).relative_to(doc.ROOT)}.")


if __name__ == "__main__":
    main()
