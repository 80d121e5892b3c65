"""The class mode's web server: a JSON API over :class:`~sim.classroom.classgame.ClassGame` and one page.

Standard library only (``http.server``), bound to 127.0.0.1 unless told otherwise; the
page (:mod:`sim.classroom.classpage`) is plain HTML and JavaScript served from here, so
nothing is fetched from outside. Each device polls ``/api/state`` about once a second.
``/`` is the page of students and the teacher, ``/projector`` the projector's: neither
address carries a token (the teacher's page moves its token out of the address bar).

The API: ``GET /api/state?token=…`` (or ``?screen=…`` for a projector); ``POST`` a JSON
object to ``/api/join`` (``code``, ``seat``, ``team``), ``/api/leave`` (``token``),
``/api/vote`` (``token``, ``vote``, optionally ``seat``), ``/api/counter`` (``token``,
``text``, ``level`` or ``withdraw``), ``/api/screen`` (a projector asks for its key and
pairing code) and ``/api/teacher`` (``token``, ``action`` and its arguments). A request
the game refuses gets a 403 with ``{"error": why}``, one from a client asking too often a
429 with ``Retry-After``; a malformed one a 400, an unknown path 404, another method
405, a body over 4 kB 413 — always a JSON ``{"error": …}``, never a traceback. A device
that goes away mid-answer is let go in silence.
"""

from __future__ import annotations

import json
import signal
import socket
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

from sim.classroom.classgame import ClassGame, RefusedError, TooManyError
from sim.classroom.classpage import PAGE
from sim.classroom.seats import shown_code

MAX_BODY = 4096  # bytes: every request of the game is a few words


def make_server(game: ClassGame, host: str = "127.0.0.1", port: int = 0) -> ThreadingHTTPServer:
    """An HTTP server for ``game`` (not yet serving; call ``serve_forever``).

    Sets ``game.address`` (what students open, shown on the projector) if it has none.
    """

    class Handler(BaseHTTPRequestHandler):
        timeout = 30  # seconds a device may take to send its request before its connection is dropped

        def log_message(self, *args: object) -> None:  # quiet: a class makes many requests
            return

        def _send(self, status: int, body: bytes, kind: str = "application/json", extra: dict | None = None) -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.send_header("Referrer-Policy", "no-referrer")
                for key, value in (extra or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(body)
            except OSError:  # the device went away mid-answer (BrokenPipe, reset): nothing to tell
                self.close_connection = True

        def _json(self, status: int, data: object, extra: dict | None = None) -> None:
            self._send(status, json.dumps(data).encode(), extra=extra)

        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            url = urlparse(self.path)
            if url.path in ("/", "/index.html", "/projector"):
                self._send(200, PAGE.encode(), "text/html; charset=utf-8")
            elif url.path == "/api/state":
                query = parse_qs(url.query)
                token, screen = query.get("token", [""])[0], query.get("screen", [""])[0]
                try:
                    self._json(200, game.state(token, screen))
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
            except TooManyError as exc:
                self._json(429, {"error": str(exc)}, {"Retry-After": str(max(1, round(exc.retry_after)))})
            except RefusedError as exc:
                self._json(403, {"error": str(exc)})
            except Exception as exc:  # a bug, not the user's fault: say so without a traceback
                sys.stderr.write(f"class game: {exc!r}\n")
                self._json(500, {"error": "the game could not do that (an error in simrun)"})

        def _post(self, path: str, data: dict) -> None:
            token = data.get("token", "")
            if path == "/api/join":
                client = self.client_address[0] if self.client_address else ""
                token = game.join(data.get("code", ""), data.get("seat", ""), data.get("team", ""), client)
                self._json(200, {"token": token})
            elif path == "/api/leave":
                game.leave(token)
                self._json(200, {"ok": True})
            elif path == "/api/screen":
                key, pair = game.new_screen()
                self._json(200, {"key": key, "pair": pair})
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
    if not game.address:
        game.address = student_address(host, server.server_address[1])
    return server


def student_address(host: str, port: int) -> str:
    """The address students open: the host bound, or this machine's address on the network for 0.0.0.0."""
    if host in ("", "0.0.0.0", "::"):
        try:  # the addresses this machine's name resolves to (no connection is made)
            found = {a[4][0] for a in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)}
        except OSError:
            found = set()
        lan = sorted(a for a in found if not a.startswith("127."))
        host = lan[0] if lan else socket.gethostname()
    return f"http://{host}:{port}/"


class _Server(ThreadingHTTPServer):
    # The default backlog (5) resets connections when a class of 30 devices polls at once.
    request_queue_size = 128

    def handle_error(self, request: object, client_address: object) -> None:
        """A device that dropped its connection is no error; anything else is one line, never a traceback."""
        exc = sys.exc_info()[1]
        if isinstance(exc, ConnectionError | TimeoutError):
            return
        sys.stderr.write(f"class game: {exc!r} (from {client_address})\n")


def run(game: ClassGame, host: str, port: int, say: object = print, notes: tuple[str, ...] = ()) -> None:
    """Serve until SIGTERM, SIGHUP or SIGINT; the port is closed before this returns.

    ``notes``: lines told after the addresses (where the game's record is, a resumed game's state).
    """
    server = make_server(game, host, port)

    def stop(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    for s in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, stop)
    url = f"http://{'127.0.0.1' if host in ('', '0.0.0.0', '::') else host}:{server.server_address[1]}/"
    code = shown_code(game.join_code)
    say(f"Class game of {game.scenario.name}: students open {game.address} and join with code {code}")
    say(f"Teacher: open {url}#teacher={game.teacher_token} on your own screen (keep this address to yourself)")
    say(f"Projector: open {game.address}projector and pair it from the teacher's page (no token in its address)")
    for note in notes:
        say(note)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
