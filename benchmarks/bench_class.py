"""Benchmark: response times of the class server with 30 devices at once, each with its own token, on 127.0.0.1.

Starts the class mode's HTTP server in this process on the loopback address and lets
``--devices`` devices join bletchley's 8 seats in turn (4 governments, 4 company
groups; delegations of up to ``ceil(devices / 8)``), each with its own token. The
agents play the sessions, then the teacher opens the summit's round (only there can a
government sign or refuse); then every device, at once, polls the state and votes
``--requests`` times (a government device signs or refuses, a company device picks a
standard), and each government device hands in a counter-proposal every fifth request,
as the page does when a team acts. Then the teacher closes the round (the model plays
it with every vote and counter-proposal).

Bounded: at most ``devices × requests × 2`` requests (plus the counter-proposals), each
with a 10 s timeout, and every device stops at ``--seconds`` whatever it has left.
Prints the median, 95th percentile and maximum response time per kind of request and
over all of them, the failures (any answer but 200, or no answer) and the round's close.
Machines are shared and noisy: read the medians.

    PYTHONPATH=. python benchmarks/bench_class.py [--devices 30] [--requests 20] [--seconds 120]
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from sim.classroom.classgame import ClassGame
from sim.classroom.classserver import make_server
from sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 10.0  # seconds a request may take before it counts as failed


def call(url: str, body: dict | None = None) -> tuple[int, dict, float]:
    """One request: (status, JSON answer, seconds); an HTTP error's status and answer, not an exception."""
    start = time.perf_counter()
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as r:
            return r.status, json.loads(r.read()), time.perf_counter() - start
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}"), time.perf_counter() - start


def figures(values: list[float]) -> str:
    """Median, 95th percentile and maximum of ``values`` (seconds), in milliseconds."""
    values = sorted(values)
    p95 = values[min(len(values) - 1, math.ceil(0.95 * len(values)) - 1)]
    return (
        f"n={len(values):4}  median {1000 * statistics.median(values):6.1f} ms  "
        f"p95 {1000 * p95:6.1f} ms  max {1000 * values[-1]:6.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=30)
    parser.add_argument("--requests", type=int, default=20, help="polls and votes per device")
    parser.add_argument("--seconds", type=float, default=120.0, help="every device stops by then")
    args = parser.parse_args()
    scenario = load_scenario(ROOT / "scenarios" / "bletchley.yaml")
    seats = [a.id for a in scenario.governments] + [a.id for a in scenario.companies]
    # every device comes from 127.0.0.1 here, so one address may hold them all
    game = ClassGame(scenario, delegation=max(1, math.ceil(args.devices / len(seats))), per_device=args.devices)
    for _ in range(scenario.rounds - 1):  # the sessions, played by the agents: the devices sign at the summit
        game.teacher(game.teacher_token, "open")
        game.teacher(game.teacher_token, "close")
    server = make_server(game, "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    devices = []
    for i in range(args.devices):
        seat = seats[i % len(seats)]
        status, data, _ = call(f"{base}/api/join", {"code": game.join_code, "seat": seat, "team": f"team {i}"})
        if status != 200:
            raise SystemExit(f"device {i} could not join {seat}: {data}")
        devices.append((data["token"], game.seats[seat].kind))
    tokens = {token for token, _ in devices}
    call(f"{base}/api/teacher", {"token": game.teacher_token, "action": "open", "seconds": 900})
    times: dict[str, list[float]] = {"state": [], "vote": [], "counter": []}
    failures: list[str] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + args.seconds

    def record(kind: str, url: str, body: dict | None = None) -> None:
        try:
            status, data, took = call(url, body)
        except (OSError, ValueError) as exc:  # no answer in time, a reset, or not JSON
            status, data, took = 0, {"error": repr(exc)}, None
        with lock:
            if status == 200:
                times[kind].append(took)
            else:
                failures.append(f"{kind}: {status} {data.get('error', '')}"[:120])

    def device(i: int) -> None:
        token, kind = devices[i]
        for k in range(args.requests):
            if time.monotonic() >= stop_at:
                return
            record("state", f"{base}/api/state?token={token}")
            vote = ("accept", "reject")[(i + k) % 2] if kind == "government" else ("bloc", "common", "both")[k % 3]
            record("vote", f"{base}/api/vote", {"token": token, "vote": vote})
            if kind == "government" and k % 5 == 0:
                text = {"forum": round(0.3 + 0.02 * (i % 10), 2)}
                record("counter", f"{base}/api/counter", {"token": token, "text": text})

    start = time.perf_counter()
    threads = [threading.Thread(target=device, args=(i,)) for i in range(args.devices)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=args.seconds + 2 * TIMEOUT)
    wall = time.perf_counter() - start
    close = call(f"{base}/api/teacher", {"token": game.teacher_token, "action": "close"})
    server.shutdown()
    server.server_close()
    answered = [v for values in times.values() for v in values]
    print(
        f"{args.devices} devices, {len(tokens)} distinct tokens over {len(seats)} seats "
        f"(delegations of up to {game.delegation}); {args.requests} polls and votes each, in {wall:.1f} s"
    )
    print(f"  failures: {len(failures)} of {len(answered) + len(failures)} requests")
    for line in sorted(set(failures))[:5]:
        print(f"    {line}")
    for kind, values in times.items():
        if values:
            print(f"  {kind:7} {figures(values)}")
    if answered:
        print(f"  {'all':7} {figures(answered)}")
    print(f"  closing the round (the model plays it): {1000 * close[2]:.1f} ms, status {close[0]}")


if __name__ == "__main__":
    main()
