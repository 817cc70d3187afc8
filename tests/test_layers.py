"""The package's shape: one exception root, and the core's message naming the people's sessions."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable

import pytest
import runai_tokens
from runai_tokens.auth._build import _SESSION_NAMES
from runai_tokens.auth._source import SessionCredentials

# The test kit's own exceptions are what its fake server says to itself, never raised at a caller.
_NOT_RAISED_AT_CALLERS = {
    "runai_tokens.auth._singleflight.Abandoned",
    "runai_tokens.demo.DemoError",
}


def _exported_exceptions() -> list[type[BaseException]]:
    found = []
    for name in runai_tokens.__all__:
        value = getattr(runai_tokens, name)
        if inspect.isclass(value) and issubclass(value, BaseException):
            found.append(value)
    return found


@pytest.mark.parametrize("error", _exported_exceptions(), ids=lambda error: error.__name__)
def test_every_exported_exception_derives_from_the_root(error: type[BaseException]) -> None:
    assert issubclass(error, runai_tokens.RunaiTokensError)


def test_the_root_keeps_the_standard_library_bases() -> None:
    import httpx

    assert issubclass(runai_tokens.MissingCredentialsError, ValueError)
    assert issubclass(runai_tokens.InvalidArgument, ValueError)
    assert issubclass(runai_tokens.InvalidArgumentType, TypeError)
    assert issubclass(runai_tokens.LoginRequiredError, RuntimeError)
    assert issubclass(runai_tokens.LoginStoreError, OSError)
    assert issubclass(runai_tokens.DeadlineExceeded, httpx.ReadTimeout)
    assert issubclass(runai_tokens.UntrustedJsonError, ValueError)
    assert issubclass(runai_tokens.RefreshLockTimeout, runai_tokens.ApiException)


def test_every_exception_defined_outside_the_test_kit_is_exported_under_the_root() -> None:
    """Walks the package: an exception class defined in it is exported and under the root."""
    strays = []
    for module_info in pkgutil.walk_packages(runai_tokens.__path__, "runai_tokens."):
        if module_info.name.startswith(("runai_tokens.testing", "runai_tokens.__main__")):
            continue
        module = importlib.import_module(module_info.name)
        for value in vars(module).values():
            if not (inspect.isclass(value) and issubclass(value, BaseException)):
                continue
            if value.__module__ != module.__name__:
                continue  # imported, not defined here
            qualified = f"{value.__module__}.{value.__qualname__}"
            if qualified in _NOT_RAISED_AT_CALLERS:
                continue
            if not issubclass(value, runai_tokens.RunaiTokensError):
                strays.append(qualified)
    assert strays == []


def test_the_core_names_the_people_sessions_it_takes() -> None:
    sessions = [runai_tokens.RunaiCliSession, runai_tokens.LoginSession]
    assert tuple(kind.__name__ for kind in sessions) == _SESSION_NAMES
    assert isinstance(runai_tokens.RunaiCliSession("."), SessionCredentials)


def _bad_arguments() -> list[tuple[str, Callable[[], object]]]:
    from runai_tokens import ClientCredentials, RetryPolicy, StaticToken, TokenAuth, connect

    url = "https://tenant.run.ai"
    return [
        ("connect: base_url", lambda: connect("ftp://tenant.run.ai", StaticToken("t"))),
        ("connect: timeout", lambda: connect(url, StaticToken("t"), timeout=-1)),
        ("connect: credentials", lambda: connect(url, ("user", "secret"))),  # type: ignore[arg-type]
        ("TokenAuth: base_url", lambda: TokenAuth(42, StaticToken("t"))),  # type: ignore[arg-type]
        ("TokenAuth: timeout", lambda: TokenAuth(url, StaticToken("t"), timeout=0)),
        ("TokenAuth: plain http", lambda: TokenAuth("http://example.com", StaticToken("t"))),
        ("ClientCredentials: empty", lambda: ClientCredentials("", "secret")),
        ("ClientCredentials: type", lambda: ClientCredentials(None, "secret")),  # type: ignore[arg-type]
        ("RetryPolicy: max_attempts", lambda: RetryPolicy(max_attempts=0)),
        ("RetryPolicy: deadline", lambda: RetryPolicy(deadline="10")),  # type: ignore[arg-type]
    ]


@pytest.mark.parametrize(("what", "call"), _bad_arguments(), ids=[w for w, _ in _bad_arguments()])
def test_the_root_catches_a_bad_argument(what: str, call: Callable[[], object]) -> None:
    """A bad argument is the package's own error, and still the TypeError or ValueError it was."""
    with pytest.raises(runai_tokens.RunaiTokensError) as caught:
        call()
    assert isinstance(caught.value, runai_tokens.InvalidArgument | runai_tokens.InvalidArgumentType)
    assert isinstance(caught.value, ValueError | TypeError)
