"""What a sync program loads: connect() imports only what a sync call needs.

Counted in a fresh interpreter (a subprocess), never timed: which modules are in sys.modules
after `from runai_tokens import connect, ClientCredentials` and a connect() with credentials.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import runai_tokens
from runai_tokens.testing import FakeRunaiServer

PROGRAM = """
import json, sys
from runai_tokens import ClientCredentials, connect
client = connect("https://tenant.example", ClientCredentials("ci", "fake-secret"))
print(json.dumps(sorted(sys.modules)))
"""

# asyncio: only the async side needs it. dateutil's parser: only a Retry-After written as an
# HTTP-date. The generated models and operations, and the TokensApi facade: only a call that
# sends or parses one (the first grant). concurrent.futures: only the first token fetch. The
# login store (its index, and fcntl for the index's lock): only a LoginSession. The test kit
# (and PyYAML, jsonschema): never, from the library. attrs: never, from the library either (the
# hand-written classes are runai_tokens._value.Value subclasses, the generated ones are written
# out by the templates); only the test kit uses it.
NOT_LOADED = [
    "asyncio",
    "dateutil.parser",
    "runai_tokens_client.models",
    "runai_tokens_client.api.tokens.grant_token",
    "runai_tokens_client.api.tokens.grant_token_v2",
    "runai_tokens.api",
    "concurrent.futures",
    "runai_tokens.testing",
    "runai_tokens.auth._login_source",
    "runai_tokens.login._store",
    "runai_tokens.login._index",
    "fcntl",
    "yaml",
    "jsonschema",
    "attr",
    "attrs",
]


@pytest.fixture(scope="module")
def loaded() -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", PROGRAM], capture_output=True, text=True, check=True, timeout=120
    ).stdout
    modules = json.loads(out)
    assert "runai_tokens_client.client" in modules  # the program did what it says
    return set(modules)


@pytest.mark.parametrize("module", NOT_LOADED)
def test_a_sync_connect_does_not_import(loaded: set[str], module: str) -> None:
    assert module not in loaded


def test_the_hand_written_value_classes_import_no_attrs() -> None:
    # Those of connect()'s modules that do not reach the generated package, each value made:
    # attrs is then loaded only if one of them brings it.
    program = """
import datetime, json, sys
from runai_tokens._cli_session import RunaiCliSession
from runai_tokens._token import AccessToken
from runai_tokens.login import LoginSession, StoredLogin, open_store
from runai_tokens.login._pkce import Pkce
LoginSession("https://tenant.example", store=open_store("none"))
StoredLogin("https://tenant.example", "ci", "fake-refresh")
RunaiCliSession("config"), AccessToken("fake-token", None), Pkce.new()
print(json.dumps(sorted(sys.modules)))
"""
    out = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, check=True, timeout=120
    ).stdout
    modules = set(json.loads(out))
    assert "runai_tokens.login._store" in modules  # the program did what it says
    assert not {"attr", "attrs", "runai_tokens_client"} & modules


def test_no_hand_written_module_imports_attrs() -> None:
    package = Path(runai_tokens.__file__).parent
    importers = set()
    for path in package.rglob("*.py"):
        relative = path.relative_to(package).as_posix()
        if relative.startswith("testing/"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            else:
                continue
            if any(name.partition(".")[0] in ("attr", "attrs") for name in names):
                importers.add(relative)
    assert not importers


def test_building_the_cli_parser_does_not_import_shutil() -> None:
    # argparse's help formatter imports shutil (and bz2, lzma) for the terminal's width; a warm
    # `runai-token get` builds the parser and parses, and never prints help.
    program = """
import json, sys
from runai_tokens.cli import build_parser
build_parser().parse_args(["get", "--output", "json"])
print(json.dumps(sorted(sys.modules)))
"""
    out = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, check=True, timeout=120
    ).stdout
    modules = set(json.loads(out))
    assert "argparse" in modules
    assert not {"shutil", "bz2", "lzma", "httpx"} & modules


def test_a_first_call_over_plain_http_loads_the_ca_store_once() -> None:
    # The client's transport loads it (it may be pointed at an https URL); the grants', which
    # only ever reach the plain-http origin, does not load it a second time.
    program = """
