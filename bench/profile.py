"""``python -m bench.profile [page] [role] [cases]``: where a page's time goes, with pyinstrument.

Seeds *cases* (default 10,000) cases in a temporary SQLite database, logs in as *role*
(professional, coordinator or team_lead; default professional) through the real login form,
requests the page (default: the case page; ``{case}`` and ``{meeting}`` are that role's) 50
times in-process and prints pyinstrument's call tree. Used to find what to remove (see
docs/benchmarks.md), e.g. ``python -m bench.profile '/overleggen/{meeting}' team_lead 100000``.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile

TMP = tempfile.mkdtemp(prefix="mda-profile-")
os.environ["MDA_INSTANCE_PATH"] = TMP
os.environ.setdefault("MDA_SECRET_KEY", "bench-secret-key-bench-secret-key-0123456789")

from pyinstrument import Profiler  # noqa: E402

from bench.seed import PASSWORD, seed  # noqa: E402
from mda import create_app, db  # noqa: E402
from mda.cli import run_migrations  # noqa: E402


def main() -> None:
    page = sys.argv[1] if len(sys.argv) > 1 else "/casussen/{case}"
    role = sys.argv[2] if len(sys.argv) > 2 else "professional"
    n_cases = int(sys.argv[3]) if len(sys.argv) > 3 else 10_000
    app = create_app({"DATABASE_URL": f"sqlite:///{TMP}/profile.sqlite", "INSECURE_DEMO_SKIP_2FA": True,
                      "RATELIMIT_ENABLED": False})
    with app.app_context():
        run_migrations(app)
        with db.unit_of_work() as s:
            info = seed(s, n_cases)
    client = app.test_client()
    form = client.get("/login").text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form).group(1)
    client.post("/login", data={"email": getattr(info, role), "password": PASSWORD, "csrf_token": token})
    url = page.format(case=info.case_of[role], meeting=info.meeting_of[role])
    assert client.get(url).status_code == 200
    profiler = Profiler(interval=0.0005)
    profiler.start()
    for _ in range(50):
        client.get(url)
    profiler.stop()
    print(profiler.output_text(unicode=True, color=False, show_all=False))


if __name__ == "__main__":
    main()
