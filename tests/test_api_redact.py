"""Secrets in the deprecated operations' query strings stay out of httpx's log records.

httpx logs every request's URL at INFO. The generated package's tag package (written by
templates/endpoint_init.py.jinja) puts a filter on the "httpx" logger when it is imported, so
the query values of its operations are REDACTED in that line whichever layer sends the request:
the bare generated client, connect()'s client or TokensApi.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import warnings
from collections.abc import Iterator

import httpx
import pytest
import runai_tokens
from runai_tokens import AsyncTokensApi, TokensApi, connect
from runai_tokens.testing import Recorded, Reply, ScriptedServer, scripted
from runai_tokens_client.api import tokens

REDACTED = "REDACTED"
REFRESH = "fake-refresh-token-redact-6Gm"
CODE = "fake-code-redact-1Yb"


def answer(_: Recorded) -> Reply:
    return Reply.json(200, {"accessToken": "fake-access-token-redact"})


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with scripted(answer) as s:
        yield s


def httpx_filters() -> list[object]:
    return [f for f in logging.getLogger("httpx").filters if f is tokens._redact_query]


def test_the_filter_is_attached_once_however_many_clients(server: ScriptedServer) -> None:
    for _ in range(3):
        with connect(server.url) as client:
            TokensApi(client)
            AsyncTokensApi(client)
    assert len(httpx_filters()) == 1


def test_httpx_request_lines_do_not_carry_token_query_values(
    server: ScriptedServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with connect(server.url) as client, warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        api = TokensApi(client)
        api.refresh_token(REFRESH)
        api.exchange_code_for_token("https://cb.example/x", CODE)
        # The application's own traffic on the same client is logged as before.
        client.get_httpx_client().get("/api/v1/projects", params={"page": "2"})
    lines = [r.getMessage() for r in caplog.records if r.name == "httpx"]
    assert len(lines) == 3
    assert f"/v1/k8s/auth/oauth/tokens/refresh?refresh_token={REDACTED} " in lines[0]
    assert f"/v1/k8s/auth/token/exchange?redirect_uri={REDACTED}&code={REDACTED} " in lines[1]
    assert "/api/v1/projects?page=2 " in lines[2]
    everything = " ".join(f"{r.getMessage()} {r.args!r}" for r in caplog.records)
    assert REFRESH not in everything and CODE not in everything
    # The server did get the real values: only the log is redacted.
    assert server.requests[0].query == {"refresh_token": [REFRESH]}


BARE = """
import logging, sys
logging.basicConfig(level=logging.DEBUG, stream=sys.stdout, format="%(name)s %(message)s")
import runai_tokens_client
from runai_tokens_client.api.tokens import exchange_code_for_token, refresh_token

client = runai_tokens_client.Client(base_url=sys.argv[1])
refresh_token.sync(client=client, refresh_token=sys.argv[2])
exchange_code_for_token.sync(client=client, redirect_uri="https://cb.example/x", code=sys.argv[3])
print("runai_tokens loaded:", "runai_tokens" in sys.modules)
"""


def test_the_bare_generated_client_logs_no_query_value(server: ScriptedServer) -> None:
    """No hand-written code runs: the generated package alone keeps the secrets out."""
    result = subprocess.run(
        [sys.executable, "-c", BARE, server.url, REFRESH, CODE],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    output = result.stdout + result.stderr
    assert "runai_tokens loaded: False" in output
    assert f"tokens/refresh?refresh_token={REDACTED} " in output, output
    assert f"exchange?redirect_uri={REDACTED}&code={REDACTED} " in output, output
    assert REFRESH not in output and CODE not in output
    assert [r.query for r in server.requests] == [
        {"refresh_token": [REFRESH]},
        {"redirect_uri": ["https://cb.example/x"], "code": [CODE]},
    ]


def test_the_filter_handles_odd_records_and_never_drops_one() -> None:
    url = httpx.URL("http://h/runai/v1/k8s/auth/oauth/tokens/refresh?refresh_token=s3cr3t")
    other = httpx.URL("http://h/api/v1/other?x=1")
    records = [
        logging.LogRecord("httpx", logging.INFO, "f", 1, "%s %s", ("POST", url), None),
        logging.LogRecord("httpx", logging.INFO, "f", 1, "%s", (other,), None),
        logging.LogRecord("httpx", logging.INFO, "f", 1, "%(u)s", ({"u": 1},), None),
        logging.LogRecord("httpx", logging.INFO, "f", 1, 42, (object(),), None),
        logging.LogRecord("httpx", logging.INFO, "f", 1, "plain", None, None),
    ]
    assert all(tokens._redact_query(r) for r in records)
    assert records[0].getMessage() == (
        f"POST http://h/runai/v1/k8s/auth/oauth/tokens/refresh?refresh_token={REDACTED}"
    )
    assert records[1].getMessage() == "http://h/api/v1/other?x=1"


# --- the package's surface ---------------------------------------------------------------------


def test_public_exports() -> None:
    assert set(runai_tokens.__all__) == {
        "CliError",
        "DeadlineExceeded",
        "DiscoveryError",
        "GrantNotSupported",
        "InvalidArgument",
        "InvalidArgumentType",
        "LoginError",
        "LoginStoreError",
        "OutputError",
        "RefreshLockTimeout",
        "RunaiTokensError",
        "UnexpectedStatus",
        "UntrustedJsonError",
        "AccessToken",
        "CONTRACT_VERSION",
        "ClientCredentials",
        "AppCredentials",
        "ExternalTokenCredentials",
        "PasswordCredentials",
        "RefreshTokenCredentials",
        "StaticToken",
        "TokenAuth",
        "RetryPolicy",
        "RetryTransport",
        "connect",
        "TokensApi",
        "AsyncTokensApi",
        "ApiException",
        "RetryAfterExceedsDeadline",
        "InsecureHttpWarning",
        "RunaiCliSession",
        "LoginRequiredError",
        "LoginSession",
        "MissingCredentialsError",
        "default_credentials",
    }
    assert all(hasattr(runai_tokens, name) for name in runai_tokens.__all__)
    assert issubclass(runai_tokens.RetryAfterExceedsDeadline, runai_tokens.ApiException)
    assert runai_tokens.__version__ == "0.1.0"
    assert runai_tokens.CONTRACT_VERSION == "2.18-2.24"


CHEAP_IMPORT = """
import logging, sys, types
import runai_tokens
assert not logging.getLogger("httpx").filters, "a log filter was attached at import"
heavy = {"httpx", "runai_tokens_client", "pytest", "yaml", "jsonschema", "runai_tokens.testing"}
assert not heavy & set(sys.modules), heavy & set(sys.modules)
# Names load on first use, and a submodule import cannot shadow the function connect().
import runai_tokens._connect
from runai_tokens import connect, TokensApi
assert isinstance(connect, types.FunctionType), connect
assert runai_tokens.connect is connect
assert {"pytest", "yaml", "jsonschema"}.isdisjoint(sys.modules)
"""


def test_importing_the_package_is_cheap_and_has_no_side_effects() -> None:
    subprocess.run([sys.executable, "-c", CHEAP_IMPORT], check=True, timeout=30)


def test_unknown_names_raise_attribute_error() -> None:
    with pytest.raises(AttributeError, match="has no attribute 'Nope'"):
        runai_tokens.Nope  # noqa: B018
    assert {"connect", "TokensApi", "__version__"} <= set(dir(runai_tokens))
