"""The warm path's argv scanner (cli/_options.scan_get) against argparse, which it stands in for.

The scanner may decline anything; what it accepts it must read exactly as argparse does. Argv
lists are drawn from the option table's own tokens (every flag, spelled alone and with "=",
every choice), other commands, help, "--", values that look like options, and junk.
"""

from __future__ import annotations

import argparse

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from runai_tokens.cli import build_parser
from runai_tokens.cli._exit import CliError
from runai_tokens.cli._options import GET_OPTIONS, Option, scan_get

FLAGS = [flag for option in GET_OPTIONS for flag in option.flags]
CHOICES = [c for option in GET_OPTIONS for c in option.kwargs.get("choices", ())]
TOKENS = st.one_of(
    st.sampled_from(FLAGS),
    st.sampled_from([f"{flag}=" for flag in FLAGS]),
    st.builds(lambda f, c: f"{f}={c}", st.sampled_from(FLAGS), st.sampled_from(CHOICES)),
    st.sampled_from(CHOICES),
    st.sampled_from(["get", "login", "logout", "serve", "--help", "-h", "--version", "--", "-"]),
    st.sampled_from(["-ojson", "-o=json", "--out", "--no-cache=1", "-1", "-x", "", " ", "a b"]),
    st.sampled_from(["https://tenant.example", "some/cache", "--base-url=https://t.example"]),
    st.text(max_size=12),
)
VALUES = st.one_of(st.sampled_from(CHOICES), TOKENS)
# Mostly well-formed: an option and its value, in each spelling, now and then a stray token.
UNITS = st.one_of(
    st.builds(lambda f, v: [f, v], st.sampled_from(FLAGS), VALUES),
    st.builds(lambda f, v: [f"{f}={v}"], st.sampled_from(FLAGS), VALUES),
    st.sampled_from(FLAGS).map(lambda f: [f]),
    TOKENS.map(lambda t: [t]),
)


def _well_formed(option: Option) -> st.SearchStrategy[list[str]]:
    """The option as a person would write it, with a value it takes (or text, for free ones)."""
    if option.is_flag:
        return st.sampled_from([[flag] for flag in option.flags])
    choices = option.kwargs.get("choices")
    values = st.sampled_from(choices) if choices else st.text(max_size=10)
    long = option.flags[-1]
    return st.one_of(
        st.builds(lambda f, v: [f, v], st.sampled_from(option.flags), values),
        values.map(lambda v: [f"{long}={v}"]),
    )


WELL_FORMED = st.one_of([_well_formed(option) for option in GET_OPTIONS])
ARGV = st.one_of(
    st.lists(TOKENS, max_size=8),
    st.lists(TOKENS, max_size=8).map(lambda rest: ["get", *rest]),
    st.lists(UNITS, max_size=5).map(lambda units: ["get", *(t for u in units for t in u)]),
    st.lists(st.one_of(WELL_FORMED, WELL_FORMED, UNITS), max_size=6).map(
        lambda units: ["get", *(t for u in units for t in u)]
    ),
    st.lists(WELL_FORMED, max_size=6).map(lambda units: ["get", *(t for u in units for t in u)]),
)


def parsed(argv: list[str]) -> argparse.Namespace | None:
    """argparse's namespace, or None when it refuses argv (or prints help and exits)."""
    try:
        return build_parser().parse_args(argv)
    except (CliError, SystemExit):
        return None


@settings(max_examples=400)
@given(ARGV)
def test_the_scanner_declines_or_reads_argv_as_argparse_does(argv: list[str]) -> None:
    scanned = scan_get(argv)
    if scanned is None:
        return
    expected = parsed(argv)
    assert expected is not None, "the scanner accepted what argparse refuses"
    assert vars(scanned) == vars(expected)


@pytest.mark.parametrize(
    "argv",
    [
        ["get"],
        ["get", "--output", "exec-credential"],
        ["get", "--output=json"],
        ["get", "-o", "env"],
        ["get", "--base-url", "https://tenant.example", "-o", "plain", "--output", "json"],
        ["get", "--cache-dir", "/somewhere", "--no-cache", "--allow-insecure-http"],
        ["get", "--grant", "app", "--client-id", "ci", "--client-secret-file", "secret.txt"],
        ["get", "--token-endpoint", "v1", "--base-url="],
    ],
)
def test_what_kubectl_and_scripts_pass_is_scanned(argv: list[str]) -> None:
    # Not vacuous: these are accepted, and read as argparse reads them.
    scanned = scan_get(argv)
    assert scanned is not None
    assert vars(scanned) == vars(build_parser().parse_args(argv))


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["--version"],
        ["get", "--help"],
        ["login"],
        ["get", "--timeout", "10"],  # a typed value: argparse converts it and words its errors
        ["get", "--max-attempts", "2"],
        ["get", "-ojson"],
        ["get", "-o=json"],
        ["get", "--output", "yaml"],
        ["get", "--output"],
        ["get", "--base-url", "-x"],
        ["get", "--cache-dir", "-1"],
        ["get", "--", "--output"],
        ["get", "--no-cache=yes"],
        ["get", "--client-secret", "fake-typed-on-the-command-line"],
        ["get", "--out", "json"],
        ["get", "extra"],
    ],
)
def test_anything_else_is_left_to_argparse(argv: list[str]) -> None:
    assert scan_get(argv) is None


def test_each_option_has_argparse_s_dest() -> None:
    # The table computes dest the way argparse does: the namespace proves it for all of them.
    namespace = build_parser().parse_args(["get"])
    assert {option.dest for option in GET_OPTIONS} | {"command"} == set(vars(namespace))
