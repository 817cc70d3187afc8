"""One validation for what callers pass in: base URL, timeouts, credentials and retry settings.

TokenAuth, connect(), RetryPolicy and the CLI all call these functions, so the same input is
refused the same way everywhere: an InvalidArgumentType (a TypeError) for the wrong type, an
InvalidArgument (a ValueError) for a wrong value, with the same words. `name` is how the caller
gave the value (base_url, RUNAI_BASE_URL, --base-url, timeout, --timeout), so a message says
which input to fix. No message quotes the
value: a secret pasted into the wrong argument would otherwise end up in a traceback or on a
terminal.

Each input is checked once, where it enters the package. A base URL that has passed base_url()
is a BaseUrl, and goes inward as one: what receives a BaseUrl takes it as it is (checked_url).

Surrounding whitespace of a base URL is stripped everywhere (a URL read from a file or pasted
into an environment variable often ends in a newline); whitespace inside one is refused.

Credentials and tokens go over plain http only to a loopback host (127.0.0.0/8, ::1,
localhost), unless the caller allows it in so many words; then it warns once per origin.

Standard library only: the CLI's warm path imports this, and it imports none of its callers
(the credential and RetryPolicy checks are auth/_build's, beside those classes). A warm
`runai-token get` checks a base URL too, and urllib.parse, re and ipaddress cost it more than the
rest of its work: a plain URL (_plain_url: a lower-case scheme, a DNS name or dotted IPv4
address, a port, a path of URL-safe characters) is judged without them, and only a URL it is not
certain about is parsed. tests/test_validate_fast.py checks that the two judge alike.
"""

from __future__ import annotations

import math
import threading
import warnings
from typing import TYPE_CHECKING

from ._base_errors import InvalidArgument, InvalidArgumentType, RunaiTokensError
from ._plain_url import ipv4, plain_host

if TYPE_CHECKING:
    import ssl
    from collections.abc import Iterable
    from urllib.parse import SplitResult

    import httpx


class InsecureHttpWarning(RunaiTokensError, UserWarning):
    """Credentials or tokens will be sent over plain http to a host that is not loopback.

    Issued once per process and origin, when a caller passes allow_insecure_http=True. A
    warning, not a log record: it is about how the code was written, not about one request, so
    it belongs where warnings go (shown once, turned into an error by `-W error`, or silenced by
    category in a test suite), the way urllib3's InsecureRequestWarning is.
    """


# --- the base URL ----------------------------------------------------------------------------

_SCHEMES = ("http", "https")
_WITH_A_HOST = "must be an http:// or https:// URL with a host, e.g. https://<tenant>.run.ai"
_PORT = "has a port that is not a number from 1 to 65535"
# A DNS name (underscores allowed: some internal names carry them). Anything else in an ASCII
# host, httpx would percent-encode into a name no resolver knows. Patterns, compiled (and kept
# by re's cache) on first use: re is not imported for a plain URL.
_HOST_NAME = r"[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.?"
_IPV4_LIKE = r"[0-9.]+"


class BaseUrl(str):
    """A base URL that has been checked: made by base_url() (or accepted_url(), for one read
    back from a file this package wrote), stripped and usable.

    It is checked where it enters (connect(), TokenAuth, the CLI, the people layer's loaders)
    and travels inward as a BaseUrl, so whatever receives one knows it is usable without
    checking it again. A str, so it goes wherever a URL goes; what str's methods return is a
    plain str again, except trimmed().
    """

    __slots__ = ()

    def trimmed(self) -> BaseUrl:
        """Without trailing slashes: still usable, as the host comes before the path."""
        return self if not self.endswith("/") else BaseUrl(self.rstrip("/"))


def base_url(value: object, *, name: str = "base_url") -> BaseUrl:
    """value with surrounding whitespace stripped, once it is a usable base URL."""
    if not isinstance(value, str):
        raise InvalidArgumentType(f"{name} must be a str, not {type(value).__name__}")
    url = value.strip()
    problem = url_problem(url)
    if problem is not None:
        raise InvalidArgument(f"{name} {problem}")
    return BaseUrl(url)


def checked_url(value: object, *, name: str = "base_url") -> BaseUrl:
    """value itself when it is a BaseUrl already, else base_url(value): for the places a base
    URL reaches both from a caller and from an edge that has checked it."""
    return value if isinstance(value, BaseUrl) else base_url(value, name=name)


