"""Minting a token for `runai-token get`: the only CLI module that imports httpx.

cli.py imports this on a cache miss only, so a warm `get` never pays for httpx and the generated
client. Every failure leaves here as a CliError with a one-line, secret-free message and the exit
code the CLI documents.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TextIO, cast

from .. import _validate
from .._base_errors import LoginRequiredError
from .._generated import GRANT_V2_PATH
from .._validate import in_clear
from ..auth import TokenAuth
from ..auth._build import AnyCredentials
from ..auth._grant import NO_SUCH_ENDPOINT, REJECTED, TokenEndpoint
from ..credentials import (
    AppCredentials,
    ClientCredentials,
    ExternalTokenCredentials,
    PasswordCredentials,
)
from ..errors import ApiException, GrantNotSupported, RetryAfterExceedsDeadline
from ..login._refresh_lock import RefreshLockTimeout
from ..login._session import LoginSession
from ..login._store import open_store
from ..people._runai_cli import RunaiCliSession
from ..retry import Clock, HTTPTransports, RetryPolicy, RetryTransport
from ..retry._rules import certificate_failure
from ._cache_entry import CachedToken
from ._exit import CliError, ExitCode
from ._settings import SESSION_GRANTS, GetSettings


class StatusSleep:
    """RetryTransport's sleep, saying on a terminal what it waits for.

    A person running runai-token by hand sees why nothing happens for a few seconds; a script or
    kubectl reading stderr from a pipe sees nothing. It also counts the attempts for the error
    message when the last one fails too. (Mutable: it counts.)
    """

    __slots__ = ("attempts", "max_attempts", "sleep", "stream")

    def __init__(
        self,
        stream: TextIO,
        max_attempts: int,
        sleep: Callable[[float], object] = time.sleep,
        attempts: int = 1,
    ) -> None:
        self.stream = stream
        self.max_attempts = max_attempts
        self.sleep = sleep
        self.attempts = attempts

    def __call__(self, seconds: float) -> None:
        self.attempts += 1
        if _isatty(self.stream):
            print(
                f"runai-token: waiting {seconds:.1f}s before retry "
                f"(attempt {self.attempts}/{self.max_attempts})...",
                file=self.stream,
                flush=True,
            )
        self.sleep(seconds)


def credentials_for(settings: GetSettings) -> AnyCredentials:
    if settings.grant in SESSION_GRANTS:
        assert settings.session_dir is not None  # _found always says where a session is
        if settings.grant == "runai-cli":
            return RunaiCliSession(Path(settings.session_dir))
        store = open_store("auto", cache_dir=Path(settings.session_dir))
        return LoginSession(settings.base_url, store=store)
    if settings.grant == "app":
        return AppCredentials(settings.identity, settings.secret)
    if settings.grant == "password":
        return PasswordCredentials(settings.identity, settings.secret)
    if settings.grant == "external":
        return ExternalTokenCredentials(settings.secret)
    return ClientCredentials(settings.identity, settings.secret)


def mint(
    settings: GetSettings,
    *,
    status: TextIO,
    sleep: Callable[[float], object] = time.sleep,
    wall_clock: Callable[[], float] = time.time,
) -> CachedToken:
    """Get a new token from the control plane. Raises CliError."""
    policy = (
        RetryPolicy()
        if settings.max_attempts is None
        else (RetryPolicy(max_attempts=settings.max_attempts))
    )
    waits = StatusSleep(status, policy.max_attempts, sleep)
    auth = _token_auth(settings, policy, waits)
    if in_clear(settings.base_url):  # allowed, or TokenAuth would have refused it
        print(
            "runai-token: warning: sending the credentials over plain http (--allow-insecure-http)",
            file=status,
        )
    # The server counts the lifetime from when it issued the token, after we asked: anchoring at
    # the start of the request errs on the safe side by the round trip.
    started = wall_clock()
    try:
        # The AccessToken, not just its string: its expiry comes from expiresIn when the server
        # sent one, which the bare string cannot tell (an opaque token would then go uncached).
        token = auth.get_access_token()
    except ApiException as exc:
        raise _cli_error(exc, waits.attempts, settings.token_endpoint) from None
    except LoginRequiredError as exc:  # no session, or one the control plane refused
        raise CliError(ExitCode.REJECTED, str(exc)) from None
    except Exception as exc:
        # Not ApiException, so not vetted for secrets: its type is all that is shown. The cause
        # is kept for RUNAI_TOKEN_DEBUG=1 (see cli.main).
        raise CliError(ExitCode.ERROR, f"unexpected error: {type(exc).__name__}") from exc
    finally:
        auth.close()
    expires_at = None if token.expires_at is None else token.expires_at.timestamp()
    return CachedToken(token.token, expires_at, started)


def _token_auth(settings: GetSettings, policy: RetryPolicy, waits: StatusSleep) -> TokenAuth:
    """The TokenAuth that mints, its retries waiting through waits. Raises CliError.

    Built from what resolve_get checked (the base URL, plain http, the timeout), so that none
    of it is checked again; what is left is checked here: httpx's parse of the base URL, the
    credentials' fields and whether they have a grant on the endpoint asked for."""
    # A BaseUrl already (resolve_get's): taken as it is, not checked again.
    base_url = _validate.checked_url(settings.base_url)
    try:
        return TokenAuth._from_checked(
            base_url,
            _validate.httpx_url(base_url),
            credentials_for(settings),
            retry=policy,
            timeout=settings.timeout,
            # argparse offered only the valid names.
            token_endpoint=cast("TokenEndpoint", settings.token_endpoint),
            transport=RetryTransport(
                policy, HTTPTransports(proxy=settings.proxy), Clock(sleep=waits)
            ),
        )
    except (TypeError, ValueError) as exc:  # the checks' messages never echo a value
        raise CliError(ExitCode.USAGE, str(exc)) from None


