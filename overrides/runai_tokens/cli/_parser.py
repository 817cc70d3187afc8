"""runai-token's command line: the parser, its help texts and the checks of its flag values.

Every command line, a warm `get`'s too, is read by this one argparse parser.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any, NoReturn

from .. import __version__, _validate
from ..login._kinds import STORE_CHOICES
from . import _login
from ._exit import CliError, ExitCode
from ._output import FORMATS
from ._settings import GRANTS, TOKEN_ENDPOINTS

PROG = "runai-token"

_EPILOG = """\
environment:
  RUNAI_BASE_URL        the control plane's URL, e.g. https://mytenant.run.ai (or --base-url)
  RUNAI_CLIENT_ID       the client id; the app id with --grant app (or --client-id)
  RUNAI_CLIENT_SECRET   the client secret; the app secret with --grant app
                        (or --client-secret-file)
  RUNAI_USERNAME        the user, with --grant password (or --username)
  RUNAI_PASSWORD        the password, with --grant password (or --password-file)
  RUNAI_EXTERNAL_TOKEN  an external identity provider's token, with --grant external
                        (or --external-token-file)
  HTTPS_PROXY, HTTP_PROXY, ALL_PROXY, NO_PROXY
                        a proxy for the control plane, read as curl does (lower case too)
  RUNAI_CLI_CONFIG_PATH the runai CLI's session (default ~/.runai), found without credential options
  XDG_CACHE_HOME        the token cache and `runai-token login`'s store are in
                        $XDG_CACHE_HOME/runai-tokens (or ~/.cache/runai-tokens)
  KUBERNETES_EXEC_INFO  set by kubectl; picks the ExecCredential apiVersion (v1 or v1beta1)
  RUNAI_TOKEN_DEBUG=1   print the traceback of an unexpected error (exit code 1)

secrets are never taken as command-line arguments: use the environment or a file ('-' = stdin).

exit codes:
  0  the token was printed
  1  unexpected error (an answer the contract does not allow, a bug)
  2  usage: bad flags, missing or unreadable credentials, a grant the control plane lacks
  3  credentials rejected by the server (HTTP 400, 401 or 403; OAuth2 invalid_client,
     invalid_grant), or none found without credential options: run `runai-token login`
  4  the service was unreachable or unavailable after retries (no response, 429, 5xx),
     or its TLS certificate failed verification (not retried)
"""

_GET_EPILOG = """\
outputs:
  plain            the access token and a newline
  json             {"accessToken", "expiresAt" (RFC 3339, UTC), "expiresIn" (seconds left)}
  env              export RUNAI_ACCESS_TOKEN=...  (and RUNAI_ACCESS_TOKEN_EXPIRES_AT=...), for
                   eval "$(runai-token get --output env)"
  exec-credential  a Kubernetes ExecCredential, for a kubeconfig user:
                     exec:
                       apiVersion: client.authentication.k8s.io/v1
                       command: runai-token
                       args: [get, --output, exec-credential]
                       interactiveMode: IfAvailable
                   With no credentials found and a terminal on stdin and stderr, it runs
                   `runai-token login` first; without one it exits 3.

Without --grant and credential options, the credentials are found by themselves, in order:
RUNAI_CLIENT_ID + RUNAI_CLIENT_SECRET, RUNAI_EXTERNAL_TOKEN, a `runai-token login` session (for
--base-url or RUNAI_BASE_URL, else the most recent), a runai CLI session; the base URL is
--base-url, else RUNAI_BASE_URL, else the session's.