def accepted_url(value: object) -> BaseUrl | None:
    """value as a BaseUrl when it is a str usable as one as it is (stripped), else None: for a
    URL read back from a file, where a bad one is not an error but no URL."""
    if not isinstance(value, str) or url_problem(value) is not None:
        return None
    return value if isinstance(value, BaseUrl) else BaseUrl(value)


def httpx_url(url: str, *, name: str = "base_url") -> httpx.URL:
    """url (which has passed base_url()) as httpx parses it, for the library's entry points.

    A backstop: what base_url() accepts, httpx is meant to accept too (a name whose IDNA form
    httpx's stricter codec refuses is the known gap); if not, the message is the same one.
    """
    import httpx

    try:
        parsed = httpx.URL(url)
        parsed.host  # noqa: B018 - decodes an xn-- name, which may fail (UnicodeError)
    except (httpx.InvalidURL, UnicodeError):
        raise InvalidArgument(f"{name} is not a valid URL") from None
    return parsed


def url_problem(url: str) -> str | None:
    """What makes url (already stripped) unusable as a base URL, or None. Never quotes it."""
    if plain_host(url) is not None:
        return None
    return _parsed_url_problem(url)


def _parsed_url_problem(url: str) -> str | None:
    """url_problem, by parsing url as httpx will."""
    from urllib.parse import urlsplit

    if any(char.isspace() or not char.isprintable() for char in url):
        return "contains whitespace or a control character"
    try:
        parts = urlsplit(url)
    except ValueError:  # an unclosed "[" of an IPv6 address, say
        return "is not a valid URL"
    if parts.scheme not in _SCHEMES or not parts.netloc:
        return _WITH_A_HOST
    if "@" in parts.netloc:
        # httpx would send them as Basic auth, and log them with the URL.
        return "must not carry a user or password; pass credentials instead"
    if "?" in url or "#" in url:
        return "must not have a query or fragment"
    if (problem := port_problem(url)) is not None:
        return problem
    if not parts.hostname:
        return _WITH_A_HOST
    if not _valid_host(parts):
        return "has a host that is not a valid host name or IP address"
    return None


def port_problem(url: str) -> str | None:
    """What is wrong with url's port, or None when it has a usable one or none at all.

    httpx takes :99999 and fails at the first request with a message about something else.
    """
    from urllib.parse import urlsplit

    try:
        port = urlsplit(url).port
    except ValueError:  # not a number, out of range, or not a URL at all
        port = 0
    return _PORT if port == 0 else None


def _valid_host(parts: SplitResult) -> bool:
    import re

    host = parts.hostname or ""
    if parts.netloc.startswith("["):
        return _is_ip(host, version=6)
    if re.fullmatch(_IPV4_LIKE, host):
        return _is_ip(host, version=4)
    if host.isascii() and re.fullmatch(_HOST_NAME, host) is None:
        return False
    return _idna_host(host)


def _idna_host(host: str) -> bool:
    """Whether httpx can carry host: a non-ASCII name must encode, and an ASCII one with an
    xn-- label must decode, under IDNA 2008 (the idna package httpx uses; Python's own codec
    is IDNA 2003, which takes names httpx refuses). Plain ASCII names need neither."""
    labels = host.lower().split(".")
    if host.isascii() and not any(label.startswith("xn--") for label in labels):
        return True
    import idna  # httpx's dependency: imported only for a name that needs it

    try:
        if host.isascii():
            idna.decode(host.lower())
        else:
            idna.encode(host.lower())
    except (idna.IDNAError, UnicodeError):
        return False
    return True


def _is_ip(host: str, *, version: int) -> bool:
    import ipaddress

    try:
        return ipaddress.ip_address(host).version == version
    except ValueError:
        return False


# --- plain http --------------------------------------------------------------------------------

_warned: set[str] = set()
_warned_lock = threading.Lock()


