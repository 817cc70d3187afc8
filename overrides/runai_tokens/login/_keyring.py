"""The OS keyring, through the `keyring` package (the `keyring` extra), for refresh tokens.

Imported only when a login is saved to or read from the keyring: `keyring` discovers its
backends through entry points when first used, which costs start-up time no warm
`runai-token get` and no `connect()` without a keyring login should pay.

A backend is "real" when keyring picked one that stores something: not its fail backend (no
backend found), not the null one (configured to store nothing), not a chainer with nothing to
chain. PYTHON_KEYRING_BACKEND and keyring's config file choose it, as for every keyring user.

Every failure of a backend becomes a LoginStoreError naming the exception's type only: a
backend's message is not ours to vet.
"""

from __future__ import annotations

from typing import Any

from ._index import LoginStoreError

SERVICE = "runai-tokens login"


def problem() -> str | None:
    """Why the keyring cannot be used, or None when it has a real backend."""
    try:
        import keyring
        from keyring.backends import chainer, fail, null
    except ImportError:
        return "the keyring package is not installed (pip install 'runai-tokens[keyring]')"
    try:
        backend = keyring.get_keyring()
    except Exception as exc:  # a broken backend or configuration
        return f"the keyring could not be loaded ({type(exc).__name__})"
    if isinstance(backend, fail.Keyring | null.Keyring):
        return "the keyring package found no backend to store secrets in"
    if isinstance(backend, chainer.ChainerBackend) and not backend.backends:
        return "the keyring package found no backend to store secrets in"
    return None


def get(base_url: str) -> str | None:
    """What is stored for base_url, or None."""
    value = _call("read", lambda keyring: keyring.get_password(SERVICE, base_url))
    return value if isinstance(value, str) else None


def put(base_url: str, value: str) -> None:
    """Store value for base_url, replacing what was there."""
    _call("write", lambda keyring: keyring.set_password(SERVICE, base_url, value))


def delete(base_url: str) -> bool:
    """Remove base_url's value; whether there was one."""

    def remove(keyring: Any) -> bool:
        from keyring.errors import PasswordDeleteError

        try:
            keyring.delete_password(SERVICE, base_url)
        except PasswordDeleteError:
            return False
        return True

    result: bool = _call("delete from", remove)
    return result


def _call(what: str, action: Any) -> Any:
    why = problem()
    if why is not None:
        raise LoginStoreError(f"cannot {what} the OS keyring: {why}")
    import keyring

    try:
        return action(keyring)
    except LoginStoreError:
        raise
    except Exception as exc:
        raise LoginStoreError(f"the OS keyring failed ({type(exc).__name__})") from None
