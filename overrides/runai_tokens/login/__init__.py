"""A person's `runai-token login`: where it is kept (open_store) and how it is used (LoginSession).

    from runai_tokens.login import StoredLogin, open_store
    store = open_store()                      # "auto": the OS keyring if usable, else a 0600 file
    store.save(StoredLogin(base_url, client_id, refresh_token, subject="alice"))
    store.load()                              # the most recent login; store.load(url) for one
    store.delete(url)                         # what `runai-token logout` does

The browser flow of `runai-token login` (OpenID discovery, PKCE, the loopback redirect listener,
the code exchange) is in _discovery, _pkce, _callback, _listener, _exchange and _browser_flow.

The names load on first use, like the package's own: the CLI's warm path reads the login index
(_index, standard library only) through this package without importing attrs.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

_EXPORTS: dict[str, str] = {
    "LoginSession": "_session",
    "LoginStore": "_store",
    "LoginStoreError": "_index",
    "RefreshLockTimeout": "_refresh_lock",
    "STORE_CHOICES": "_store",
    "StoredAccess": "_store",
    "StoredLogin": "_store",
    "open_store": "_store",
}

__all__ = [
    "STORE_CHOICES",
    "LoginSession",
    "LoginStore",
    "LoginStoreError",
    "RefreshLockTimeout",
    "StoredAccess",
    "StoredLogin",
    "open_store",
]

if TYPE_CHECKING:
    from typing import Any

    from ._index import LoginStoreError
    from ._refresh_lock import RefreshLockTimeout
    from ._session import LoginSession
    from ._store import STORE_CHOICES, LoginStore, StoredAccess, StoredLogin, open_store


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