import httpx._config, httpx._transports.default as default
from runai_tokens import ClientCredentials, connect
from runai_tokens.testing import FakeRunaiServer
from runai_tokens_client.api.tokens import grant_token
loads = []
real = default.create_ssl_context
def counting(verify=True, cert=None, trust_env=True):
    if verify is True or isinstance(verify, str):
        loads.append(verify)
    return real(verify=verify, cert=cert, trust_env=trust_env)
default.create_ssl_context = counting
with FakeRunaiServer() as server:
    server.add_client("ci", "fake-secret-ci")
    client = connect(server.url, ClientCredentials("ci", "fake-secret-ci"))
    status = client.get_httpx_client().get(server.PROTECTED_PATH).status_code
print(status, len(loads))
"""
    out = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, check=True, timeout=120
    ).stdout
    assert out.split() == ["200", "1"]


def test_a_warm_get_imports_only_what_its_cache_hit_needs(tmp_path: Path) -> None:
    # The cache is filled by hand, so that nothing but the warm path has run when the modules
    # are listed: typing (for annotations only), datetime, shlex, threading, pathlib, contextlib
    # and hashlib/hmac (OpenSSL's libcrypto) cost more than the rest of a warm `get`.
    program = """
import io, json, sys, time
from runai_tokens.cli import main
from runai_tokens.cli._cache import CachedToken, TokenCache
directory, env = sys.argv[1], {"RUNAI_BASE_URL": "https://tenant.example",
    "RUNAI_CLIENT_ID": "ci", "RUNAI_CLIENT_SECRET": "fake-secret"}
cache = TokenCache(directory)
key = cache.key("https://tenant.example", "client_credentials", "ci", "fake-secret")
cache.store(key, CachedToken("fake-cached-token", time.time() + 3600, time.time()))
out = io.StringIO()
code = main(["get", "--cache-dir", directory, "--output", "exec-credential"], environ=env,
            stdout=out)
print(json.dumps([code, out.getvalue(), sorted(sys.modules)]))
"""
    out = subprocess.run(
        [sys.executable, "-c", program, str(tmp_path / "cache")],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    code, printed, modules = json.loads(out)
    assert code == 0 and "fake-cached-token" in printed
    heavy = {"typing", "datetime", "shlex", "threading", "pathlib", "contextlib", "hashlib"}
    heavy |= {"hmac", "_hashlib", "httpx", "attrs", "runai_tokens_client"}
    assert not heavy & set(modules), heavy & set(modules)


def test_the_generated_client_runs_a_grant_without_attrs() -> None:
    # The generated templates write the classes attrs would make (importing attrs and defining
    # an attrs class cost a fresh process more than the generated package). The program uses
    # runai_tokens_client alone, as code that calls the generated functions directly does: a
    # refused grant (the error path: ApiException, the error models) and a granted one, sent
    # over loopback to a FakeRunaiServer that runs in this process, then a model round-trip.
    program = """
import json, sys
from runai_tokens_client import Client, errors
from runai_tokens_client.api.tokens import grant_token_v2
from runai_tokens_client.models import OAuth2GrantType, OAuth2TokenRequest
def grant(secret):
    body = OAuth2TokenRequest(OAuth2GrantType.CLIENT_CREDENTIALS, client_id="ci",
                              client_secret=secret)
    return grant_token_v2.sync(client=client, body=body)
with Client(base_url=sys.argv[1]) as client:
    try:
        grant("fake-secret-wrong")
    except errors.ApiException as exc:
        refused = exc.status
    token = grant("fake-secret-ci")
