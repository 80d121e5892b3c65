"""Benchmark: response times of the class server with 30 devices at once on 127.0.0.1.

Starts the class mode's HTTP server in this process, seats four teams, opens a round
and lets ``--devices`` devices (teams share their seat's token, as several phones of
one team would) each poll the state and vote ``--requests`` times at once, as the page
does every second; then the teacher closes the round. Prints the median, 95th
percentile and maximum response time of each kind of request and of the round's close.
Machines are shared and noisy: read the medians.

    python benchmarks/bench_class.py [--devices 30] [--requests 20]
"""

from __future__ import annotations

import argparse
import json
import statistics
import threading
import time
import urllib.request
from pathlib import Path

from sim.classroom.classgame import ClassGame
from sim.classroom.classserver import make_server
from sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parent.parent


def call(url: str, body: dict | None = None) -> tuple[int, dict, float]:
    start = time.perf_counter()
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as r:
        return r.status, json.loads(r.read()), time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=30)
    parser.add_argument("--requests", type=int, default=20)
    args = parser.parse_args()
    game = ClassGame(load_scenario(ROOT / "scenarios" / "bletchley.yaml"))
    server = make_server(game, "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    tokens = [call(f"{base}/api/join", {"code": game.join_code, "seat": s})[1]["token"] for s in game.seats]
    call(f"{base}/api/teacher", {"token": game.teacher_token, "action": "open", "seconds": 900})
    times: dict[str, list[float]] = {"state": [], "vote": []}
    failures: list[str] = []

    def device(i: int) -> None:
        token = tokens[i % len(tokens)]
        for k in range(args.requests):
            try:
                times["state"].append(call(f"{base}/api/state?token={token}")[2])
                times["vote"].append(call(f"{base}/api/vote", {"token": token, "vote": ("accept", "auto")[k % 2]})[2])
            except OSError as exc:
                failures.append(str(exc))

    start = time.perf_counter()
    threads = [threading.Thread(target=device, args=(i,)) for i in range(args.devices)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    close = call(f"{base}/api/teacher", {"token": game.teacher_token, "action": "close"})[2]
    server.shutdown()
    server.server_close()
    print(f"{args.devices} devices × {args.requests} polls and votes in {wall:.1f} s; {len(failures)} failed")
    for kind, values in times.items():
        values.sort()
        p95 = values[int(0.95 * (len(values) - 1))]
        print(
            f"  {kind:5} n={len(values):4}  median {1000 * statistics.median(values):6.1f} ms  "
            f"p95 {1000 * p95:6.1f} ms  max {1000 * values[-1]:6.1f} ms"
        )
    print(f"  closing the round (the model plays it): {1000 * close:.1f} ms")


if __name__ == "__main__":
    main()
