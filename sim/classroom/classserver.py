"""The class mode's web server: a JSON API over :class:`~sim.classroom.classgame.ClassGame` and one page.

Standard library only (``http.server``), bound to 127.0.0.1 unless told otherwise; the
page (:mod:`sim.classroom.classpage`) is plain HTML and JavaScript served from here, so
nothing is fetched from outside. Each device polls ``/api/state`` about once a second.

The API: ``GET /api/state?token=…``; ``POST`` a JSON object to ``/api/join`` (``code``,
``seat``, ``team``), ``/api/vote`` (``token``, ``vote``, optionally ``seat``),
``/api/counter`` (``token``, ``text``, ``level`` or ``withdraw``) and ``/api/teacher``
(``token``, ``action``, ``seconds``, ``name``). A request the game refuses gets a 403
with ``{"error": why}``; a malformed one a 400, an unknown path 404, another method
405, a body over 4 kB 413 — always a JSON ``{"error": …}``, never a traceback.
"""

from __future__ import annotations

import json
import signal
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

from sim.classroom.classgame import ClassGame, RefusedError
from sim.classroom.classpage import PAGE

MAX_BODY = 4096  # bytes: every request of the game is a few words


def make_server(game: ClassGame, host: str = "127.0.0.1", port: int = 0) -> ThreadingHTTPServer:
    """An HTTP server for ``game`` (not yet serving; call ``serve_forever``)."""

    class Handler(BaseHTTPRequestHandler):
        timeout = 30  # seconds a device may take to send its request before its connection is dropped

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
                try:
                    self._json(200, game.state(token))
                except Exception as exc:  # a bug: say so without a traceback
                    sys.stderr.write(f"class game: {exc!r}\n")
                    self._json(500, {"error": "the game could not show its state (an error in simrun)"})
            else:
                self._json(404, {"error": "not found"})

        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            try:
                length = int(self.headers.get("Content-Length") or 0)
            except ValueError:
                length = -1
            if length < 0:
                self._json(400, {"error": "send a Content-Length"})
                return
            if length > MAX_BODY:
                self._json(413, {"error": "request too large"})
                return
            try:
                body = self.rfile.read(length)
            except OSError:  # the device went away or never sent its body (see ``timeout``)
                return
            try:
                data = json.loads(body or b"{}")
                if not isinstance(data, dict):
                    raise ValueError
            except (ValueError, RecursionError):  # RecursionError: nested deeper than the parser recurses
                self._json(400, {"error": "send a JSON object"})
                return
            try:
                self._post(urlparse(self.path).path, data)
            except RefusedError as exc:
                self._json(403, {"error": str(exc)})
            except Exception as exc:  # a bug, not the user's fault: say so without a traceback
                sys.stderr.write(f"class game: {exc!r}\n")
                self._json(500, {"error": "the game could not do that (an error in simrun)"})

        def _post(self, path: str, data: dict) -> None:
            token = data.get("token", "")
            if path == "/api/join":
                token = game.join(data.get("code", ""), data.get("seat", ""), data.get("team", ""))
                self._json(200, {"token": token})
            elif path == "/api/vote":
                game.vote(token, data.get("vote", ""), data.get("seat"))
                self._json(200, {"ok": True})
            elif path == "/api/counter":
                game.counter(token, data)
                self._json(200, {"ok": True})
            elif path == "/api/teacher":
                args = {k: v for k, v in data.items() if k not in ("token", "action")}
                game.teacher(token, str(data.get("action", "")), **args)
                self._json(200, {"ok": True})
            else:
                self._json(404, {"error": "not found"})

        def _no(self) -> None:
            self._json(405, {"error": "use GET or POST"})

        do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _no  # noqa: N815 - http.server's names

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