again = type(token).from_dict(token.to_dict())
print(json.dumps([refused, again == token, bool(token.access_token), sorted(sys.modules)]))
"""
    with FakeRunaiServer(version="2.24") as server:
        server.add_client("ci", "fake-secret-ci")
        out = subprocess.run(
            [sys.executable, "-c", program, server.url],
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        ).stdout
    refused, round_trips, granted, modules = json.loads(out)
    assert [refused, round_trips, granted] == [401, True, True]
    assert "runai_tokens_client.models.o_auth_2_error" in modules  # the error path ran
    assert not [m for m in modules if m.split(".")[0] in ("runai_tokens", "attr", "attrs")]


# Each one costs a warm `get` a measurable share of the interpreter's own start-up: re (which
# json, argparse, shlex and urllib.parse import) most of all, enum, typing and collections
# next. Hence the argv scanner, the plain-URL check and json's C scanner on the warm path.
NOT_ON_THE_WARM_PATH = {
    "argparse",
    "json",
    "re",
    "shlex",
    "urllib.parse",
    "ipaddress",
    "typing",
    "enum",
    "datetime",
    "pathlib",
    "hashlib",
    "_hashlib",
    "hmac",
    "threading",
    "httpx",
    "attrs",
    "runai_tokens_client",
    "runai_tokens.cli._parser",
    "runai_tokens.cli._mint",
}
# What `python -m` itself loads (runpy), before any of ours.
RUNPY = {"collections", "contextlib", "functools"}
FILL = """
import os, sys, time
from runai_tokens.cli._cache import CachedToken, TokenCache, default_cache_dir
cache = TokenCache(default_cache_dir(os.environ))
key = cache.key(sys.argv[1], "client_credentials", "ci", "fake-secret")
cache.store(key, CachedToken("fake-cached-token", time.time() + 3600, time.time()))
"""
# The console script's body, and `python -m runai_tokens`; both list sys.modules at exit.
AS_SCRIPT = """
import sys
from runai_tokens.cli import main
code = main(sys.argv[1:])
sys.stderr.write(" ".join(sorted(sys.modules)))
sys.exit(code)
"""
AS_MODULE = """
import atexit, runpy, sys
atexit.register(lambda: sys.stderr.write(" ".join(sorted(sys.modules))))
sys.argv[0] = "runai_tokens"
runpy.run_module("runai_tokens", run_name="__main__", alter_sys=True)
"""


@pytest.mark.parametrize("form", ["script", "module"])
@pytest.mark.parametrize(
    ("argv", "base_url", "proxy"),
    [
        (["get", "--output", "exec-credential"], "https://tenant.example", {}),
        (["get"], "http://127.0.0.1:8080", {}),
        (["get", "-o", "json", "--base-url", "https://Tenant.example:8443/"], None, {}),
        (["get", "--output=env"], "http://localhost:9/", {}),
        (["get"], "https://tenant.example", {"HTTPS_PROXY": "proxy.example:3128"}),
    ],
)
def test_a_warm_get_loads_no_parser_json_re_urllib_or_typing(
    tmp_path: Path, form: str, argv: list[str], base_url: str | None, proxy: dict[str, str]
) -> None:
    # The cache is filled in a process of its own, so that the measured one does nothing but a
    # warm `get`, as kubectl runs it (KUBERNETES_EXEC_INFO set).
    env = {
        "PATH": os.environ.get("PATH", ""),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "RUNAI_CLIENT_ID": "ci",
        "RUNAI_CLIENT_SECRET": "fake-secret",
        "KUBERNETES_EXEC_INFO": '{"kind":"ExecCredential","apiVersion":'
        '"client.authentication.k8s.io/v1","spec":{"interactive":false}}',
    }
    if base_url is not None:
        env["RUNAI_BASE_URL"] = base_url
    env.update(proxy)  # a corporate proxy, checked (a bad one is refused) but not parsed
    url = (base_url or argv[-1]).rstrip("/")
    subprocess.run([sys.executable, "-c", FILL, url], env=env, check=True, timeout=120)
    program = AS_SCRIPT if form == "script" else AS_MODULE
    result = subprocess.run(
        [sys.executable, "-c", program, *argv],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "fake-cached-token" in result.stdout
    loaded = set(result.stderr.split())
    assert "runai_tokens.cli._cache" in loaded  # the listing is the warm get's
    # An ExecCredential's KUBERNETES_EXEC_INFO is read by the one reader of untrusted JSON
    # (_untrusted.json_value), which is json (and so re, enum, collections and functools).
    reader = (
        {"json", "re", "enum", "collections", "functools"} if "exec-credential" in argv else set()
    )
    assert not (NOT_ON_THE_WARM_PATH - reader) & loaded, (NOT_ON_THE_WARM_PATH - reader) & loaded
    if form == "script":
        assert not (RUNPY - reader) & loaded, RUNPY & loaded
