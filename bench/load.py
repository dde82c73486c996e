"""Load generator for ``python -m bench``: locust (as a library) in a process of its own.

Reads a JSON plan on stdin: ``{"password": …, "rounds": R, "runs": [{"key", "host", "email",
"path", "users", "seconds", "headers"}]}`` and prints one JSON object: per key, every response
time in milliseconds (all rounds, and round by round), the requests per second of each round, the
number of failures and the median size of a response in bytes. Runs are interleaved round by round,
and every other round runs the plan backwards, so that compared figures share the machine's weather
and neither of two neighbours always goes first.
Imported only here: locust brings gevent, which must not patch the benchmark's own process.
"""

from __future__ import annotations

import json
import re
import statistics
import sys
from collections import defaultdict

import gevent
from locust import HttpUser, constant, events, task
from locust.env import Environment

_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _login(client, email: str, password: str) -> None:
    page = client.get("/login", name="login")
    match = _CSRF.search(page.text)
    data = {"email": email, "password": password, "csrf_token": match.group(1) if match else ""}
    resp = client.post("/login", data=data, name="login", allow_redirects=True)
    if "/login" in resp.url:
        raise RuntimeError(f"login failed for {email}: {resp.status_code} {resp.url}")


def run_one(spec: dict, password: str, samples: dict, failures: dict, sizes: dict) -> float:
    """One timed run of *spec*; returns requests per second (logins and warm-up excluded)."""
    key = spec["key"]
    counting = {"on": False, "n": 0, "ready": 0}

    class Visitor(HttpUser):
        host = spec["host"]
        wait_time = constant(0)

        def on_start(self):
            if spec.get("email"):
                _login(self.client, spec["email"], password)
            counting["ready"] += 1

        @task
        def visit(self):
            with self.client.get(spec["path"], name=key, headers=spec.get("headers") or {},
                                 catch_response=True) as resp:
                if resp.status_code not in (200, 304):
                    resp.failure(f"status {resp.status_code}")
                elif counting["on"]:
                    sizes[key].append(len(resp.content))

    def on_request(request_type, name, response_time, exception, **_kw):
        if name == key and counting["on"]:
            counting["n"] += 1
            if exception is None:
                samples[key].append(response_time)
            else:
                failures[key] += 1

    listener = events.request.add_listener(on_request)
    env = Environment(user_classes=[Visitor], events=events)
    runner = env.create_local_runner()
    runner.start(spec.get("users", 1), spawn_rate=100)
    waited = 0.0
    while counting["ready"] < spec.get("users", 1) and waited < 120:  # every user logged in (Argon2 is slow)
        gevent.sleep(0.1)
        waited += 0.1
    gevent.sleep(spec.get("warmup", 0.5))  # logins and first requests are not measured
    counting["on"] = True
    gevent.sleep(spec["seconds"])
    counting["on"] = False
    runner.quit()
    events.request.remove_listener(listener) if hasattr(events.request, "remove_listener") else None
    return counting["n"] / spec["seconds"]


def main() -> None:
    plan = json.load(sys.stdin)
    samples: dict[str, list[float]] = defaultdict(list)
    failures: dict[str, int] = defaultdict(int)
    rates: dict[str, list[float]] = defaultdict(list)
    sizes: dict[str, list[int]] = defaultdict(list)
    by_round: dict[str, list[list[float]]] = defaultdict(list)
    for number in range(plan.get("rounds", 1)):
        for spec in plan["runs"] if number % 2 == 0 else reversed(plan["runs"]):
            this_round: dict[str, list[float]] = defaultdict(list)
            rates[spec["key"]].append(run_one(spec, plan["password"], this_round, failures, sizes))
            samples[spec["key"]] += this_round[spec["key"]]
            by_round[spec["key"]].append(this_round[spec["key"]])
    json.dump({"samples": samples, "by_round": by_round, "rates": rates, "failures": failures,
               "bytes": {key: statistics.median(found) for key, found in sizes.items()}}, sys.stdout)


if __name__ == "__main__":
    main()