def insecure_http(url: str, *, allow: object, name: str = "base_url", warn: bool = True) -> None:
    """Refuse to send credentials over plain http to a host that is not loopback.

    url has passed base_url(). With allow=True it is accepted, and (unless warn is False: the
    CLI says it its own way) an InsecureHttpWarning is issued the first time in this process
    for the origin.
    """
    flag(allow, "allow_insecure_http")
    if not in_clear(url):
        return
    if not allow:
        raise InvalidArgument(
            f"{name} is plain http to a host that is not loopback: credentials and tokens "
            "would cross the network unencrypted. Use https, or accept that explicitly "
            "(allow_insecure_http=True; runai-token --allow-insecure-http)"
        )
    if not warn:
        return
    from urllib.parse import urlsplit

    origin = f"http://{urlsplit(url).netloc.lower()}"
    with _warned_lock:
        if origin in _warned:
            return
        _warned.add(origin)
    warnings.warn(
        f"sending credentials and tokens to {origin} over plain http (allow_insecure_http=True)",
        InsecureHttpWarning,
        stacklevel=3,
    )


def in_clear(url: str) -> bool:
    """Whether what is sent to url crosses a network unencrypted: plain http, not loopback."""
    host = plain_host(url)
    if host is not None:  # urlsplit would find this scheme and host
        return url.startswith("http:") and not is_loopback(host)
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return parts.scheme == "http" and not is_loopback(parts.hostname or "")


def is_loopback(host: str) -> bool:
    """Whether host is this machine by definition: localhost, 127.0.0.0/8 or ::1.

    Names are not resolved: only "localhost" itself is taken on trust (RFC 6761). Not
    "localhost." either: a fully qualified name is looked up as it is, and a resolver (or a
    search domain's DNS) may answer for it with any address.
    """
    host = host.lower()
    if host == "localhost":
        return True
    if ":" not in host:  # not IPv6: an IPv4 address in ipaddress's one spelling, or no address
        octets = ipv4(host)
        return octets is not None and octets[0] == 127
    import ipaddress

    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


# --- numbers -----------------------------------------------------------------------------------


def seconds(
    value: object, name: str, *, allow_zero: bool = False, allow_infinite: bool = False
) -> float:
    """value as a float of seconds: a real number (never a bool), positive unless allow_zero,
    finite unless allow_infinite. An int too large for a float counts as infinite."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidArgumentType(f"{name} must be a number of seconds, not {type(value).__name__}")
    try:
        number = float(value)
    except OverflowError:  # an int past 1.8e308
        number = math.inf
    if math.isnan(number) or (math.isinf(number) and not allow_infinite):
        raise InvalidArgument(f"{name} must be a finite number of seconds")
    if number < 0 or (number == 0 and not allow_zero):
        raise InvalidArgument(
            f"{name} must be {'zero or more' if allow_zero else 'more than zero'}"
        )
    return number


def timeout(value: object, name: str = "timeout") -> float:
    """A timeout in seconds: finite and above zero."""
    return seconds(value, name)


def flag(value: object, name: str) -> bool:
    """A real bool: a truthy string ("false") must not switch a safety check off."""
    if not isinstance(value, bool):
        raise InvalidArgumentType(f"{name} must be True or False, not {type(value).__name__}")
    return value


def count(value: object, name: str, *, minimum: int) -> int:
    """value as an int (never a bool) of at least minimum."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidArgumentType(f"{name} must be an int, not {type(value).__name__}")
    if value < minimum:
        raise InvalidArgument(f"{name} must be at least {minimum}")
    return value


def statuses(value: object, name: str = "statuses") -> tuple[int, ...]:
    """A collection of HTTP statuses, sorted and without repeats."""
    from collections.abc import Iterable

    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise InvalidArgumentType(
            f"{name} must be a collection of ints, not {type(value).__name__}"
        )
    items = list(value)
    for status in items:
        if isinstance(status, bool) or not isinstance(status, int):
            raise InvalidArgumentType(f"{name} must hold ints, not {type(status).__name__}")
        if not 100 <= status <= 599:
            raise InvalidArgument(f"{name} must be HTTP statuses (100-599)")
    return tuple(sorted(set(items)))


# --- credential fields -------------------------------------------------------------------------


