"""The class mode's web server: a JSON API over :class:`~sim.classroom.classgame.ClassGame` and one page.

Standard library only (``http.server``), bound to 127.0.0.1 unless told otherwise; the
page is plain HTML and JavaScript served from here, so nothing is fetched from outside.
Each device polls ``/api/state`` about once a second.
"""

from __future__ import annotations

import json
import signal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

from sim.classroom.classgame import ClassGame, RefusedError

MAX_BODY = 4096  # bytes: every request of the game is a few words


def make_server(game: ClassGame, host: str = "127.0.0.1", port: int = 0) -> ThreadingHTTPServer:
    """An HTTP server for ``game`` (not yet serving; call ``serve_forever``)."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:  # quiet: a class makes many requests
            return

        def _send(self, status: int, body: bytes, kind: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def _json(self, status: int, data: object) -> None:
            self._send(status, json.dumps(data).encode())

        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            url = urlparse(self.path)
            if url.path in ("/", "/index.html"):
                self._send(200, PAGE.encode(), "text/html; charset=utf-8")
            elif url.path == "/api/state":
                token = parse_qs(url.query).get("token", [""])[0]
                self._json(200, game.state(token))
            else:
                self._json(404, {"error": "not found"})

        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                self._json(413, {"error": "request too large"})
                return
            try:
                data = json.loads(self.rfile.read(length) or b"{}")
                if not isinstance(data, dict):
                    raise ValueError
            except ValueError:
                self._json(400, {"error": "send a JSON object"})
                return
            try:
                path = urlparse(self.path).path
                if path == "/api/join":
                    token = game.join(data.get("code", ""), data.get("seat", ""), data.get("team", ""))
                    self._json(200, {"token": token})
                elif path == "/api/vote":
                    game.vote(data.get("token", ""), data.get("vote", ""))
                    self._json(200, {"ok": True})
                elif path == "/api/teacher":
                    args = {k: v for k, v in data.items() if k not in ("token", "action")}
                    game.teacher(data.get("token", ""), str(data.get("action", "")), **args)
                    self._json(200, {"ok": True})
                else:
                    self._json(404, {"error": "not found"})
            except RefusedError as exc:
                self._json(403, {"error": str(exc)})

    server = _Server((host, port), Handler)
    server.daemon_threads = True
    return server


class _Server(ThreadingHTTPServer):
    # The default backlog (5) resets connections when a class of 30 devices polls at once.
    request_queue_size = 128


def run(game: ClassGame, host: str, port: int, say: object = print) -> None:
    """Serve until SIGTERM, SIGHUP or SIGINT; the port is closed before this returns."""
    server = make_server(game, host, port)

    def stop(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    for s in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, stop)
    url = f"http://{host}:{server.server_address[1]}/"
    say(f"Class game of {game.scenario.name}: students open {url} and join with code {game.join_code}")
    say(f"Teacher: open {url}#teacher={game.teacher_token} (keep this address to yourself)")
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


PAGE = r"""<!DOCTYPE html><html lang=en><head><meta charset=utf-8><title>simrun class</title>
<meta name=viewport content="width=device-width,initial-scale=1"><link rel=icon href="data:,">
<style>
body{font-family:system-ui,sans-serif;max-width:60rem;margin:1rem auto;padding:0 1rem;color:#222}
h1{font-size:1.4rem} h2{font-size:1.1rem;border-bottom:1px solid #ccc;margin-top:1.4rem}
table{border-collapse:collapse;font-size:.9rem} td,th{border:1px solid #ccc;padding:.2rem .45rem;text-align:left}
td.n{text-align:right} button{margin:.15rem;padding:.35rem .8rem;font-size:.95rem}
#plenary{max-height:18rem;overflow-y:auto;border:1px solid #ddd;padding:.4rem;font-size:.92rem}
.err{color:#a00} .meta{color:#666;font-size:.9rem} .on{background:#1565c0;color:#fff}
</style></head><body>
<h1 id=title>simrun — class game</h1>
<div id=status class=meta></div><div id=error class=err></div>
<div id=join hidden><h2>Join the game</h2>
<label>Join code <input id=code size=8></label> <label>Team name <input id=team size=14></label>
<label>Seat <select id=seatpick></select></label> <button id=joinbtn>Take this seat</button></div>
<div id=teacher hidden><h2>Teacher</h2><div id=joincode></div>
<label>Round timer (s) <input id=seconds size=4 value=90></label>
<button id=open>Open round</button><button id=close>Close round</button>
<button id=pause>Pause</button><button id=resume>Resume</button><button id=end>End the game</button>
<div id=eventbtns></div><div id=votes class=meta></div></div>
<div id=seat hidden><h2 id=seatname></h2><div id=brief></div>
<h3>The text on the table and your utility for it</h3><div id=utility></div>
<div><button id=v_accept>Sign</button><button id=v_reject>Refuse</button>
<button id=v_auto>Let our agent decide</button> <span id=myvote class=meta></span></div></div>
<h2>The table</h2><div id=proposal></div><div id=deals></div>
<h2>Plenary</h2><div id=plenary></div>
<div id=debrief hidden><h2>Debrief</h2><div id=debrieftext></div></div>
<script>
"use strict";
const $ = id => document.getElementById(id);
const esc = s => String(s).replace(/[&<>"']/g, c => ({"&":"&amp;","<":"&lt;",">":"&gt;",'"':"&quot;","'":"&#39;"}[c]));
let token = "";
const hash = new URLSearchParams(location.hash.slice(1));
if (hash.get("teacher")) token = hash.get("teacher"); else token = sessionStorage.getItem("simrun-seat") || "";
async function post(path, body) {
  const r = await fetch(path, {method: "POST", headers: {"Content-Type": "application/json"},
                               body: JSON.stringify(Object.assign({token}, body))});
  const data = await r.json();
  $("error").textContent = r.ok ? "" : data.error;
  refresh();
  return data;
}
function textTable(items) {
  return "<table><tr><th>issue</th><th>0 means</th><th>value</th><th>1 means</th></tr>" + items.map(i =>
    `<tr><td>${esc(i.issue)}</td><td>${esc(i.low)}</td><td class=n>${i.value.toFixed(2)}</td><td>${esc(i.high)}</td></tr>`).join("") + "</table>";
}
function render(s) {
  $("title").textContent = "simrun — " + s.scenario;
  const left = s.seconds_left == null ? "" : ` · ${s.seconds_left} s left`;
  $("status").textContent = `Round ${s.round} of ${s.rounds} · ${s.phase}${left} · tension ${s.tension.toFixed(2)}`;
  $("status").dataset.phase = s.phase; $("status").dataset.round = s.round;
  $("join").hidden = s.role !== "public" || s.phase === "ended";
  const pick = $("seatpick");
  if (pick.options.length === 0) for (const [id, seat] of Object.entries(s.seats)) pick.add(new Option(seat.name, id));
  for (const o of pick.options) o.disabled = s.seats[o.value].taken;
  $("teacher").hidden = s.role !== "teacher";
  if (s.role === "teacher") {
    $("joincode").innerHTML = `Join code: <b id=code_shown>${esc(s.join_code)}</b>`;
    if (!$("eventbtns").children.length) for (const [k, label] of Object.entries(s.events)) {
      const b = document.createElement("button"); b.textContent = label; b.dataset.event = k;
      b.onclick = () => post("/api/teacher", {action: "event", name: k}); $("eventbtns").appendChild(b);
    }
    $("votes").textContent = "Votes: " + Object.entries(s.votes).map(([a, v]) => `${s.seats[a].name} ${v}`).join(" · ");
  }
  $("seat").hidden = s.role !== "seat";
  if (s.role === "seat") {
    const b = s.seat;
    $("seatname").textContent = "Your seat: " + b.name;
    $("brief").innerHTML = "<p><b>Red lines</b> (what you care most about):</p><ul>" + b.red_lines.map(r => `<li>${esc(r)}</li>`).join("") +
      "</ul><p><b>Why you stand where you do</b></p><ul>" + b.quotes.map(q => `<li>${esc(q)}</li>`).join("") + "</ul><p><b>Your position now</b></p>" + textTable(b.position);
    $("utility").innerHTML = "<table><tr><th>depth</th><th>+ legitimacy</th><th>+ cooperation</th><th>− content cost</th><th>− rivalry cost</th><th>− too deep</th><th>= utility (≥ 0 beats no deal)</th></tr>" +
      b.utility.map(u => `<tr><td>${esc(u.level)}</td><td class=n>${u.legitimacy.toFixed(3)}</td><td class=n>${u.cooperation.toFixed(3)}</td><td class=n>${u.content.toFixed(3)}</td><td class=n>${u.rivalry.toFixed(3)}</td><td class=n>${u.too_deep.toFixed(3)}</td><td class=n>${u.value.toFixed(3)}</td></tr>`).join("") + "</table>";
    $("myvote").textContent = "Your vote this round: " + b.vote;
    $("myvote").dataset.vote = b.vote;
  }
  $("proposal").innerHTML = "<p>The chair's text:</p>" + textTable(s.proposal);
  $("deals").innerHTML = s.deals.length ? "<p>Deals in force: " + s.deals.map(d => `${esc(d.level)} (round ${d.round}: ${esc(d.signed)})`).join("; ") + "</p>" : "<p>No deal yet.</p>";
  $("plenary").innerHTML = s.plenary.slice().reverse().map(l => `<div class=line>${esc(l)}</div>`).join("");
  $("debrief").hidden = !s.debrief;
  if (s.debrief) {
    const d = s.debrief;
    let h = "<table><tr><th>seat</th><th>played by</th><th>signed (class / agent)</th><th>utility (class / agent)</th><th>legitimacy</th><th>cooperation</th><th>content cost</th><th>rivalry cost</th><th>too deep</th><th>turning point</th></tr>";
    for (const [a, r] of Object.entries(d.seats)) {
      const t = k => `${r.terms[k][0].toFixed(3)} / ${r.terms[k][1].toFixed(3)}`;
      h += `<tr class=seatrow data-seat=${esc(a)}><td>${esc(r.name)}</td><td>${esc(r.played_by)}</td><td>${esc(d.labels[r.signed[0]] || r.signed[0])} / ${esc(d.labels[r.signed[1]] || r.signed[1])}</td><td class=n>${r.utility[0].toFixed(3)} / ${r.utility[1].toFixed(3)}</td><td class=n>${t("legitimacy")}</td><td class=n>${t("cooperation")}</td><td class=n>${t("content")}</td><td class=n>${t("rivalry")}</td><td class=n>${t("too_deep")}</td><td>${r.turning_point ? esc(`round ${r.turning_point.round}: ${r.turning_point.class.join(', ')} (agent: ${r.turning_point.agent.join(', ')})`) : 'none'}</td></tr>`;
    }
    h += "</table><p>" + (d.parted == null ? "The class's game went exactly as the agents would have played it." : `The class's game parted from the agents' play in round ${d.parted}.`) + "</p>";
    h += `<p id=classline>The class reached: <b>${esc(d.labels[d.class_level])}</b>. In ${d.runs} model runs of the same scenario the deepest deal was:</p><table>` +
      Object.entries(d.distribution).map(([k, p]) => `<tr${k === d.class_level ? " class=on" : ""}><td>${esc(d.labels[k])}</td><td class=n>${(100 * p).toFixed(0)} %</td></tr>`).join("") + "</table>";
    $("debrieftext").innerHTML = h;
  }
}
async function refresh() {
  try {
    const r = await fetch("/api/state?token=" + encodeURIComponent(token));
    render(await r.json());
  } catch (e) { $("error").textContent = "lost contact with the teacher's computer; retrying"; }
}
$("joinbtn").onclick = async () => {
  const d = await post("/api/join", {code: $("code").value, seat: $("seatpick").value, team: $("team").value});
  if (d.token) { token = d.token; sessionStorage.setItem("simrun-seat", token); refresh(); }
};
for (const a of ["open", "close", "pause", "resume", "end"])
  $(a).onclick = () => post("/api/teacher", {action: a, seconds: Number($("seconds").value)});
for (const v of ["accept", "reject", "auto"]) $("v_" + v).onclick = () => post("/api/vote", {vote: v});
refresh(); setInterval(refresh, 1000);
</script></body></html>
"""
