"""Each bad input gets a message about itself, and nothing from the network reaches a terminal raw.

- a proxy URL in HTTPS_PROXY / HTTP_PROXY / ALL_PROXY that cannot be used: exit 2 naming the
  variable, never its value (it may hold the proxy's password);
- a base URL whose port is not a port: exit 2 (CLI) or ValueError (TokenAuth, connect()) saying
  so, where it used to be "must be a URL with a host", or accepted and failing later;
- a server's error message with terminal escapes or line breaks: shown escaped.
"""

from __future__ import annotations

import pytest
from runai_tokens import ApiException, ClientCredentials, TokenAuth, connect
from runai_tokens._generated import GRANT_V2_PATH, Error
from runai_tokens._untrusted import escape_controls
from runai_tokens.cli._exit import ExitCode
from runai_tokens.testing import FakeRunaiServer, Reply, scripted

from .helpers.cli_main import env_for, run, server

__all__ = ["server"]  # a fixture, imported for pytest

PROXY_PASSWORD = "fake-proxy-password"
CREDENTIALS = ClientCredentials("fake-client", "fake-secret-messages")


# --- proxies ---------------------------------------------------------------------------------


# Every proxy here is on loopback, so that even a regression sends nothing anywhere else.
@pytest.mark.parametrize(
    ("variable", "value", "problem"),
    [
        ("HTTPS_PROXY", f"http://user:{PROXY_PASSWORD}@[::1", "not a URL"),
        ("https_proxy", f"http://user:{PROXY_PASSWORD}@127.0.0.1:99999", "port"),
        ("HTTP_PROXY", f"http://user:{PROXY_PASSWORD}@127.0.0.1:port", "port"),
        ("ALL_PROXY", f"ftp://user:{PROXY_PASSWORD}@127.0.0.1:21", "scheme"),
        ("all_proxy", f"http://user:{PROXY_PASSWORD}@:3128", "host"),
        ("HTTPS_PROXY", f"http://user:{PROXY_PASSWORD}@127.0.0.1\t:3128", "whitespace"),
        ("HTTPS_PROXY", f"http://user:{PROXY_PASSWORD}@127.0.0.1\x01:3128", "control"),
    ],
)
def test_a_bad_proxy_is_a_usage_error_naming_the_variable(
    server: FakeRunaiServer, variable: str, value: str, problem: str
) -> None:
    # HTTPS_PROXY applies to an https:// base URL, the others to the fake server's http://.
    base_url = "https://127.0.0.1:1" if "HTTPS" in variable.upper() else server.url
    env = env_for(server, RUNAI_BASE_URL=base_url, **{variable: value})
    result = run("get", "--no-cache", "--max-attempts", "1", env=env)
    assert result.code == ExitCode.USAGE
    assert result.err.startswith(f"runai-token: {variable} ")
    assert problem in result.err
    assert PROXY_PASSWORD not in result.err
    assert "user" not in result.err
    assert server.count() == 0


def test_a_socks_proxy_without_socksio_says_what_is_missing(server: FakeRunaiServer) -> None:
    """httpx raises ImportError at the first request: it used to be exit 1, unexpected error."""
    import importlib.util

    assert importlib.util.find_spec("socksio") is None  # not a dependency, not in the dev extra
    env = env_for(server, ALL_PROXY=f"socks5://user:{PROXY_PASSWORD}@127.0.0.1:1")
    result = run("get", "--no-cache", env=env)
    assert result.code == ExitCode.USAGE
    assert result.err.startswith("runai-token: ALL_PROXY ")
    assert "socksio" in result.err
    assert server.count() == 0


def test_a_proxy_without_a_scheme_is_taken_as_http_like_curl(server: FakeRunaiServer) -> None:
    """curl reads HTTPS_PROXY=proxy:3128 as http://proxy:3128; httpx refused it with an
    "unexpected error" that echoed the URL."""
    from runai_tokens.cli._proxy import proxy_for

    assert proxy_for("https://t.example", {"HTTPS_PROXY": "proxy:3128"}) == "http://proxy:3128"
    assert proxy_for("https://t.example", {"https_proxy": "http://p:1"}) == "http://p:1"
    assert proxy_for("https://t.example", {"HTTPS_PROXY": "x", "NO_PROXY": "t.example"}) is None


def test_a_bad_proxy_the_host_bypasses_is_ignored(server: FakeRunaiServer) -> None:
    host = server.url.split("://", 1)[1].split(":", 1)[0]
    env = env_for(server, HTTP_PROXY="ftp://nowhere", NO_PROXY=host)
    assert run("get", "--no-cache", env=env).code == 0


# --- ports -----------------------------------------------------------------------------------


@pytest.mark.parametrize("port", ["99999", "0", "abc", "-1", "65536"])
def test_a_bad_port_in_the_base_url_gets_a_message_about_the_port(
    server: FakeRunaiServer, port: str
) -> None:
    url = f"http://127.0.0.1:{port}"
    result = run("get", "--no-cache", env=env_for(server, RUNAI_BASE_URL=url))
    assert result.code == ExitCode.USAGE
    assert "port" in result.err
    assert port not in result.err.replace("65535", "")
    with pytest.raises(ValueError, match="port") as from_auth:
        TokenAuth(url, CREDENTIALS)
    assert port not in str(from_auth.value).replace("65535", "")
    with pytest.raises(ValueError, match="port"):
        connect(url)
    with pytest.raises(ValueError, match="port"):
        connect(url, CREDENTIALS)


# --- control characters from the network -------------------------------------------------


HOSTILE = "bad secret\x1b]0;pwned\x07\x1b[2J\r\nrunai-token: forged line\u202e"


def test_escape_controls() -> None:
    assert escape_controls(HOSTILE) == (
        "bad secret\\x1b]0;pwned\\x07\\x1b[2J\\r\\nrunai-token: forged line\\u202e"
    )
    assert escape_controls("plain text, é and 中文") == "plain text, é and 中文"
    assert escape_controls("\x9b2J") == "\\x9b2J"  # the 8-bit CSI


@pytest.mark.parametrize("status", [401, 503])
def test_a_servers_message_reaches_the_terminal_escaped(status: int) -> None:
    envelope = {"code": status, "message": HOSTILE}
    with scripted(lambda _: Reply.json(status, envelope)) as server:
        env = {"RUNAI_BASE_URL": server.url, "RUNAI_CLIENT_ID": "c", "RUNAI_CLIENT_SECRET": "s"}
        result = run("get", "--no-cache", "--max-attempts", "1", env=env)
    assert result.code in (ExitCode.REJECTED, ExitCode.UNAVAILABLE)
    assert not any(c in result.err for c in "\x1b\x07\r\u202e")
    assert result.err.count("\n") == 1  # run() checks this too: no forged second line
    assert "\\x1b]0;pwned\\x07\\x1b[2J\\r\\nrunai-token: forged line\\u202e" in result.err


def test_api_exception_str_escapes_the_servers_message() -> None:
    """The library's own messages (str(ApiException), which it logs) cannot forge a log line."""
    with scripted(lambda _: Reply.json(401, {"code": 401, "message": HOSTILE})) as server:
        auth = TokenAuth(server.url, CREDENTIALS)
        with pytest.raises(ApiException) as caught:
            auth.get_token()
    assert "\n" not in str(caught.value)
    assert "\x1b" not in str(caught.value)
    assert isinstance(caught.value.error, Error)
    assert caught.value.error.message == HOSTILE  # the envelope itself is kept as sent
    assert server.count(GRANT_V2_PATH) == 1
