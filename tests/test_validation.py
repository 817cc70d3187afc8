"""One validation: the same bad input gets the same refusal from TokenAuth, connect() and the CLI.

Each row of the tables below goes to every entry point. The message is `<name> <problem>`, where
name is how the value was given (base_url, RUNAI_BASE_URL, --base-url; timeout, --timeout) and
the problem is the same words everywhere; the CLI exits 2 with it. No message quotes the value
(every bad value here carries "fake-secret" where it can), and nothing is ever sent: the `guard`
fixture fails the test on any name lookup or connection.
"""

from __future__ import annotations

import socket
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from runai_tokens import (
    ApiException,
    AppCredentials,
    ClientCredentials,
    ExternalTokenCredentials,
    InsecureHttpWarning,
    InvalidArgument,
    InvalidArgumentType,
    PasswordCredentials,
    RefreshTokenCredentials,
    RetryPolicy,
    StaticToken,
    TokenAuth,
    connect,
)
from runai_tokens._validate import is_loopback
from runai_tokens.cli._exit import ExitCode
from runai_tokens.testing import FakeRunaiServer

from .helpers.cli_main import run

CREDENTIALS = ClientCredentials("fake-client", "fake-secret-validation")
CLI_ENV = {"RUNAI_CLIENT_ID": "fake-client", "RUNAI_CLIENT_SECRET": "fake-secret-validation"}
HTTPS = "https://tenant.example.com"
# Called with arguments of the wrong type on purpose, which mypy would rightly refuse.
BOTH: tuple[Callable[..., object], ...] = (TokenAuth, connect)

WITH_A_HOST = "must be an http:// or https:// URL with a host, e.g. https://<tenant>.run.ai"
PORT = "has a port that is not a number from 1 to 65535"
USERINFO = "must not carry a user or password; pass credentials instead"
QUERY = "must not have a query or fragment"
SPACE = "contains whitespace or a control character"
NOT_A_URL = "is not a valid URL"
HOST = "has a host that is not a valid host name or IP address"
CLEARTEXT = (
    "is plain http to a host that is not loopback: credentials and tokens would cross the "
    "network unencrypted. Use https, or accept that explicitly (allow_insecure_http=True; "
    "runai-token --allow-insecure-http)"
)


