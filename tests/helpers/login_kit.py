"""What the login tests share: an in-memory keyring backend, a login saved as `runai-token login`
would save it, and a scan for refresh tokens in files others can read."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError
from runai_tokens.login import LoginStore, StoredLogin
from runai_tokens.testing import FakeRunaiServer

CLIENT_ID = "runai-cli-fake"
SUBJECT = "alice@example.com"
# What decides which credentials a process finds (the chain), and where it sends them.
CREDENTIAL_VARIABLES = (
    "RUNAI_BASE_URL",
    "RUNAI_CLIENT_ID",
    "RUNAI_CLIENT_SECRET",
    "RUNAI_EXTERNAL_TOKEN",
)


def clear_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """No RUNAI_* credential or base URL in this test's environment."""
    for name in CREDENTIAL_VARIABLES:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A person's machine: a temporary HOME whose cache holds the logins, no RUNAI_* set."""
    clear_credentials(monkeypatch)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / ".cache"))
    monkeypatch.setenv("RUNAI_CLI_CONFIG_PATH", str(tmp_path / ".runai"))
    return tmp_path


class MemoryKeyring(KeyringBackend):
    """A real keyring backend (keyring's own base class) that keeps its secrets in a dict."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.secrets: dict[tuple[str, str], str] = {}
        self.calls = 0

    def get_password(self, service: str, username: str) -> str | None:
        self.calls += 1
        return self.secrets.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.calls += 1
        self.secrets[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.calls += 1
        if self.secrets.pop((service, username), None) is None:
            raise PasswordDeleteError("no such password")


class BrokenKeyring(MemoryKeyring):
    """A backend whose every call fails, with a message that must not reach ours."""

    def get_password(self, service: str, username: str) -> str | None:
        raise RuntimeError("backend detail fake-refresh-from-the-backend")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise RuntimeError(f"backend detail {password}")


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)


def log_in(
    server: FakeRunaiServer,
    store: LoginStore,
    *,
    subject: str = SUBJECT,
    client_id: str = CLIENT_ID,
) -> StoredLogin:
    """What `runai-token login` leaves behind: the server's refresh token, saved."""
    refresh_token = server.issue_refresh_token(subject, client_id=client_id)
    login = StoredLogin(server.url, client_id, refresh_token, subject)
    store.save(login)
    return login


def readable_by_others(root: Path) -> list[Path]:
    """Every regular file under root whose mode lets its group or other users read it (whether
    its directories would let them through is not asked: stricter)."""
    return [
        path
        for path in sorted(root.rglob("*"))
        if path.is_file()
        and not path.is_symlink()
        and path.stat().st_mode & (stat.S_IRGRP | stat.S_IROTH)
    ]


def files_holding(root: Path, secret: str) -> list[Path]:
    """Files under root whose content holds secret."""
    found = []
    for directory, _, names in os.walk(root):
        for name in names:
            file = Path(directory) / name
            if file.is_file() and not file.is_symlink() and secret.encode() in file.read_bytes():
                found.append(file)
    return found