def text(value: object, name: str, *, secret: bool, optional: bool = False) -> str | None:
    """A credential class's field: a str (or None, when optional) that is not empty and that
    UTF-8 can carry. An identifier (secret=False: a client id, a username) holds no control
    character either: CR, LF or NUL in one would end up in the CLI's cache key and messages.

    A str holding lone surrogates (bytes that were not UTF-8, read with surrogateescape from an
    environment variable or a file name) is refused here: the grant would fail to encode it.
    """
    if value is None and optional:
        return None
    if not isinstance(value, str):
        kind = "a str or None" if optional else "a str"
        raise InvalidArgumentType(f"{name} must be {kind}, not {type(value).__name__}")
    if not value:
        raise InvalidArgument(f"{name} must not be empty")
    if not utf8(value):
        raise InvalidArgument(f"{name} is not UTF-8 text")
    if not secret and any(char < " " or "\x7f" <= char < "\xa0" for char in value):
        raise InvalidArgument(f"{name} contains a control character")
    return value


def utf8(value: str) -> bool:
    """Whether value can be encoded as UTF-8 (has no lone surrogate)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


# --- how to connect: proxy and TLS verification ------------------------------------------------

_PROXY_SCHEMES = ("http", "https", "socks5", "socks5h")


def proxy(value: object, name: str = "proxy") -> None:
    """value is None or a proxy httpx can use: an http(s):// or socks5(h):// URL with a host (a
    str, an httpx.URL or an httpx.Proxy). httpx itself parses it only at the first request."""
    if value is None:
        return
    import httpx

    if isinstance(value, httpx.Proxy):
        value = value.url
    if not isinstance(value, str | httpx.URL):
        raise InvalidArgumentType(
            f"{name} must be a str, an httpx.URL or an httpx.Proxy, not {type(value).__name__}"
        )
    problem = proxy_problem(str(value))
    if problem is None:
        try:  # a backstop, as httpx_url is for base URLs
            httpx.Proxy(value)
        except (httpx.InvalidURL, ValueError):
            problem = "it is not a URL"
    if problem is not None:
        raise InvalidArgument(f"{name} is not a usable proxy URL: {problem}")


def proxy_problem(proxy: str) -> str | None:
    """What httpx would refuse in a proxy URL (or fail on later), without quoting any of it."""
    if any(c.isspace() for c in proxy):
        return "it contains whitespace"
    if not proxy.isprintable():
        return "it contains a control character"
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(proxy)
    except ValueError:
        return "it is not a URL"
    if parts.scheme not in _PROXY_SCHEMES:
        return "its scheme must be http, https, socks5 or socks5h"
    if parts.scheme.startswith("socks") and not _have_socksio():
        return "a SOCKS proxy needs the socksio package (pip install 'httpx[socks]')"
    problem = port_problem(proxy)
    if problem is not None:
        return f"it {problem}"
    if not parts.hostname:
        return "it has no host"
    return None


def _have_socksio() -> bool:
    from importlib.util import find_spec

    return find_spec("socksio") is not None


def verify(value: object, name: str = "verify") -> ssl.SSLContext | str | bool:
    """value as httpx takes it for verify=: True, False, an ssl.SSLContext, or the path of a CA
    bundle (a file) or of a directory of certificates, which must exist. httpx opens the path
    only at the first request; an os.PathLike one is given to it as a str."""
    import os
    import ssl

    if isinstance(value, bool | ssl.SSLContext):
        return value
    path = os.fspath(value) if isinstance(value, str | os.PathLike) else None
    if not isinstance(path, str):
        raise InvalidArgumentType(
            f"{name} must be True, False, an ssl.SSLContext or the path of a CA bundle, "
            f"not {type(value).__name__}"
        )
    if not (os.path.isfile(path) or os.path.isdir(path)):
        raise InvalidArgument(f"{name} is not an existing file or directory (a CA bundle's path)")
    return path


# --- objects -----------------------------------------------------------------------------------


def type_name(value: object, expected: Iterable[type]) -> str:
    """The name of value's type, for a message saying it is not one of expected.

    Its bare name, unless that is the name of an expected class it is not: then another copy of
    this package made it (a vendored copy beside an installed one, say), and "got
    ClientCredentials" would puzzle. Both are then named with their modules.
    """
    kind = type(value)
    for cls in expected:
        if kind.__name__ == cls.__name__ and kind is not cls:
            return f"{_qualified(kind)} (this copy's is {_qualified(cls)})"
    return kind.__name__


def _qualified(kind: type) -> str:
    return f"{kind.__module__}.{kind.__qualname__}"