def _cli_error(exc: ApiException, attempts: int, endpoint: str = "auto") -> CliError:
    # ApiException's str() shows status, reason and the server's message, never a body or header.
    if isinstance(exc, RefreshLockTimeout):  # no request was made: say so, not "unreachable"
        return CliError(ExitCode.UNAVAILABLE, f"the login is busy: {exc}")
    if endpoint == "v2" and exc.status in NO_SUCH_ENDPOINT:
        # "auto" falls back to v1 on this very answer; "v2" was asked for in so many words.
        return CliError(
            ExitCode.USAGE,
            f"this control plane has no {GRANT_V2_PATH} (Run:ai added it in 2.24; or the base "
            f"URL is not the control plane's): use --token-endpoint auto or v1: {exc}",
        )
    if isinstance(exc, GrantNotSupported) or exc.oauth2_error == "unsupported_grant_type":
        return CliError(
            ExitCode.USAGE,
            f"this control plane does not offer the grant you asked for (try another --grant): "
            f"{exc}",
        )
    if exc.oauth2_error in ("invalid_client", "invalid_grant"):
        what = "client" if exc.oauth2_error == "invalid_client" else "grant"
        return CliError(ExitCode.REJECTED, f"credentials rejected (invalid {what}): {exc}")
    if exc.status in REJECTED:
        return CliError(ExitCode.REJECTED, f"credentials rejected: {exc}")
    if (failure := certificate_failure(exc)) is not None:
        # OpenSSL's reason ("unable to get local issuer certificate", "Hostname mismatch, ...").
        reason = failure.verify_message or failure.reason or "no reason given"
        return CliError(ExitCode.UNAVAILABLE, f"TLS certificate verification failed: {reason}")
    if isinstance(exc, RetryAfterExceedsDeadline):
        return CliError(ExitCode.UNAVAILABLE, f"service unavailable: {exc}")
    if exc.status is None or exc.status == 429 or exc.status >= 500:
        what = "service unreachable" if exc.status is None else "service unavailable"
        return CliError(ExitCode.UNAVAILABLE, f"{what} after {_attempts(attempts)}: {exc}")
    return CliError(ExitCode.ERROR, f"unexpected answer: {exc}")


def _attempts(n: int) -> str:
    return "1 attempt" if n == 1 else f"{n} attempts"


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or fake stream
        return False
