"""The loopback listener the browser is redirected to (RFC 8252 section 7.3).

It listens on 127.0.0.1 only, on the port asked for (0: any free one), whether the redirect URI
names 127.0.0.1 or localhost (a browser that tries ::1 for localhost first finds nothing of ours
there and goes on to 127.0.0.1), and ends on the first valid callback: a GET of the callback
path whose query has a code, a state or an error. Every other request (a favicon, a browser's
probe, another method, a Host that is not this listener's, which is what a DNS-rebinding page
would send) gets a small page and is otherwise ignored. The browser is answered with a page
saying whether the login worked; it quotes no code and no state, and the request line (which
holds the code) is never logged.

Requests are served on threads of their own, so an idle connection a browser opens in advance
cannot hold up the callback; each is dropped after a few seconds of silence.
"""

from __future__ import annotations

import html
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import parse_qs, urlsplit

from ._errors import CallbackError, LoginError, LoginTimeout
from ._kinds import REDIRECT_HOSTS

HOST = "127.0.0.1"
CALLBACK_PATH = "/callback"
_CALLBACK_KEYS = frozenset({"code", "state", "error"})
_IDLE_CONNECTION = 10.0


class CallbackListener:
    """A one-shot HTTP server on 127.0.0.1 for the identity provider's redirect.

    read_code turns the callback's query string into the code, or raises CallbackError (it
    checks the state); wait() returns that code or raises that error. redirect_host is the name
    the redirect URI gives the listener (one of REDIRECT_HOSTS): it binds 127.0.0.1 either way.
    """

    def __init__(
        self, read_code: Callable[[str], str], *, port: int = 0, redirect_host: str = HOST
    ) -> None:
        if redirect_host not in REDIRECT_HOSTS:
            raise ValueError(f"redirect_host must be one of {', '.join(REDIRECT_HOSTS)}")
        self._redirect_host = redirect_host
        self._read_code = read_code
        self._done = threading.Event()
        self._lock = threading.Lock()
        self._code: str | None = None
        self._error: CallbackError | None = None
        try:
            self._server = _Server((HOST, port), _Handler)
        except OSError as exc:
            raise LoginError(
                f"cannot listen on {HOST}:{port} for the browser's redirect "
                f"({exc.strerror or type(exc).__name__}); choose another --listen-port"
            ) from None
        self._server.listener = self
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def redirect_uri(self) -> str:
        return f"http://{self._redirect_host}:{self.port}{CALLBACK_PATH}"

    def __enter__(self) -> CallbackListener:
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="runai-token-login-listener",
            daemon=True,
        )
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.server_close()

    def wait(self, timeout: float) -> str:
        """The code of the first valid callback. Raises CallbackError or LoginTimeout."""
        if not self._done.wait(timeout):
            raise LoginTimeout(
                f"no answer from the browser within {timeout:g} s (--timeout to wait longer)"
            )
        if self._error is not None:
            raise self._error
        assert self._code is not None
        return self._code

    def host_ok(self, host: str | None) -> bool:
        return (host or "").lower() in (f"{HOST}:{self.port}", f"localhost:{self.port}")

    def receive(self, query: str) -> tuple[int, str] | None:
        """The status and page for a GET of the callback path, or None when it is no callback."""
        try:
            keys = parse_qs(query, keep_blank_values=True, max_num_fields=20).keys()
        except ValueError:  # too many fields: no identity provider sends that
            return None
        if not _CALLBACK_KEYS & keys:
            return None
        with self._lock:
            if self._done.is_set():
                return 409, "This login has already finished. You can close this tab."
            try:
                self._code = self._read_code(query)
            except CallbackError as exc:
                self._error = exc
                return 400, f"The login failed: {exc}. Return to the terminal for details."
            return 200, "You are logged in. You can close this tab and return to the terminal."

    def settle(self) -> None:
        """Called once the page is sent: the waiting side may close the listener now."""
        if self._code is not None or self._error is not None:
            self._done.set()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    listener: CallbackListener

    def handle_error(self, request: object, client_address: object) -> None:
        """Quiet: a browser that hangs up mid-page is no news, and the default prints a
        traceback whose frames hold the request (and its code)."""


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    timeout = _IDLE_CONNECTION
    server_version = "runai-token-login"
    sys_version = ""

    def do_GET(self) -> None:
        listener = self.server.listener
        try:
            target = urlsplit(self.path)
        except ValueError:
            target = None
        answer = None
        if (
            target is not None
            and target.path == CALLBACK_PATH
            and listener.host_ok(self.headers.get("Host"))
        ):
            answer = listener.receive(target.query)
        if answer is None:
            self._page(404, "Nothing here: this address only receives the login's redirect.")
            return
        self._page(*answer)
        listener.settle()

    def _refuse(self) -> None:
        self._page(405, "Only GET is served here.", allow="GET")

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _refuse

    def _page(self, status: int, message: str, *, allow: str | None = None) -> None:
        title = "runai-token login"
        body = (
            f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title></head>"
            f"<body><h1>{title}</h1><p>{html.escape(message)}</p></body></html>\n"
        ).encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("Content-Security-Policy", "default-src 'none'")
        self.send_header("Connection", "close")
        if allow is not None:
            self.send_header("Allow", allow)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        self.close_connection = True

    def log_message(self, format: str, *args: object) -> None:
        """Silent: the default writes the request line, code and state included, to stderr."""
