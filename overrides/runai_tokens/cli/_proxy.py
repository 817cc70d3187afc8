"""The proxy a command should use, read from the environment the way curl and pip read it.

Apart from the settings because it is its own small standard (http_proxy, all_proxy, no_proxy and
their spellings) and both `get` and `login` need it. The library never reads these variables
itself (configuration is passed in); the CLI is an edge. Standard library only: `get` reads it on
its warm path.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import _validate
from .._plain_url import plain_host
from ._exit import CliError, ExitCode

if TYPE_CHECKING:
    from collections.abc import Mapping

# Every variable that can name a proxy. With none of them set there is nothing to read. With one
# set, a plain base URL and a plain proxy (_plain_url: no user, no IPv6) are read without
# urllib.parse: a warm `get`, which has no use for the proxy, still refuses a bad one.
_PROXY_VARIABLES = tuple(
    spelling
    for name in ("http_proxy", "https_proxy", "all_proxy")
    for spelling in (name, name.upper())
)


def proxy_for(base_url: str, environ: Mapping[str, str]) -> str | None:
    """The proxy the environment names for base_url, the way curl and pip read it.

    {scheme}_proxy, then all_proxy (lower case first, as curl does), unless no_proxy names the
    host. A proxy without a scheme is http://, as curl takes it. One that cannot be used is a
    usage error naming the variable, not its value, which may hold the proxy's password. The
    library never reads these itself (configuration is passed in); the CLI is an edge.
    """
    if not any((environ.get(name) or "").strip() for name in _PROXY_VARIABLES):
        return None
    scheme, host = _scheme_and_host(base_url)

    def variable(name: str) -> tuple[str, str]:
        for spelling in (name, name.upper()):
            if value := (environ.get(spelling) or "").strip():
                return spelling, value
        return name, ""

    name, proxy = variable(f"{scheme}_proxy")
    if not proxy:
        name, proxy = variable("all_proxy")
    if not proxy or _bypassed(host, variable("no_proxy")[1]):
        return None
    if "://" not in proxy:
        proxy = "http://" + proxy
    if plain_host(proxy) is not None:  # http(s), a valid host and port: nothing to refuse
        return proxy
    if (problem := _validate.proxy_problem(proxy)) is not None:
        raise CliError(ExitCode.USAGE, f"{name} is not a usable proxy URL: {problem}")
    return proxy


def _scheme_and_host(url: str) -> tuple[str, str]:
    """urlsplit(url)'s scheme and hostname ("" for none)."""
    host = plain_host(url)
    if host is not None:
        return url.partition(":")[0], host
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return parts.scheme, parts.hostname or ""


def _bypassed(host: str, no_proxy: str) -> bool:
    """no_proxy as curl reads it: "*", or names that match the host or a domain it is in."""
    for entry in (e.strip().lower().lstrip(".") for e in no_proxy.split(",")):
        if entry == "*" or (entry and (host == entry or host.endswith("." + entry))):
            return True
    return False
