"""A base URL judged without parsing it: the shortcut _validate takes for a plain one.

urllib.parse, re and ipaddress, which parsing a URL and its host takes, cost a warm `runai-token
get` more than the rest of its work. Most base URLs are plain (https://tenant.run.ai,
http://127.0.0.1:8080), and for those plain_host says, from their characters alone, what parsing
would: usable, with this host. For anything else it says None, and _validate parses.
tests/test_validate_fast.py checks, for generated URLs, that the two never disagree.
"""

from __future__ import annotations

_SCHEMES = ("http", "https")
_DIGITS = "0123456789"
_LABEL = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ" + _DIGITS + "_-")
# RFC 3986's unreserved and sub-delims, "%", ":", "@" and "/": a path of these is one urlsplit
# leaves alone ("?", "#", "[", "]", "\\", whitespace and the rest are for the full parse).
_PATH = _LABEL | frozenset(".~%!$&'()*+,;=:@/")


def plain_host(url: str) -> str | None:
    """The host of url (lower case) when url is certainly a usable base URL, else None.

    Certain means: http:// or https://, then a host that is a DNS name or a dotted IPv4
    address, an optional port of digits, and an optional path of _PATH's characters. For such
    a URL urlsplit finds that very host and port, and _validate.url_problem finds none either; a
    URL with anything else (IPv6, a user, a query, upper case in the scheme, an empty port,
    non-ASCII or its xn-- form) gets None here and is parsed.
    """
    scheme, _, rest = url.partition("://")
    if scheme not in _SCHEMES:
        return None
    authority, _, path = rest.partition("/")
    host, colon, port = authority.partition(":")
    if colon and not (0 < len(port) <= 5 and _all_in(port, _DIGITS) and 0 < int(port) < 65536):
        return None
    if not _all_in(path, _PATH) or not host or host.startswith(".") or ".." in host:
        return None
    if not _all_in(host.removesuffix("."), _LABEL | {"."}):
        return None
    if _all_in(host, _DIGITS + ".") and ipv4(host) is None:
        return None  # IPv4-like, so it must be an address; this one is not
    host = host.lower()
    if host.startswith("xn--") or ".xn--" in host:
        return None  # an IDNA label, which must decode: for the full check
    return host


def _all_in(text: str, allowed: str | frozenset[str]) -> bool:
    return all(char in allowed for char in text)


def ipv4(host: str) -> tuple[int, ...] | None:
    """The octets of host when it is a dotted IPv4 address as ipaddress reads one (four
    decimal numbers up to 255, no leading zeros), else None."""
    octets = host.split(".")
    if len(octets) != 4:
        return None
    for octet in octets:
        if not 0 < len(octet) <= 3 or not _all_in(octet, _DIGITS) or octet[:1] == "0" != octet:
            return None
    numbers = tuple(int(octet) for octet in octets)
    return numbers if max(numbers) <= 255 else None