Tokens are cached per base URL and identity (files 0600 in a 0700 directory) and reused until a
tenth of their lifetime (at most 5 minutes) is left; --no-cache always mints. A cache directory
that is a symlink, another user's, or writable by others is not used (one warning).
"""


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage error in one line (exit code 2), not a usage block."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # No abbreviations: `--client-secret VALUE` would otherwise be taken for
        # `--client-secret-file VALUE`, and a secret typed on the command line would be accepted.
        kwargs["allow_abbrev"] = False
        self.commands: list[str] = []  # the subcommands, for the message naming them
        super().__init__(*args, **kwargs)

    def parse_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: None = None
    ) -> argparse.Namespace:
        parsed, extra = self.parse_known_args(args, namespace)
        if extra:
            # argparse would echo them all, and a stray one may be a secret pasted on the
            # command line: name only the options, without their values.
            names = sorted({a.split("=", 1)[0] for a in extra if a.startswith("-")})
            what = ", ".join(names) if names else f"{len(extra)} extra argument(s)"
            self.error(f"unrecognized arguments: {what}")
        return parsed

    def error(self, message: str) -> NoReturn:
        if message.startswith("argument COMMAND: invalid choice"):
            message = f"unknown command: choose from {', '.join(self.commands)}"
        raise CliError(ExitCode.USAGE, f"{message} (see {self.prog} --help)")


class _VersionAction(argparse.Action):
    """--version: the package's version and the contract's (openapi.yaml's info.version).

    The contract's version lives with the generated code, which imports httpx: it is looked up
    only when --version is given, never to build the parser of a warm `get`.
    """

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        kwargs.setdefault("help", "print the version and the Run:ai API version spoken, then exit")
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *args: Any, **kwargs: Any) -> None:
        from .._generated import CONTRACT_VERSION

        print(f"{PROG} {__version__} (Run:ai token API {CONTRACT_VERSION})")
        parser.exit()


def build_parser() -> _Parser:
    parser = _Parser(
        prog=PROG,
        description="Print a Run:ai access token, or run a fake Run:ai server for testing.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action=_VersionAction)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True
    _add_get(commands)
    _login.add_parser(commands)
    _add_logout(commands)
    _add_serve(commands)
    parser.commands = sorted(commands.choices)
    return parser


def _add_get(commands: Any) -> None:
    """The get subcommand, on argparse's subparsers object."""
    get = commands.add_parser(
        "get",
        help="print an access token (cached while valid)",
        description="Mint (or reuse a cached) Run:ai access token and print it.",
        epilog=_GET_EPILOG + "\n" + _EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    get.add_argument("--base-url", metavar="URL", help="default: $RUNAI_BASE_URL")
    get.add_argument(
        "--grant",
        choices=GRANTS,
        help="client_credentials (the default with --client-id or --client-secret-file); app "
        "(the client id and secret are the app's); password (--username, --password-file); "
        "external (an external identity provider's token, 2.22+). With no --grant and no "
        "credential options, credentials are found by themselves (see below)",
    )
    get.add_argument("--client-id", metavar="ID", help="default: $RUNAI_CLIENT_ID")
    get.add_argument(
        "--client-secret-file",
        metavar="PATH",
        help="read the client secret from PATH ('-' = stdin); default: $RUNAI_CLIENT_SECRET",
    )
    get.add_argument("--username", metavar="NAME", help="default: $RUNAI_USERNAME")
    get.add_argument(
        "--password-file",
        metavar="PATH",
        help="read the password from PATH ('-' = stdin); default: $RUNAI_PASSWORD",
    )
    get.add_argument(
        "--external-token-file",
        metavar="PATH",
        help="read the external token from PATH ('-' = stdin); default: $RUNAI_EXTERNAL_TOKEN",
    )
    get.add_argument(
        "--token-endpoint",
        choices=TOKEN_ENDPOINTS,
        default="auto",
        help="auto (default): /api/v2/token, or /api/v1/token on a control plane without it",
    )
    get.add_argument(
        "-o", "--output", choices=FORMATS, default="plain", help="how to print it (see below)"
    )
    get.add_argument("--cache-dir", metavar="DIR", help="default: $XDG_CACHE_HOME/runai-tokens")
    get.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")
    # Parsed here, checked in resolve_get by the same rules TokenAuth applies.
    get.add_argument("--timeout", type=_number, default=30.0, metavar="S", help="per request (30)")
    get.add_argument(
        "--max-attempts", type=_integer, metavar="N", help="requests per token (default 3)"
    )
    get.add_argument(
        "--allow-insecure-http",
        action="store_true",
        help="send the credentials over plain http to a host that is not loopback (refused "
        "otherwise: anyone on the path could read them)",
    )


def _add_logout(commands: Any) -> None:
    """The logout subcommand, on argparse's subparsers object."""
    logout = commands.add_parser(
        "logout",
        help="revoke and forget a `runai-token login` (its refresh token and cached access tokens)",
        description="Forget the login `runai-token get` would use: its refresh token (revoked at "
        "the identity provider first when it offers RFC 7009 revocation; kept in the OS "
        "keyring or a 0600 file), its entry in the login index and its cached access tokens. "
        "Exits 0 when there is nothing to forget.",
    )
    logout.add_argument(
        "--base-url",
        metavar="URL",
        help="the control plane whose login to forget; default: $RUNAI_BASE_URL, else the most "
        "recent login",
    )
    logout.add_argument(
        "--store",
        choices=STORE_CHOICES,
        default="auto",
        help="auto (default) forgets the login wherever it is kept; keyring also looks in the OS "
        "keyring when the index does not know the login; none forgets nothing",
    )
    logout.add_argument("--cache-dir", metavar="DIR", help="default: $XDG_CACHE_HOME/runai-tokens")
    logout.add_argument(
        "--issuer",
        metavar="URL",
        help="the identity provider that revokes the refresh token (default: <base URL>/auth/"
        "realms/runai; give the one the login used)",
    )
    logout.add_argument(
        "--no-revoke",
        action="store_true",
        help="forget the login here without revoking its refresh token at the identity provider",
    )


def _add_serve(commands: Any) -> None:
    """The serve subcommand, on argparse's subparsers object."""
    serve = commands.add_parser(
        "serve",
        help="run a fake Run:ai token server on 127.0.0.1 (for trying things out)",
        description="Run the fake Run:ai server (runai_tokens.testing) until Ctrl-C or SIGTERM.",
    )
    serve.add_argument("--port", type=int, default=0, help="default: any free port")
    serve.add_argument(
        "--lifetime", type=_positive_float, default=3600.0, metavar="S", help="token lifetime"
    )
    serve.add_argument(
        "--version",
        dest="server_version",
        metavar="2.X",
        # Checked by serve against the contract's versions: reading them imports the generated
        # client, which building this parser must not.
        help="the control-plane version to answer as: any the contract covers (2.18 and later; "
        "runai-token --version names them), default the newest",
    )


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError("not a number") from None


def _integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("not an integer") from None


def _positive_float(text: str) -> float:
    try:
        return _validate.seconds(_number(text), "it")
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
