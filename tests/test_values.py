"""The immutable value classes (runai_tokens._value.Value): what they kept from attrs.

Equality and hashing over the fields, secrets out of repr, assignment refused, replace() through
the constructor's checks, and pickling and copying without calling the constructor.
"""

from __future__ import annotations

import copy
import datetime
import pickle
from pathlib import Path

import pytest
from runai_tokens import AccessToken, LoginSession, RunaiCliSession
from runai_tokens._value import FrozenInstanceError, Value
from runai_tokens.credentials import (
    AppCredentials,
    ClientCredentials,
    ExternalTokenCredentials,
    PasswordCredentials,
    RefreshTokenCredentials,
    StaticToken,
)
from runai_tokens.login import StoredLogin, open_store
from runai_tokens.retry import Clock, RetryPolicy

SECRET = "fake-secret-values-7f3a"

VALUES = [
    ClientCredentials("fake-client", SECRET),
    AppCredentials("fake-app", SECRET),
    PasswordCredentials("fake-user", SECRET, client_id="fake-client"),
    RefreshTokenCredentials(SECRET, "fake-client"),
    ExternalTokenCredentials(SECRET),
    StaticToken(SECRET),
    RunaiCliSession("runai-cli-config"),
    StoredLogin("https://tenant.example/", "fake-client", SECRET, "alice"),
    AccessToken(SECRET, datetime.datetime(2030, 1, 1, tzinfo=datetime.UTC)),
    RetryPolicy(max_attempts=5, statuses=[503]),
]
# Not among those pickled: unpickling its random (a bound method) makes another Random.
CLOCK = Clock()


@pytest.mark.parametrize("value", VALUES, ids=lambda v: type(v).__name__)
def test_pickling_and_copying_give_an_equal_value(value: Value) -> None:
    unpickled = pickle.loads(pickle.dumps(value))  # noqa: S301 - bytes made just above
    for twin in (unpickled, copy.copy(value), copy.deepcopy(value)):
        assert type(twin) is type(value)
        assert twin == value
        assert hash(twin) == hash(value)
        assert SECRET not in repr(twin)


@pytest.mark.parametrize("value", [*VALUES, CLOCK], ids=lambda v: type(v).__name__)
def test_every_field_is_read_only(value: Value) -> None:
    for name in value._fields:
        with pytest.raises(FrozenInstanceError, match="immutable"):
            setattr(value, name, "changed")
        with pytest.raises(AttributeError):
            delattr(value, name)
    with pytest.raises(AttributeError):  # slots: no new attributes either
        value.extra = 1
    assert not hasattr(value, "__dict__")


def test_equality_and_hash_are_over_the_fields_and_the_class() -> None:
    one = ClientCredentials("fake-client", SECRET)
    assert one == ClientCredentials("fake-client", SECRET)
    assert one != ClientCredentials("fake-client", SECRET + "-other")
    assert one != AppCredentials("fake-client", SECRET)  # same values, another class
    assert len({one, ClientCredentials("fake-client", SECRET), StaticToken(SECRET)}) == 2


def test_repr_names_every_field_but_the_secrets() -> None:
    assert repr(PasswordCredentials("fake-user", SECRET)) == (
        "PasswordCredentials(username='fake-user', client_id=None)"
    )
    assert repr(StaticToken(SECRET)) == "StaticToken()"
    stored = StoredLogin("https://tenant.example", "fake-client", SECRET)
    assert repr(stored) == (
        "StoredLogin(base_url='https://tenant.example', client_id='fake-client', subject=None)"
    )
    assert str(stored) == repr(stored)


def test_replace_makes_a_checked_copy() -> None:
    policy = RetryPolicy(deadline=10)
    roomy = policy.replace(deadline=30)
    assert (roomy.deadline, roomy.max_attempts, policy.deadline) == (30.0, 3, 10.0)
    with pytest.raises(ValueError, match="max_attempts must be at least 1"):
        policy.replace(max_attempts=0)
    with pytest.raises(TypeError):
        policy.replace(no_such_field=1)
    stored = StoredLogin("https://tenant.example", "fake-client", "fake-refresh-1")
    rotated = stored.replace(refresh_token=SECRET)
    assert (rotated.refresh_token, rotated.base_url) == (SECRET, stored.base_url)
    with pytest.raises(ValueError, match="refresh_token must be a non-empty str"):
        stored.replace(refresh_token=" ")


def test_a_login_session_compares_by_base_url_and_replace_keeps_its_store(tmp_path: Path) -> None:
    store = open_store("file", cache_dir=tmp_path)
    session = LoginSession("https://tenant.example/", store=store)
    assert session == LoginSession("https://tenant.example", store=open_store("none"))
    assert hash(session) == hash(LoginSession("https://tenant.example", store=open_store("none")))
    other = session.replace(base_url="https://other.example")
    assert other.store is store
    assert other.base_url() == "https://other.example"
    assert repr(other) == "LoginSession(base_url='https://other.example')"
