"""_validate judges a plain base URL without parsing it (for the CLI's warm path): it must judge
exactly as parsing does, for every URL it does not leave to the parse.

URLs are drawn from their parts (schemes in both cases, host names, IPv4 addresses good and bad,
IPv6, userinfo, ports in and out of range, paths, queries, trailing slashes) and from junk.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from runai_tokens import _plain_url, _validate
from runai_tokens.cli import _proxy
from runai_tokens.cli._exit import CliError

LABEL = st.text("abcxyzABC019-_", min_size=1, max_size=6)
HOSTS = st.one_of(
    st.lists(LABEL, min_size=1, max_size=4).map(".".join),
    st.lists(LABEL, min_size=1, max_size=3).map(lambda labels: ".".join(labels) + "."),
    st.lists(st.integers(0, 300).map(str), min_size=3, max_size=5).map(".".join),
    st.sampled_from(["127.0.0.1", "127.1.2.3", "10.0.0.1", "0.0.0.1", "255.255.255.255"]),
    st.sampled_from(["01.2.3.4", "1.2.3.4.", "1..2.3", "localhost", "LOCALHOST", "localhost."]),
    st.sampled_from(["[::1]", "[fe80::1]", "[::ffff:127.0.0.1]", "[::1", "::1", "", "."]),
    st.sampled_from(["user@host", "u:p@host", "h\u00e9te", "xn--bcher-kva", "a b", "a\tb"]),
    st.text(max_size=8),
)
PORTS = st.one_of(
    st.just(""),
    st.integers(-1, 70000).map(lambda port: f":{port}"),
    st.sampled_from([":", ":080", ":0", ":65535", ":65536", ":1e3", ":\u0661", ":+1"]),
)
PATHS = st.one_of(
    st.sampled_from(["", "/", "//", "/api", "/api/", "/a%20b", "/a?b=c", "/#x", "/a b", "/\\x"]),
    st.text("abz/-._~%!$&'()*+,;=:@?#[] \\\u00e9", max_size=8).map(lambda p: "/" + p),
)
SCHEMES = st.sampled_from(["http://", "https://", "HTTPS://", "Http://", "ftp://", "https:/", ""])
# Mostly usable ones too, so that the shortcut is taken often enough to be tested.
LIKELY = st.builds(
    lambda s, h, p, q: s + h + p + q,
    st.sampled_from(["http://", "https://"]),
    st.one_of(HOSTS.filter(lambda h: h.isascii()), st.sampled_from(["127.0.0.1", "localhost"])),
    st.one_of(st.just(""), st.integers(0, 66000).map(lambda port: f":{port}")),
    st.text("abz/-._~%:@", max_size=8).map(lambda p: "/" + p) | st.just(""),
)
URLS = st.one_of(
    st.builds(lambda s, h, p, q: s + h + p + q, SCHEMES, HOSTS, PORTS, PATHS),
    LIKELY,
    LIKELY,
    st.text(max_size=30),
)


def _loopback_by_parsing(host: str) -> bool:
    """is_loopback without its shortcut: ipaddress for every host. "localhost." is not
    loopback: a fully qualified name goes to the resolver as it is."""
    host = host.lower()
    if host == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


@settings(max_examples=500)
@given(URLS)
def test_a_plain_url_is_one_parsing_finds_usable_with_that_host(url: str) -> None:
    host = _plain_url.plain_host(url)
    if host is None:
        return
    assert _validate._parsed_url_problem(url) is None
    assert urlsplit(url).hostname == host
    # The base URL the CLI keys its cache on, both ways: stripped, checked, trailing "/" gone.
    assert _validate.base_url(url).rstrip("/") == url.rstrip("/")


@settings(max_examples=500)
@given(URLS)
def test_url_problem_and_in_clear_answer_as_parsing_does(url: str) -> None:
    assert _validate.url_problem(url) == _validate._parsed_url_problem(url)
    if _validate.url_problem(url) is None:
        parts = urlsplit(url)
        parsed = parts.scheme == "http" and not _loopback_by_parsing(parts.hostname or "")
        assert _validate.in_clear(url) == parsed


@settings(max_examples=500)
@given(st.one_of(HOSTS, HOSTS.map(str.upper), st.text(max_size=12)))
def test_is_loopback_answers_as_ipaddress_does(host: str) -> None:
    assert _validate.is_loopback(host) == _loopback_by_parsing(host)


@pytest.mark.parametrize(
    "url",
    [
        "https://tenant.run.ai",
        "https://tenant.run.ai/",
        "https://Tenant.Example:8443/runai/",
        "http://127.0.0.1:8080",
        "http://localhost:1234/",
        "https://10.0.0.1",
    ],
)
def test_the_urls_people_use_are_plain(url: str) -> None:
    # Not vacuous: these are judged without urllib.parse (and so a warm `get` never loads it).
    assert _plain_url.plain_host(url) is not None


@pytest.mark.parametrize(
    "url",
    [
        "HTTPS://tenant.run.ai",
        "https://[::1]:8443",
        "https://user@tenant.run.ai",
        "https://tenant.run.ai:",
        "https://tenant.run.ai?x=1",
        "https://b\u00fccher.example",
        "https://1.2.3.4.",
        "https://01.2.3.4",
    ],
)
def test_anything_unusual_is_parsed(url: str) -> None:
    assert _plain_url.plain_host(url) is None


PROXY_ENVIRONMENTS = st.fixed_dictionaries(
    {},
    optional={
        "HTTPS_PROXY": URLS,
        "http_proxy": st.one_of(URLS, st.sampled_from(["proxy:3128", "socks5://p:1", "u:p@h"])),
        "ALL_PROXY": URLS,
        "NO_PROXY": st.sampled_from(["", "*", "example", ".run.ai", "localhost,127.0.0.1"]),
    },
)


@settings(max_examples=300)
@given(LIKELY, PROXY_ENVIRONMENTS)
def test_proxy_for_answers_as_it_does_by_parsing(url: str, environ: dict[str, str]) -> None:
    if _validate.url_problem(url) is not None:
        return
    expected = _proxy_for_by_parsing(url, environ)
    try:
        answer: object = _proxy.proxy_for(url, environ)
    except CliError as exc:
        answer = ("refused", str(exc))
    assert answer == expected


def _proxy_for_by_parsing(url: str, environ: dict[str, str]) -> object:
    """proxy_for with the plain-URL shortcut taken away: everything parsed."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_proxy, "plain_host", lambda url: None)
        try:
            return _proxy.proxy_for(url, environ)
        except CliError as exc:
            return ("refused", str(exc))
