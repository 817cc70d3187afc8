"""`make demo`: the whole thing working, in one command and a few seconds.

Starts FakeRunaiServer on loopback and prints a short transcript:
1. `runai-token get` with each grant type (the real CLI, in a subprocess, with a private cache);
2. the four token operations through TokensApi;
3. a token refreshed on expiry (tokens that live 2 s, and a real 2 s wait);
4. a 503 retried;
then stops the server. Every step checks what it shows, so a wrong result fails the demo: exit 1
and a one-line reason on stderr. Tokens are shown abbreviated, never whole.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from .testing import FakeRunaiServer

if TYPE_CHECKING:  # imported for real inside the steps: the module itself stays light
    import httpx

    from .api import TokensApi

CLIENT_ID, CLIENT_SECRET = "demo-client", "fake-secret-demo-client"
APP_ID, APP_SECRET, APP_NAME = "demo-app", "fake-secret-demo-app", "demo-app"
USERNAME, PASSWORD = "demo-user", "fake-password-demo-user"
CODE, REDIRECT_URI = "fake-code-demo", "http://127.0.0.1/callback"
SHORT_LIFETIME = 2
# grant_token's body in Run:ai's wire keys, as its documentation shows it.
CLIENT_GRANT = {
    "grantType": "client_credentials",
    "clientID": CLIENT_ID,
    "clientSecret": CLIENT_SECRET,
}


class DemoError(Exception):
    """A step did not do what the transcript claims."""


def short(token: object) -> str:
    """A token cut to its first and last 6 characters: enough to tell tokens apart (every JWT
    starts with the same header, so a prefix alone would not), useless to steal."""
    if not isinstance(token, str) or len(token) < 24:
        raise DemoError("expected a token, got none")
    return f"{token[:6]}…{token[-6:]}"


def check(condition: bool, message: str) -> None:
    if not condition:
        raise DemoError(message)


def say(line: str = "") -> None:
    print(line, flush=True)


# --- 1. the CLI ----------------------------------------------------------------------------


def cli_steps(server: FakeRunaiServer, cache_dir: str) -> None:
    say("1. runai-token get, once per grant (the CLI in a subprocess; a private token cache)")
    say("   with RUNAI_BASE_URL, RUNAI_CLIENT_ID and RUNAI_CLIENT_SECRET set")
    say("   (for --grant app the client id and secret variables hold the app's)")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RUNAI_", "KUBERNETES_"))}
    env.update(
        RUNAI_BASE_URL=server.url,
        RUNAI_CLIENT_ID=CLIENT_ID,
        RUNAI_CLIENT_SECRET=CLIENT_SECRET,
        XDG_CACHE_HOME=cache_dir,
    )
    app_env = {**env, "RUNAI_CLIENT_ID": APP_ID, "RUNAI_CLIENT_SECRET": APP_SECRET}
    password_args = ["--grant", "password", "--username", USERNAME, "--password-file", "-"]
    for args, run_env, stdin, subject in (
        ([], env, None, CLIENT_ID),
        (["--grant", "app"], app_env, None, APP_ID),
        (password_args, env, PASSWORD + "\n", USERNAME),
    ):
        token = run_cli(args, run_env, stdin).strip()
        check(server.decode_token(token)["sub"] == subject, f"token is not {subject}'s")
        fed = "   (the password on stdin)" if stdin else ""
        say(f"   $ runai-token get {' '.join(args)}".rstrip() + fed)
        say(f"     {short(token)}   ({subject}'s token)")

    before = server.count()
    credential = json.loads(run_cli(["--output", "exec-credential"], env, None))
    check(credential.get("kind") == "ExecCredential", "not an ExecCredential")
    check(server.count() == before, "a cached token was fetched again")
    status = credential["status"]
    say("   $ runai-token get --output exec-credential")
    say(
        f"     ExecCredential {{token {short(status['token'])}, expirationTimestamp "
        f"{status['expirationTimestamp']}}}"
    )
    say("     (from the cache: the server saw no request)")


def run_cli(args: list[str], env: Mapping[str, str], stdin: str | None) -> str:
    result = subprocess.run(  # noqa: S603 - our own interpreter and module, fixed arguments
        # This copy's own CLI, under whatever package name it was vendored as.
        [sys.executable, "-m", str(__package__), "get", *args],
        env=dict(env),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if result.returncode != 0:
        reason = result.stderr.strip().splitlines()[-1:] or ["no message"]
        raise DemoError(f"runai-token get exited {result.returncode}: {reason[0]}")
    return result.stdout


# --- 2. the four operations ----------------------------------------------------------------


def operations_step(server: FakeRunaiServer) -> None:
    from . import TokensApi, connect

    say("2. The four token operations through TokensApi")
    with connect(server.url) as client:
        four_operations(TokensApi(client))


def four_operations(api: TokensApi) -> None:
    granted = api.grant_token(CLIENT_GRANT)
    say(
        f"   grant_token (client_credentials)      -> accessToken {short(granted.access_token)} "
        f"expiresIn {granted.expires_in}"
    )
    # The other three are deprecated (and warn so); the demo shows they still work.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        app = api.app_token({"id": APP_ID, "name": APP_NAME, "secret": APP_SECRET})
        say(f"   app_token (deprecated)                -> access_token {short(app.access_token)}")
        exchanged = api.exchange_code_for_token(REDIRECT_URI, CODE)
        tokens = short(exchanged.access_token), short(exchanged.refresh_token)
        say(
            f"   exchange_code_for_token (deprecated)  -> accessToken {tokens[0]} "
            f"refreshToken {tokens[1]}"
        )
        check(isinstance(exchanged.refresh_token, str), "no refresh token")
        refreshed = api.refresh_token(str(exchanged.refresh_token))
    check(refreshed.access_token != exchanged.access_token, "refresh returned the same token")
    say(f"   refresh_token (deprecated)            -> accessToken {short(refreshed.access_token)}")


# --- 3. refresh on expiry ------------------------------------------------------------------


def expiry_step(server: FakeRunaiServer, sleep: Callable[[float], object]) -> None:
    from . import ClientCredentials, connect

    say(f"3. A token refreshed on expiry (TokenAuth; tokens now live {SHORT_LIFETIME} s)")
    server.set_lifetime(SHORT_LIFETIME)
    with connect(server.url, ClientCredentials(CLIENT_ID, CLIENT_SECRET)) as client:
        refresh_on_expiry(server, client.get_httpx_client(), sleep)


def refresh_on_expiry(
    server: FakeRunaiServer, http: httpx.Client, sleep: Callable[[float], object]
) -> None:
    import httpx

    first = http.get(server.PROTECTED_PATH)
    check(first.status_code == 200, f"whoami answered {first.status_code}")
    old_token = first.request.headers["Authorization"].removeprefix("Bearer ")
    whoami = f"GET {server.PROTECTED_PATH}"
    say(f"   {whoami} -> {first.status_code}  with token {short(old_token)}")
    sleep(SHORT_LIFETIME)
    # Sent by hand, past the client's TokenAuth, which would not send an expired token.
    stale = httpx.get(
        server.url + server.PROTECTED_PATH, headers={"Authorization": f"Bearer {old_token}"}
    )
    check(stale.status_code == 401, f"the expired token got {stale.status_code}, not 401")
    say(f"   {SHORT_LIFETIME} s later, that token by hand -> {stale.status_code} (expired)")
    grants = server.tokens_issued
    second = http.get(server.PROTECTED_PATH)
    check(second.status_code == 200, f"whoami answered {second.status_code} after expiry")
    new_token = second.request.headers["Authorization"].removeprefix("Bearer ")
    check(new_token != old_token and server.tokens_issued == grants + 1, "no new token")
    say(f"   {whoami} -> {second.status_code}  with token {short(new_token)} (fetched anew)")


# --- 4. a 503 retried ----------------------------------------------------------------------


def retry_step(server: FakeRunaiServer) -> None:
    from . import RetryPolicy, TokensApi, connect
    from ._generated import GRANT_PATH

    say("4. A 503 retried")
    server.fail_next(2, 503, path=GRANT_PATH)
    say("   the server will answer the next 2 token requests with 503")
    policy = RetryPolicy(max_attempts=3, backoff_base=0.1, backoff_max=0.2)
    before = len(server.requests)
    with connect(server.url, retry=policy) as client:
        token = TokensApi(client).grant_token(
            {
                "grantType": "client_credentials",
                "clientID": CLIENT_ID,
                "clientSecret": CLIENT_SECRET,
            }
        )
    statuses = [r.status for r in server.requests[before:]]
    check(statuses == [503, 503, 200], f"the server answered {statuses}")
    say(
        f"   grant_token -> accessToken {short(token.access_token)} after "
        f"{len(statuses)} attempts ({', '.join(map(str, statuses))})"
    )


# --- the transcript ------------------------------------------------------------------------


def run(sleep: Callable[[float], object] = time.sleep) -> None:
    with FakeRunaiServer(version="2.24") as server, tempfile.TemporaryDirectory() as cache:
        server.add_client(CLIENT_ID, CLIENT_SECRET)
        server.add_app(APP_ID, APP_SECRET, APP_NAME)
        server.add_user(USERNAME, PASSWORD)
        server.add_code(CODE, REDIRECT_URI)
        say(f"runai-tokens demo: a fake Run:ai control plane (2.24) on {server.url}")
        say()
        cli_steps(server, cache)
        say()
        operations_step(server)
        say()
        expiry_step(server, sleep)
        say()
        retry_step(server)
        say()
    say("Server stopped. Demo OK.")


def main() -> int:
    # A terminal that cannot show "…" gets "?" rather than a crash.
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(errors="replace")
    try:
        run()
    except BrokenPipeError:
        # The reader went away (`make demo | head`): stop quietly, as the Python docs advise,
        # pointing stdout at devnull so the interpreter's final flush cannot fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except DemoError as exc:
        print(f"demo failed: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:
        from .errors import ApiException

        # ApiException's message is vetted secret-free; anything else is named by type only.
        reason = str(exc) if isinstance(exc, ApiException) else type(exc).__name__
        print(f"demo failed: {reason}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
