"""runai-token: print a Run:ai access token for shell scripts, CI jobs and kubectl.

    runai-token get [--output plain|json|env|exec-credential]
    runai-token login [--no-browser] [--issuer URL] [--client-id ID] [--store KIND]
    runai-token logout [--base-url URL] [--store auto|keyring|file|none]
    runai-token serve [--port N] [--lifetime S] [--version 2.18...2.24]

A warm `get` (a cached token still valid) reads one file and prints, and kubectl runs it before
every command: it must cost little more than the interpreter's start-up. So this module and the
ones it imports at the top are standard library only (and the package's __init__ imports
lazily): a warm `get` imports neither httpx nor the generated client
(tests/test_lazy_imports.py). Minting (_mint), logging in (_login) and out (_logout) and the fake
server (_serve) are imported only when needed.
"""

from __future__ import annotations

import os
import sys
import time
from typing import TYPE_CHECKING, NoReturn, TextIO

from .._private_files import default_cache_dir
from .._untrusted import escape_controls
from ._cache import TokenCache
from ._cache_entry import CachedToken, reuse_margin
from ._exit import CliError, ExitCode
from ._output import OutputError, exec_credential_api_version, render
from ._parser import PROG, build_parser
from ._settings import GetSettings, resolve_get

if TYPE_CHECKING:
    import argparse
    from collections.abc import Mapping, Sequence

__all__ = ["PROG", "build_parser", "main", "run"]


def main(
    argv: Sequence[str] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Run the CLI; returns the exit code (the console script passes it to sys.exit)."""
    environ = os.environ if environ is None else environ
    stdout = sys.stdout if stdout is None else stdout
    stderr = sys.stderr if stderr is None else stderr
    try:
        args = build_parser().parse_args(argv)
        if args.command == "serve":
            from ._serve import serve

            return serve(args, stdout=stdout, stderr=stderr)
        if args.command == "login":
            from ._login import run_login

            return run_login(args, environ, stdout=stdout, stderr=stderr)
        if args.command == "logout":
            from ._logout import logout

            return logout(args, environ, stdout)
        return _get(args, environ, stdout, stderr)
    except CliError as exc:
        if exc.__cause__ is not None and environ.get("RUNAI_TOKEN_DEBUG") == "1":
            # Opt-in only: a traceback is for a bug report, and its messages are not vetted.
            import traceback

            for line in "".join(traceback.format_exception(exc.__cause__)).splitlines():
                stderr.write(escape_controls(line) + "\n")
        # A message may quote a server (its error envelope): escapes must not reach a terminal.
        print(f"{PROG}: {escape_controls(str(exc))}", file=stderr)
        return exc.code
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=stderr)
        return 130


def _get(args: argparse.Namespace, environ: Mapping[str, str], out: TextIO, err: TextIO) -> int:
    try:
        settings = resolve_get(args, environ)
    except CliError as exc:
        if not _may_log_in(args, environ, exc, err):
            raise
        from ._login import login_for_get

        login_for_get(args, environ, stderr=err)
        settings = resolve_get(args, environ)
    try:
        if args.output == "exec-credential":
            # Checked before any network traffic, so a bad KUBERNETES_EXEC_INFO costs no token.
            exec_credential_api_version(environ)
    except OutputError as exc:
        raise CliError(ExitCode.USAGE, str(exc)) from None
    cache = None
    # A runai CLI session is read from its own files, which the runai CLI refreshes: a copy in
    # our cache could only be staler.
    if not args.no_cache and settings.grant != "runai-cli":
        try:
            directory = args.cache_dir or default_cache_dir(environ)
        except OSError as exc:
            _warn(err, f"running without a token cache: {_reason(exc)}")
        else:
            cache = TokenCache(directory)
    token = _cached_or_minted(settings, cache, err)
    out.write(render(args.output, token.access_token, token.expires_at, time.time(), environ))
    out.flush()
    return ExitCode.OK


def _may_log_in(
    args: argparse.Namespace, environ: Mapping[str, str], exc: CliError, err: TextIO
) -> bool:
    """Whether kubectl's exec plugin, finding no credentials, should log the person in.

    Only for an ExecCredential, and only with a person at a terminal on both stdin and stderr
    (kubectl's interactiveMode IfAvailable passes its terminal through; a pipe means no one can
    answer). resolve_get raises REJECTED only when the search for credentials found none.
    """
    return (
        args.output == "exec-credential"
        and exc.code == ExitCode.REJECTED
        and bool(args.base_url or environ.get("RUNAI_BASE_URL", "").strip())
        and _isatty(sys.stdin)
        and _isatty(err)
    )


def _isatty(stream: TextIO | None) -> bool:
    try:
        return stream is not None and stream.isatty()
    except (AttributeError, ValueError):  # a closed or fake stream
        return False


def _cached_or_minted(settings: GetSettings, cache: TokenCache | None, err: TextIO) -> CachedToken:
    if cache is None:
        return _mint_now(settings, err)
    try:
        key = cache.key(settings.base_url, settings.grant, settings.identity, settings.secret)
    except OSError as exc:  # an unsafe directory (UnusableCache) included
        _warn_cache(err, cache, exc)
        return _mint_now(settings, err)
    hit = cache.load(key)
    if hit is not None and _fresh(hit):
        return hit
    with cache.lock(key) as lock:
        if lock.error is not None:
            _warn_cache(err, cache, lock.error)
            return _mint_now(settings, err)
        # Whoever held the lock before us may have just minted the token we need.
        hit = cache.load(key)
        if hit is not None and _fresh(hit):
            return hit
        token = _mint_now(settings, err)
        if token.expires_at is not None:  # a token of unknown lifetime cannot be reused safely
            try:
                cache.store(key, token)
            except OSError as exc:
                _warn_cache(err, cache, exc)
        return token


def _fresh(token: CachedToken) -> bool:
    if token.expires_at is None:
        return False
    return token.valid_at(time.time(), reuse_margin(token.expires_at - token.issued_at))


def _mint_now(settings: GetSettings, err: TextIO) -> CachedToken:
    from ._mint import mint  # imports httpx and the generated client: only on a miss

    return mint(settings, status=err)


def _warn_cache(err: TextIO, cache: TokenCache, exc: OSError) -> None:
    _warn(err, f"token cache {cache.directory} not usable ({_reason(exc)}); running without it")


def _warn(err: TextIO, message: str) -> None:
    print(f"{PROG}: warning: {escape_controls(message)}", file=err)


def _reason(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


def run() -> NoReturn:
    """Entry point for `python -m runai_tokens`."""
    sys.exit(main())