@pytest.fixture
def guard(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every name lookup and connection attempted in the test, each refused before it happens."""
    attempts: list[object] = []

    def lookup(host: object, *args: object, **kwargs: object) -> Any:
        attempts.append(host)
        raise socket.gaierror(socket.EAI_NONAME, "refused by the test's guard")

    def connect_to(self: socket.socket, address: object) -> Any:
        attempts.append(address)
        raise ConnectionRefusedError("refused by the test's guard")

    monkeypatch.setattr(socket, "getaddrinfo", lookup)
    monkeypatch.setattr(socket.socket, "connect", connect_to)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_to)
    return attempts


def test_the_guard_sees_a_connection(guard: list[object]) -> None:
    """The control: without it, "nothing was attempted" would prove nothing."""
    with pytest.raises(ApiException):
        TokenAuth("http://127.0.0.1:9", CREDENTIALS, retry=RetryPolicy(max_attempts=1)).get_token()
    assert guard == ["127.0.0.1"]  # the lookup comes first, even for an address


# --- base URLs ---------------------------------------------------------------------------------

BAD_BASE_URLS = [
    ("https://fake-user:fake-secret-pw@tenant.example.com", USERINFO),
    ("https://fake-secret@tenant.example.com", USERINFO),
    ("https://tenant.example.com/?token=fake-secret-q", QUERY),
    ("https://tenant.example.com/#fake-secret-f", QUERY),
    ("https://tenant.example.com/fake-secret?", QUERY),
    ("ftp://fake-secret.example.com", WITH_A_HOST),
    ("fake-secret-tenant.example.com", WITH_A_HOST),
    ("https://", WITH_A_HOST),
    ("https:///fake-secret", WITH_A_HOST),
    ("https://:443/fake-secret", WITH_A_HOST),
    ("https://tenant.example.com:99999/fake-secret", PORT),
    ("https://tenant.example.com:65536/fake-secret", PORT),
    ("https://tenant.example.com:0/fake-secret", PORT),
    ("https://tenant.example.com:-1/fake-secret", PORT),
    ("https://tenant.example.com:fake-secret", PORT),
    ("https://fake-secret tenant.example.com", SPACE),
    ("https://tenant.example.com/fake-secret\tpath", SPACE),
    ("https://tenant.example.com/fake-secret\x01", SPACE),
    ("https://[fake-secret", NOT_A_URL),
    ("https://[fake-secret]", NOT_A_URL),
    ("https://1.2.3.999/fake-secret", HOST),
    ("https://fake%secret.example.com", HOST),
    ("https://fake-secret!.example.com", HOST),
    # IDNA 2008, as httpx encodes and decodes names: refused here, not at the first request.
    ("https://fake-secret.xn--n3h.example", HOST),  # decodes to a snowman, which it disallows
    ("https://XN--A.fake-secret.example", HOST),  # decodes to a control character
    ("https://fake-secret.\u2603.example", HOST),
    ("https://\u0300fake-secret.example", HOST),  # a label may not start with a combining mark
    ("http://fake-secret.example.com", CLEARTEXT),  # with credentials (connect() without: fine)
    ("http://10.0.0.1/fake-secret", CLEARTEXT),
]


@pytest.mark.parametrize(("url", "problem"), BAD_BASE_URLS)
def test_a_bad_base_url_gets_the_same_refusal_everywhere(
    url: str, problem: str, guard: list[object], monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = f"base_url {problem}"
    with pytest.raises(ValueError) as from_auth:
        TokenAuth(url, CREDENTIALS)
    assert str(from_auth.value) == expected
    with pytest.raises(ValueError) as from_connect:
        connect(url, CREDENTIALS)
    assert str(from_connect.value) == expected
    if problem != CLEARTEXT:
        with pytest.raises(ValueError) as without_credentials:
            connect(url)
        assert str(without_credentials.value) == expected

    monkeypatch.setenv("RUNAI_BASE_URL", url)
    with pytest.raises(ValueError) as from_environment:
        connect(None, CREDENTIALS)
    assert str(from_environment.value) == f"RUNAI_BASE_URL {problem}"

    cli_env = run("get", "--no-cache", env={**CLI_ENV, "RUNAI_BASE_URL": url})
    assert cli_env.code == ExitCode.USAGE
    assert cli_env.err == f"runai-token: RUNAI_BASE_URL {problem}\n"
    cli_flag = run("get", "--no-cache", "--base-url", url, env=CLI_ENV)
    assert cli_flag.code == ExitCode.USAGE
    assert cli_flag.err == f"runai-token: --base-url {problem}\n"

    for message in (from_auth, from_connect, from_environment):
        assert "fake-secret" not in str(message.value)
    assert "fake-secret" not in cli_env.err + cli_flag.err
    assert guard == []


def test_a_base_url_of_the_wrong_type_is_a_type_error_everywhere(guard: list[object]) -> None:
    for make in BOTH:
        with pytest.raises(TypeError) as caught:
            make(b"https://tenant.example.com", CREDENTIALS)
        assert str(caught.value) == "base_url must be a str, not bytes"
    assert guard == []


def test_surrounding_whitespace_is_stripped_everywhere(monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeRunaiServer() as server:
        server.add_client(CREDENTIALS.client_id, CREDENTIALS.client_secret)
        padded = f" \t{server.url}\n"
        auth = TokenAuth(padded, CREDENTIALS)
        assert repr(auth).startswith(f"TokenAuth('{server.url}'")
        with httpx.Client(base_url=server.url, auth=auth) as http:
            assert http.get(server.PROTECTED_PATH).status_code == 200  # the origin matched
        with connect(padded, CREDENTIALS) as client:
            assert client.get_httpx_client().get(server.PROTECTED_PATH).status_code == 200
        monkeypatch.setenv("RUNAI_BASE_URL", padded)
        with connect(None, CREDENTIALS) as client:
            assert client.get_httpx_client().get(server.PROTECTED_PATH).status_code == 200
        env = {"RUNAI_CLIENT_ID": CREDENTIALS.client_id, "RUNAI_CLIENT_SECRET": "x"}
        env["RUNAI_CLIENT_SECRET"] = CREDENTIALS.client_secret
        assert run("get", "--no-cache", env={**env, "RUNAI_BASE_URL": padded}).code == 0
        assert run("get", "--no-cache", "--base-url", padded, env=env).code == 0


# --- timeouts, retry settings, credentials -----------------------------------------------------

BAD_TIMEOUTS: list[tuple[object, type[Exception], str]] = [
    (0, ValueError, "must be more than zero"),
    (-1.0, ValueError, "must be more than zero"),
    (float("inf"), ValueError, "must be a finite number of seconds"),
    (float("nan"), ValueError, "must be a finite number of seconds"),
    (10**400, ValueError, "must be a finite number of seconds"),
    (True, TypeError, "must be a number of seconds, not bool"),
    ("30", TypeError, "must be a number of seconds, not str"),
]


@pytest.mark.parametrize(("timeout", "error", "problem"), BAD_TIMEOUTS)
def test_a_bad_timeout_gets_the_same_refusal_everywhere(
    timeout: Any, error: type[Exception], problem: str, guard: list[object]
) -> None:
    with pytest.raises(error) as from_auth:
        TokenAuth(HTTPS, CREDENTIALS, timeout=timeout)
    with pytest.raises(error) as from_connect:
        connect(HTTPS, CREDENTIALS, timeout=timeout)
    assert str(from_auth.value) == str(from_connect.value) == f"timeout {problem}"
    if isinstance(timeout, float | int) and not isinstance(timeout, bool):
        text = "1" + "0" * 400 if timeout == 10**400 else str(timeout)
        cli = run("get", "--no-cache", "--timeout", text, env={**CLI_ENV, "RUNAI_BASE_URL": HTTPS})
        assert (cli.code, cli.err) == (ExitCode.USAGE, f"runai-token: --timeout {problem}\n")
    assert guard == []


def test_a_bad_retry_setting_gets_the_same_refusal_everywhere(guard: list[object]) -> None:
    with pytest.raises(ValueError) as from_policy:
        RetryPolicy(max_attempts=0)
    assert str(from_policy.value) == "max_attempts must be at least 1"
    cli = run("get", "--no-cache", "--max-attempts", "0", env={**CLI_ENV, "RUNAI_BASE_URL": HTTPS})
    assert cli.code == ExitCode.USAGE
    assert cli.err == "runai-token: --max-attempts must be at least 1\n"
    for make in BOTH:
        with pytest.raises(TypeError) as caught:
            make(HTTPS, CREDENTIALS, retry={"max_attempts": 3})
        assert str(caught.value) == "retry must be a RetryPolicy, not dict"
    with pytest.raises(TypeError) as deadline:
        RetryPolicy(deadline=True)
    assert str(deadline.value) == "deadline must be a number of seconds, not bool"
    assert guard == []


def test_other_credentials_get_the_same_refusal_everywhere(guard: list[object]) -> None:
    messages = set()
    for make in BOTH:
        with pytest.raises(TypeError) as caught:
            make(HTTPS, ("fake-client", "fake-secret-tuple"))
        messages.add(str(caught.value))
    assert messages == {
        "credentials must be one of ClientCredentials, AppCredentials, PasswordCredentials, "
        "RefreshTokenCredentials, ExternalTokenCredentials, StaticToken, RunaiCliSession, "
        "LoginSession "
        "(connect() also takes an httpx.Auth); got tuple"
    }
    assert guard == []


def test_a_class_of_the_same_name_from_another_copy_is_named_with_its_module(
    guard: list[object],
) -> None:
    """A vendored copy beside an installed one: "got ClientCredentials" would puzzle."""
    from runai_tokens.retry import RetryTransport

    def other(name: str, module: str) -> object:
        return type(name, (), {"__module__": f"acme._vendor.runai_tokens.{module}"})()

    credentials, policy = other("ClientCredentials", "credentials"), other("RetryPolicy", "retry")
    for make in BOTH:
        with pytest.raises(TypeError) as caught:
            make(HTTPS, credentials)
        assert str(caught.value).endswith(
            "; got acme._vendor.runai_tokens.credentials.ClientCredentials (this copy's is "
            "runai_tokens.credentials.ClientCredentials)"
        )
        with pytest.raises(TypeError) as retry:
            make(HTTPS, CREDENTIALS, retry=policy)
        assert str(retry.value) == (
            "retry must be a RetryPolicy, not acme._vendor.runai_tokens.retry.RetryPolicy "
            "(this copy's is runai_tokens.retry._policy.RetryPolicy)"
        )
    with pytest.raises(TypeError, match=r"got acme\._vendor\.runai_tokens\.retry\.RetryPolicy"):
        RetryTransport(policy)  # type: ignore[arg-type]
    with pytest.raises(TypeError) as unrelated:  # another name: no module, as before
        TokenAuth(HTTPS, other("Secret", "x"))  # type: ignore[arg-type]
    assert str(unrelated.value).endswith("; got Secret")
    assert guard == []


# --- credential fields -----------------------------------------------------------------------

SECRET = "fake-secret-field"
STR = "must be a str, not "
EMPTY = "must not be empty"
CONTROL = "contains a control character"
UTF8 = "is not UTF-8 text"
BAD_CREDENTIAL_FIELDS: list[tuple[type, tuple[object, ...], type[Exception], str]] = [
    (ClientCredentials, (None, SECRET), TypeError, f"client_id {STR}NoneType"),
    (ClientCredentials, (42, SECRET), TypeError, f"client_id {STR}int"),
    (ClientCredentials, ("c", b"fake-secret"), TypeError, f"client_secret {STR}bytes"),
    (ClientCredentials, ("c", None), TypeError, f"client_secret {STR}NoneType"),
    (ClientCredentials, ("c", 12345), TypeError, f"client_secret {STR}int"),
    (ClientCredentials, ("", SECRET), ValueError, f"client_id {EMPTY}"),
    (ClientCredentials, ("c", ""), ValueError, f"client_secret {EMPTY}"),
    (
        ClientCredentials,
        ("fake-secret\r\nX-Injected: 1", SECRET),
        ValueError,
        f"client_id {CONTROL}",
    ),
    (ClientCredentials, ("fake-secret\n", SECRET), ValueError, f"client_id {CONTROL}"),
    (ClientCredentials, ("fake-secret\x00", SECRET), ValueError, f"client_id {CONTROL}"),
    (ClientCredentials, ("c", "fake-secret\udcff"), ValueError, f"client_secret {UTF8}"),
    (ClientCredentials, ("fake-secret\udcff", SECRET), ValueError, f"client_id {UTF8}"),
    (AppCredentials, (None, SECRET), TypeError, f"app_id {STR}NoneType"),
    (AppCredentials, ("a", ""), ValueError, f"app_secret {EMPTY}"),
    (PasswordCredentials, ("fake-secret\r", SECRET), ValueError, f"username {CONTROL}"),
    (PasswordCredentials, ("u", b"fake-secret"), TypeError, f"password {STR}bytes"),
    (PasswordCredentials, ("u", SECRET, 7), TypeError, "client_id must be a str or None, not int"),
    (RefreshTokenCredentials, ("",), ValueError, f"refresh_token {EMPTY}"),
    (RefreshTokenCredentials, (SECRET, "fake-secret\n"), ValueError, f"client_id {CONTROL}"),
    (ExternalTokenCredentials, (None,), TypeError, f"external_token {STR}NoneType"),
]


@pytest.mark.parametrize(("kind", "arguments", "error", "message"), BAD_CREDENTIAL_FIELDS)
def test_a_bad_credential_field_is_refused_when_the_credentials_are_made(
    kind: type,
    arguments: tuple[object, ...],
    error: type[Exception],
    message: str,
    guard: list[object],
) -> None:
    """Not at the first grant (a TypeError from deep in httpx, or a header split in two)."""
    with pytest.raises(error) as caught:
        kind(*arguments)
    # The package's own TypeError or ValueError (under RunaiTokensError), no other kind.
    assert (
        type(caught.value) is {TypeError: InvalidArgumentType, ValueError: InvalidArgument}[error]
    )
    # The class, then the argument: "ClientCredentials: client_id must not be empty".
    assert str(caught.value) == f"{kind.__name__}: {message}"
    assert "fake-secret" not in str(caught.value)
    assert guard == []


def test_what_a_credential_field_may_hold(guard: list[object]) -> None:
    """The values the checks must not refuse: spaces, non-ASCII, and secrets with anything."""
    assert ClientCredentials("client é 中", "secret with spaces\nand lines\x00").client_id
    assert PasswordCredentials("jo@example.com", "p", None).client_id is None
    assert RefreshTokenCredentials("r", "c").client_id == "c"


def test_a_non_utf8_environment_value_is_refused_naming_the_variable() -> None:
    """os.environ keeps bytes that are not UTF-8 as lone surrogates: no str a grant can send."""
    env = {"RUNAI_CLIENT_ID": "c", "RUNAI_CLIENT_SECRET": "fake-secret\udcff"}
    with pytest.raises(ValueError) as caught:
        ClientCredentials.from_env(env)
    assert str(caught.value) == "RUNAI_CLIENT_SECRET is not UTF-8 text"
    with pytest.raises(ValueError) as external:
        ExternalTokenCredentials.from_env({"RUNAI_EXTERNAL_TOKEN": "fake-secret\udcff"})
    assert str(external.value) == "RUNAI_EXTERNAL_TOKEN is not UTF-8 text"


# --- proxy and verify ----------------------------------------------------------------------------

NOT_A_PROXY = "proxy is not a usable proxy URL: "
SCHEME = NOT_A_PROXY + "its scheme must be http, https, socks5 or socks5h"
PROXY_TYPE = "proxy must be a str, an httpx.URL or an httpx.Proxy, not "
SOCKS = NOT_A_PROXY + "a SOCKS proxy needs the socksio package (pip install 'httpx[socks]')"
BAD_PROXIES: list[tuple[object, type[Exception], str]] = [
    ("::::x", ValueError, SCHEME),
    ("fake-secret-proxy:3128", ValueError, SCHEME),
    ("ftp://user:fake-secret@127.0.0.1:21", ValueError, SCHEME),
    (httpx.URL("ftp://127.0.0.1:21"), ValueError, SCHEME),
    ("http://user:fake-secret@127.0.0.1:99999", ValueError, NOT_A_PROXY + "it " + PORT),
    ("http://user:fake-secret@:3128", ValueError, NOT_A_PROXY + "it has no host"),
    ("http://fake-secret@127.0.0.1 :3128", ValueError, NOT_A_PROXY + "it contains whitespace"),
    ("http://[fake-secret", ValueError, NOT_A_PROXY + "it is not a URL"),
    ("socks5://user:fake-secret@127.0.0.1:1080", ValueError, SOCKS),
    (3128, TypeError, PROXY_TYPE + "int"),
    (b"http://127.0.0.1:3128", TypeError, PROXY_TYPE + "bytes"),
]
NOT_A_PATH = "verify is not an existing file or directory (a CA bundle's path)"
VERIFY_TYPE = "verify must be True, False, an ssl.SSLContext or the path of a CA bundle, not "
BAD_VERIFIES: list[tuple[object, type[Exception], str]] = [
    ("/missing/fake-secret-ca.pem", ValueError, NOT_A_PATH),
    ("", ValueError, NOT_A_PATH),
    (1, TypeError, VERIFY_TYPE + "int"),
    (None, TypeError, VERIFY_TYPE + "NoneType"),
    (b"/etc", TypeError, VERIFY_TYPE + "bytes"),
]


def _every_way_in(**options: Any) -> list[Callable[[], object]]:
    """TokenAuth, connect() (with credentials and without) and the transports built alone."""
    from runai_tokens.retry import HTTPTransports

    return [
        lambda: TokenAuth(HTTPS, CREDENTIALS, **options),
        lambda: connect(HTTPS, CREDENTIALS, **options),
        lambda: connect(HTTPS, None, **options),
        lambda: HTTPTransports(**options),
    ]


@pytest.mark.parametrize(("proxy", "error", "message"), BAD_PROXIES)
def test_a_bad_proxy_gets_the_same_refusal_everywhere(
    proxy: object, error: type[Exception], message: str, guard: list[object]
) -> None:
    for make in _every_way_in(proxy=proxy):
        with pytest.raises(error) as caught:
            make()
        assert str(caught.value) == message
    assert guard == []


@pytest.mark.parametrize(("verify", "error", "message"), BAD_VERIFIES)
def test_a_bad_verify_gets_the_same_refusal_everywhere(
    verify: object, error: type[Exception], message: str, guard: list[object]
) -> None:
    for make in _every_way_in(verify=verify):
        with pytest.raises(error) as caught:
            make()
        assert str(caught.value) == message
    assert guard == []


def test_good_proxies_and_verifies_are_taken(tmp_path: Any, guard: list[object]) -> None:
    import ssl

    bundle = tmp_path / "ca.pem"
    bundle.write_text("")
    for verify in (True, False, ssl.create_default_context(), str(bundle), bundle, str(tmp_path)):
        for make in _every_way_in(verify=verify):
            make()
    proxies = ("http://127.0.0.1:3128", "https://user:pw@proxy.example:8443", None)
    for proxy in (*proxies, httpx.URL("http://127.0.0.1:1"), httpx.Proxy("http://127.0.0.1:1")):
        for make in _every_way_in(proxy=proxy):
            make()
    assert guard == []


# --- plain http ---------------------------------------------------------------------------------

NOT_LOOPBACK = [
    "tenant.example.com",
    "127.0.0.1.example.com",
    "localhost.example.com",
    "10.0.0.1",
    "0.0.0.0",  # noqa: S104 - a host name under test, nothing listens
    "[2001:db8::1]",
    "[::]",
    "localhost.",  # a fully qualified name: looked up, and a resolver may answer for it
]


@pytest.mark.parametrize("host", NOT_LOOPBACK)
def test_credentials_over_plain_http_to_another_host_are_refused(
    host: str, guard: list[object]
) -> None:
    url = f"http://{host}:8080"
    static = StaticToken("fake-secret-static-token")
    for make in (
        lambda: TokenAuth(url, CREDENTIALS),
        lambda: TokenAuth(url, static),
        lambda: connect(url, CREDENTIALS),
        lambda: connect(url, static),
        lambda: connect(url, httpx.BasicAuth("fake-user", "fake-secret-basic")),
    ):
        with pytest.raises(ValueError) as caught:
            make()
        assert str(caught.value) == f"base_url {CLEARTEXT}"
    cli = run("get", env={**CLI_ENV, "RUNAI_BASE_URL": url})  # the cache too is never reached
    assert (cli.code, cli.err) == (ExitCode.USAGE, f"runai-token: RUNAI_BASE_URL {CLEARTEXT}\n")
    assert connect(url) is not None  # no credentials: nothing secret to send, so plain http is fine
    assert guard == []


def test_a_token_auth_for_https_may_go_on_a_plain_http_client(guard: list[object]) -> None:
    """It sends its token to its own origin only, whatever the client's base URL."""
    auth = TokenAuth(HTTPS, CREDENTIALS)
    connect("http://tenant.example.com", auth)
    assert guard == []


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("localhost", True),
        ("LocalHost", True),
        ("localhost.", False),  # looked up as it is: any resolver may answer for it
        ("LOCALHOST.", False),
        ("127.0.0.1.", False),
        ("127.0.0.1", True),
        ("127.255.255.254", True),
        ("::1", True),
        ("::ffff:127.0.0.1", True),
        ("127.0.0.1.example.com", False),
        ("localhost.example.com", False),
        ("127.1", False),  # resolves to 127.0.0.1, but only the dotted quad is taken on trust
        ("0.0.0.0", False),  # noqa: S104 - a host name under test
        ("::", False),
        ("10.0.0.1", False),
        ("", False),
    ],
)
def test_what_counts_as_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_credentials_over_plain_http_to_loopback_are_fine(host: str) -> None:
    with (
        FakeRunaiServer() as server,
        warnings.catch_warnings(record=True) as caught,
    ):
        warnings.simplefilter("always")
        server.add_client(CREDENTIALS.client_id, CREDENTIALS.client_secret)
        url = f"http://{host}:{server.port}"
        assert len(TokenAuth(url, CREDENTIALS).get_token()) > 0
        with connect(url, CREDENTIALS) as client:
            assert client.get_httpx_client().get(server.PROTECTED_PATH).status_code == 200
    assert [w for w in caught if issubclass(w.category, InsecureHttpWarning)] == []


