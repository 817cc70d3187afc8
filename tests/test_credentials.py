"""The credential classes: the wire keys each grant sends, secrets kept out of repr, from_env."""

from __future__ import annotations

import os

import pytest
from runai_tokens._generated import GrantType
from runai_tokens._value import FrozenInstanceError
from runai_tokens.credentials import (
    AppCredentials,
    ClientCredentials,
    Credentials,
    MissingCredentialsError,
    PasswordCredentials,
    RefreshTokenCredentials,
    StaticToken,
)

SECRET = "fake-secret-do-not-print-42"


@pytest.mark.parametrize(
    ("credentials", "expected"),
    [
        (
            ClientCredentials("fake-client", SECRET),
            {"grantType": "client_credentials", "clientID": "fake-client", "clientSecret": SECRET},
        ),
        (
            AppCredentials("fake-app", SECRET),
            {"grantType": "app_token", "appID": "fake-app", "appSecret": SECRET},
        ),
        (
            PasswordCredentials("fake-user", SECRET),
            {"grantType": "password", "username": "fake-user", "password": SECRET},
        ),
        (
            RefreshTokenCredentials(SECRET),
            {"grantType": "refresh_token", "refreshToken": SECRET},
        ),
        (
            RefreshTokenCredentials(SECRET, client_id="fake-client"),
            {"grantType": "refresh_token", "refreshToken": SECRET, "clientID": "fake-client"},
        ),
    ],
)
def test_each_grant_sends_exactly_its_keys(
    credentials: ClientCredentials | AppCredentials | PasswordCredentials | RefreshTokenCredentials,
    expected: dict[str, str],
) -> None:
    request = credentials.token_request()
    assert isinstance(request.grant_type, GrantType)
    assert request.to_dict() == expected


@pytest.mark.parametrize(
    "credentials",
    [
        ClientCredentials("fake-client", SECRET),
        AppCredentials("fake-app", SECRET),
        PasswordCredentials("fake-user", SECRET),
        RefreshTokenCredentials(SECRET, client_id="fake-client"),
        StaticToken(SECRET),
    ],
)
def test_repr_and_str_hide_the_secret_and_objects_are_frozen(credentials: Credentials) -> None:
    assert SECRET not in repr(credentials)
    assert SECRET not in str(credentials)
    assert type(credentials).__name__ in repr(credentials)
    field = credentials._fields[0]
    with pytest.raises(FrozenInstanceError):
        setattr(credentials, field, "changed")
    with pytest.raises(AttributeError):  # FrozenInstanceError is one
        delattr(credentials, field)


def test_repr_shows_the_identifier() -> None:
    assert "fake-client" in repr(ClientCredentials("fake-client", SECRET))
    assert "fake-user" in repr(PasswordCredentials("fake-user", SECRET))


def test_from_env_reads_both_variables() -> None:
    env = {"RUNAI_CLIENT_ID": "fake-client", "RUNAI_CLIENT_SECRET": SECRET}
    assert ClientCredentials.from_env(env) == ClientCredentials("fake-client", SECRET)


def test_from_env_defaults_to_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUNAI_CLIENT_ID", "fake-client-from-os")
    monkeypatch.setenv("RUNAI_CLIENT_SECRET", SECRET)
    assert ClientCredentials.from_env().client_id == "fake-client-from-os"
    assert os.environ["RUNAI_CLIENT_ID"] == "fake-client-from-os"


@pytest.mark.parametrize(
    ("env", "missing"),
    [
        ({"RUNAI_CLIENT_SECRET": SECRET}, "RUNAI_CLIENT_ID"),
        ({"RUNAI_CLIENT_ID": "fake-client"}, "RUNAI_CLIENT_SECRET"),
        ({"RUNAI_CLIENT_ID": "fake-client", "RUNAI_CLIENT_SECRET": "  "}, "RUNAI_CLIENT_SECRET"),
        ({"RUNAI_CLIENT_ID": "", "RUNAI_CLIENT_SECRET": SECRET}, "RUNAI_CLIENT_ID"),
    ],
)
def test_from_env_names_the_missing_variable_never_a_value(
    env: dict[str, str], missing: str
) -> None:
    with pytest.raises(MissingCredentialsError) as caught:
        ClientCredentials.from_env(env)
    assert caught.value.variable == missing
    assert missing in str(caught.value)
    assert SECRET not in str(caught.value)
    assert isinstance(caught.value, ValueError)
