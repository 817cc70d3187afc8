"""`runai-token get`'s options, said once: the table argparse is built from, and the scanner that
reads the argv of a warm `get` without argparse.

argparse (with the `re` it imports) costs a warm `get` more than everything else it does, so
main() first asks scan_get. The scanner reads the same table the parser is built from and
accepts only what it is certain argparse reads the same way: `get` followed by options the table
marks `fast`, each spelled out exactly (`--output json`, `--output=json`, `-o json`), with a
value that cannot be mistaken for an option. Anything else (help, a typo, another command, a
typed value such as --timeout, `-ojson`, `--`) returns None, and argparse parses it and reports
it in its own words. tests/test_cli_options.py checks, for generated argv, that the scanner
either declines or yields exactly argparse's namespace.

Standard library only, and no argparse at import: this is on the warm path.
"""

from __future__ import annotations

from ._output import FORMATS
from ._settings import GRANTS, TOKEN_ENDPOINTS

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (see _cache)
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import Any

PROG = "runai-token"


class Option:
    """One option of `get`: its flags, and add_argument's keywords (help text included).

    fast: the scanner may read it. Only options whose value argparse stores as given (no type
    to convert, so no error to word) are marked.
    """

    __slots__ = ("dest", "fast", "flags", "kwargs")

    def __init__(self, *flags: str, fast: bool, **kwargs: Any) -> None:
        self.flags = flags
        self.fast = fast
        self.kwargs = kwargs
        # argparse's rule: the first long flag, without its dashes, "-" made "_".
        self.dest: str = next(f for f in flags if f.startswith("--"))[2:].replace("-", "_")

    @property
    def is_flag(self) -> bool:
        return self.kwargs.get("action") == "store_true"

    @property
    def default(self) -> object:
        """What argparse puts in the namespace when the option is not given."""
        return self.kwargs.get("default", False if self.is_flag else None)


def parse_number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        import argparse  # only argparse calls this: it is loaded already

        raise argparse.ArgumentTypeError("not a number") from None


def parse_integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        import argparse

        raise argparse.ArgumentTypeError("not an integer") from None


# In the order of `runai-token get --help`. The credential options are CREDENTIAL_OPTIONS.
GET_OPTIONS = (
    Option("--base-url", fast=True, metavar="URL", help="default: $RUNAI_BASE_URL"),
    Option(
        "--grant",
        fast=True,
        choices=GRANTS,
        help="client_credentials (the default with --client-id or --client-secret-file); app "
        "(the client id and secret are the app's); password (--username, --password-file); "
        "external (an external identity provider's token, 2.22+). With no --grant and no "
        "credential options, credentials are found by themselves (see below)",
    ),
    Option("--client-id", fast=True, metavar="ID", help="default: $RUNAI_CLIENT_ID"),
    Option(
        "--client-secret-file",
        fast=True,
        metavar="PATH",
        help="read the client secret from PATH ('-' = stdin); default: $RUNAI_CLIENT_SECRET",
    ),
    Option("--username", fast=True, metavar="NAME", help="default: $RUNAI_USERNAME"),
    Option(
        "--password-file",
        fast=True,
        metavar="PATH",
        help="read the password from PATH ('-' = stdin); default: $RUNAI_PASSWORD",
    ),
    Option(
        "--external-token-file",
        fast=True,
        metavar="PATH",
        help="read the external token from PATH ('-' = stdin); default: $RUNAI_EXTERNAL_TOKEN",
    ),
    Option(
        "--token-endpoint",
        fast=True,
        choices=TOKEN_ENDPOINTS,
        default="auto",
        help="auto (default): /api/v2/token, or /api/v1/token on a control plane without it",
    ),
    Option(
        "-o",
        "--output",
        fast=True,
        choices=FORMATS,
        default="plain",
        help="how to print it (see below)",
    ),
    Option("--cache-dir", fast=True, metavar="DIR", help="default: $XDG_CACHE_HOME/runai-tokens"),
    Option("--no-cache", fast=True, action="store_true", help="neither read nor write the cache"),
    # Parsed here, checked in resolve_get by the same rules TokenAuth applies.
    Option(
        "--timeout",
        fast=False,
        type=parse_number,
        default=30.0,
        metavar="S",
        help="per request (30)",
    ),
    Option(
        "--max-attempts",
        fast=False,
        type=parse_integer,
        metavar="N",
        help="requests per token (default 3)",
    ),
    Option(
        "--allow-insecure-http",
        fast=True,
        action="store_true",
        help="send the credentials over plain http to a host that is not loopback (refused "
        "otherwise: anyone on the path could read them)",
    ),
)

# Each flag of a fast option, spelled out, to its option.
_FAST = {flag: option for option in GET_OPTIONS if option.fast for flag in option.flags}


if TYPE_CHECKING:
    from argparse import Namespace as _Scanned
else:

    class _Scanned:
        """A namespace of parsed arguments, as argparse.Namespace holds them (attributes only).

        The type checker is told it is argparse.Namespace, whose shape it has, so that the
        functions reading get's arguments take either without importing argparse to say so.
        """

        def __init__(self, **values: object) -> None:
            self.__dict__.update(values)

        def __repr__(self) -> str:  # paths and URLs: a secret is never an argument
            return f"ScannedArgs({self.__dict__!r})"


def scan_get(argv: Sequence[str]) -> _Scanned | None:
    """argv's namespace exactly as build_parser().parse_args(argv) makes it, or None when the
    scanner is not certain it would (see the module docstring); None is never an error."""
    if not argv or argv[0] != "get":
        return None
    values: dict[str, object] = {"command": "get"}
    values.update((option.dest, option.default) for option in GET_OPTIONS)
    at = 1
    while at < len(argv):
        name, equals, attached = argv[at].partition("=")
        option = _FAST.get(name)
        if option is None:
            return None
        if option.is_flag:
            if equals:  # `--no-cache=yes`: argparse's error
                return None
            values[option.dest] = True
            at += 1
            continue
        if equals:
            if not name.startswith("--"):  # `-o=json`: argparse's to read
                return None
            value, at = attached, at + 1
        elif at + 1 < len(argv):
            value, at = argv[at + 1], at + 2
        else:
            return None
        # A value like "-x" argparse may take for an option (or, "-1", for a number).
        if value.startswith("-"):
            return None
        choices: Sequence[str] | None = option.kwargs.get("choices")
        if choices is not None and value not in choices:
            return None
        values[option.dest] = value  # repeated: the last one wins, as in argparse
    return _Scanned(**values)


def add_get_options(add_argument: Callable[..., object]) -> None:
    """Add every get option to a parser, through its add_argument."""
    for option in GET_OPTIONS:
        add_argument(*option.flags, **option.kwargs)