def test_allow_insecure_http_accepts_it_and_warns_once_per_origin(guard: list[object]) -> None:
    url = "http://allowed-once.example.com:8080"
    with pytest.warns(InsecureHttpWarning) as first:
        TokenAuth(url, CREDENTIALS, allow_insecure_http=True)
    assert [str(w.message) for w in first] == [
        "sending credentials and tokens to http://allowed-once.example.com:8080 over plain "
        "http (allow_insecure_http=True)"
    ]
    with warnings.catch_warnings(record=True) as again:
        warnings.simplefilter("always")
        TokenAuth(url + "/prefix", CREDENTIALS, allow_insecure_http=True)
        connect(url, CREDENTIALS, allow_insecure_http=True)
    assert again == []
    with pytest.warns(InsecureHttpWarning, match="allowed-too.example.com"):
        connect("http://allowed-too.example.com", CREDENTIALS, allow_insecure_http=True)
    assert guard == []


def test_allow_insecure_http_must_be_a_bool(guard: list[object]) -> None:
    for make in BOTH:
        with pytest.raises(TypeError) as caught:
            make("http://tenant.example.com", CREDENTIALS, allow_insecure_http="false")
        assert str(caught.value) == "allow_insecure_http must be True or False, not str"
    assert guard == []


@pytest.fixture
def cli_env(tmp_path: Any) -> Iterator[dict[str, str]]:
    yield {**CLI_ENV, "RUNAI_BASE_URL": "http://allowed-cli.example.com:8080"}


def test_the_cli_flag_allows_it_and_says_so(cli_env: dict[str, str], guard: list[object]) -> None:
    """The guard refuses the lookup, so the mint fails (exit 4), but only after it was let go."""
    import io

    from runai_tokens import cli

    out, err = io.StringIO(), io.StringIO()
    argv = ["get", "--no-cache", "--max-attempts", "1", "--allow-insecure-http"]
    code = cli.main(argv, environ=cli_env, stdout=out, stderr=err)
    lines = err.getvalue().splitlines()
    assert code == ExitCode.UNAVAILABLE
    assert lines[0] == (
        "runai-token: warning: sending the credentials over plain http (--allow-insecure-http)"
    )
    assert lines[1].startswith("runai-token: service unreachable")
    assert guard == ["allowed-cli.example.com"]
