"""The loopback listener the browser is redirected to (RFC 8252 section 7.3).

It listens on 127.0.0.1 only, on the port asked for (0: any free one), whether the redirect URI
names 127.0.0.1 or localhost (a browser that tries ::1 for localhost first finds nothing of ours
there and goes on to 127.0.0.1). A GET of the callback path whose query has a code, a state or
an error is a callback, and read (login._callback) state first:
- a callback without this login's state gets a 400 page and is otherwise ignored: the login
  goes on waiting, so nothing that can reach the port can end it;
- one with this login's state and the provider's error, or no code, ends the login, and the
  page says it failed and why;
- one with this login's state and a code ends the wait, and the browser's page is held back
  until the code has been exchanged: report() says whether the login worked, and that is what
  the page says. A listener closed without a report says the login did not complete.
Every other request (a favicon, a browser's probe, another method, a Host that is not this
listener's, which is what a DNS-rebinding page would send) gets a small page and is otherwise
ignored. Every page is our own words, HTML-escaped; none quotes a code, a state or a token, and
the request line (which holds the code) is never logged.

Requests are served on threads of their own, so an idle connection a browser opens in advance
cannot hold up the callback; each is dropped after a few seconds of silence.
"""

from __future__ import annotations

import html
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Generic, TypeVar
from urllib.parse import parse_qs, urlsplit

from .._base_errors import InvalidArgument
from ._callback import Refused
from ._errors import CallbackError, LoginError, LoginTimeout
from ._kinds import REDIRECT_HOSTS

HOST = "127.0.0.1"
CALLBACK_PATH = "/callback"
_CALLBACK_KEYS = frozenset({"code", "state", "error"})
_IDLE_CONNECTION = 10.0
# How long the browser's page waits for the exchange's outcome, and a closing listener for that
# page to go out. The exchange is bounded by its own timeouts; these only bound what a browser
# (or a program posing as one) can hold.
_OUTCOME_WAIT = 300.0
_PAGE_OUT = 5.0
_RETURN = "Return to the terminal for details."

T = TypeVar("T")


class CallbackListener(Generic[T]):
    """A one-shot HTTP server on 127.0.0.1 for the identity provider's redirect.

    read turns the callback's query string into what wait() returns (the code), or a Refused
    (a stray one is ignored; any other ends the login, and wait() raises CallbackError with its
    words). redirect_host is the name the redirect URI gives the listener (one of
    REDIRECT_HOSTS): it binds 127.0.0.1 either way.
    """

    def __init__(
        self, read: Callable[[str], T | Refused], *, port: int = 0, redirect_host: str = HOST
    ) -> None:
        if redirect_host not in REDIRECT_HOSTS:
            raise InvalidArgument(f"redirect_host must be one of {', '.join(REDIRECT_HOSTS)}")
        self._redirect_host = redirect_host
        self._read = read
        self._done = threading.Event()
        self._lock = threading.Lock()
        self._got: T | None = None
        self._refused: Refused | None = None
        self._outcome: tuple[bool, str] | None = None
        self._reported = threading.Event()
        self._answered = threading.Event()
        try:
            self._server = _Server((HOST, port), _Handler)
        except OSError as exc:
            raise LoginError(
                f"cannot listen on {HOST}:{port} for the browser's redirect "
                f"({exc.strerror or type(exc).__name__}); choose another --listen-port"
            ) from None
        self._server.listener = self  # type: ignore[assignment]  # the handler needs no T
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def redirect_uri(self) -> str:
        return f"http://{self._redirect_host}:{self.port}{CALLBACK_PATH}"

    def __enter__(self) -> CallbackListener[T]:
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
        """Stop listening. A browser still waiting for its page is told the login did not
        complete (unless report() said otherwise), and that page goes out first."""
        self.report(False, "The login did not complete.")
        if self._got is not None:
            self._answered.wait(_PAGE_OUT)
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.server_close()

    def wait(self, timeout: float) -> T:
        """What read() made of the first callback of this login. Raises CallbackError (made
        here, so its traceback holds no frame of the request) or LoginTimeout."""
        if not self._done.wait(timeout):
            raise LoginTimeout(
                f"no answer from the browser within {timeout:g} s (--timeout to wait longer)"
            )
        if self._refused is not None:
            raise CallbackError(self._refused.message)
        assert self._got is not None
        return self._got

    def report(self, ok: bool, message: str) -> None:
        """How the login ended, for the browser's page (the first report counts)."""
        with self._lock:
            if self._outcome is None:
                self._outcome = (ok, message)
        self._reported.set()

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
            read = self._read(query)
            if isinstance(read, Refused):
                if read.stray:
                    return 400, f"{read.message[0].upper()}{read.message[1:]}."
                self._refused = read
                self._done.set()
                return 400, f"The login failed: {read.message}. {_RETURN}"
            self._got = read
            self._done.set()
        return self._outcome_page()

    def _outcome_page(self) -> tuple[int, str]:
        """The page of a callback whose code is being exchanged: once the outcome is known."""
        if not self._reported.wait(_OUTCOME_WAIT):
            return 202, "The login is still being completed: see the terminal for how it ends."
        assert self._outcome is not None
        ok, message = self._outcome
        if ok:
            return 200, f"{message} You can close this tab and return to the terminal."
        return 400, f"{message} {_RETURN}"

    def answered(self) -> None:
        """Called once a page is sent."""
        if self._got is not None:
            self._answered.set()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    listener: CallbackListener[object]

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
        listener.answered()

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
