"""RunaiCliSession: the runai CLI v2's session on disk, used by TokenAuth over real HTTP."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from runai_tokens import LoginRequiredError, RunaiCliSession, TokenAuth
from runai_tokens.testing import FakeRunaiServer
from runai_tokens.testing._jwt import TEST_SIGNING_KEY, encode_jwt

from tests.helpers.runai_cli import jwt, write_session

NO_EXPIRY = encode_jwt({"sub": "x"}, TEST_SIGNING_KEY)
HUGE_EXPIRY = encode_jwt({"sub": "x", "exp": 10**400}, TEST_SIGNING_KEY)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_session_reaches_the_protected_endpoint(
    runai_server: FakeRunaiServer, tmp_path: Path
) -> None:
    token = runai_server.issue_access_token("alice@example.com")
    write_session(tmp_path, token, url=runai_server.url)
    session = RunaiCliSession(tmp_path)
    assert session.base_url() == runai_server.url
    auth = TokenAuth(runai_server.url, session)
    with httpx.Client(base_url=runai_server.url, auth=auth) as http:
        response = http.get(runai_server.PROTECTED_PATH)
    assert response.status_code == 200
    assert response.json()["sub"] == "alice@example.com"
    assert runai_server.token_requests == 0  # read, never granted


@pytest.mark.parametrize("padded", [True, False])
@pytest.mark.parametrize("subject", ["a", "ab", "abc", "abcd"])  # every padding length
def test_base64url_with_or_without_padding(tmp_path: Path, padded: bool, subject: str) -> None:
    token = jwt(3600, subject)
    write_session(tmp_path, token, padded=padded)
    assert RunaiCliSession(tmp_path).access_token()[0] == token


def test_a_bare_jwt_is_taken_too(tmp_path: Path) -> None:
    token = jwt(3600)
    (tmp_path / "authentication.json").write_text(json.dumps({"accessToken": token}))
    assert RunaiCliSession(tmp_path).access_token()[0] == token


def test_the_files_are_read_again_when_the_token_expires(
    runai_server: FakeRunaiServer, tmp_path: Path
) -> None:
    clock = Clock()
    first = runai_server.issue_access_token("alice")
    write_session(tmp_path, first)
    auth = TokenAuth(runai_server.url, RunaiCliSession(tmp_path), clock=clock)
    assert auth.get_token() == first
    second = runai_server.issue_access_token("alice")
    write_session(tmp_path, second)  # the runai CLI refreshed it
    assert auth.get_token() == first  # not read again while ours is good
    clock.now += runai_server.lifetime  # ours has expired
    assert auth.get_token() == second


def test_the_files_are_read_again_after_a_401(
    runai_server: FakeRunaiServer, tmp_path: Path
) -> None:
    write_session(tmp_path, runai_server.issue_access_token("alice"))
    auth = TokenAuth(runai_server.url, RunaiCliSession(tmp_path))
    with httpx.Client(base_url=runai_server.url, auth=auth) as http:
        assert http.get(runai_server.PROTECTED_PATH).status_code == 200
        runai_server.revoke_all()
        write_session(tmp_path, runai_server.issue_access_token("alice"))  # `runai login` again
        assert http.get(runai_server.PROTECTED_PATH).status_code == 200
    assert runai_server.token_requests == 0


def test_a_refused_session_says_run_runai_login(
    runai_server: FakeRunaiServer, tmp_path: Path
) -> None:
    token = runai_server.issue_access_token("alice")
    write_session(tmp_path, token)
    auth = TokenAuth(runai_server.url, RunaiCliSession(tmp_path))
    with httpx.Client(base_url=runai_server.url, auth=auth) as http:
        assert http.get(runai_server.PROTECTED_PATH).status_code == 200
        runai_server.revoke_all()
        with pytest.raises(LoginRequiredError, match=r"refused.*run `runai login`") as caught:
            http.get(runai_server.PROTECTED_PATH)
    assert token not in str(caught.value)


def test_an_expired_session_says_run_runai_login(tmp_path: Path) -> None:
    token = jwt(-60)
    write_session(tmp_path, token)
    auth = TokenAuth("http://127.0.0.1:9", RunaiCliSession(tmp_path))
    with pytest.raises(LoginRequiredError, match="expired; run `runai login`") as caught:
        auth.get_token()
    assert token not in str(caught.value)


def test_no_session_says_run_runai_login(tmp_path: Path) -> None:
    session = RunaiCliSession(tmp_path / "nothing-here")
    assert not session.exists()
    assert session.base_url() is None
    with pytest.raises(LoginRequiredError, match="no session; run `runai login`"):
        TokenAuth("http://127.0.0.1:9", session).get_token()


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"not json", "not the runai CLI's JSON"),
        (b"[1, 2]", "not the runai CLI's JSON"),
        (b"\xff\xfe", "not the runai CLI's JSON"),
        (b'{"accessToken": 42}', "holds no accessToken"),
        (b'{"accessToken": "  "}', "holds no accessToken"),
        (b'{"accessToken": "!!!not-base64!!!"}', "not a JWT"),
        (b'{"accessToken": "bm90IGEgand0"}', "not a JWT"),  # "not a jwt"
        (json.dumps({"accessToken": NO_EXPIRY}).encode(), "without an expiry"),
        (json.dumps({"accessToken": HUGE_EXPIRY}).encode(), "without an expiry"),
        (b'{"accessToken": "YQpi"}', "not a JWT"),  # "a\nb": no header value
    ],
)
def test_bad_files_are_a_typed_error(tmp_path: Path, content: bytes, problem: str) -> None:
    (tmp_path / "authentication.json").write_bytes(content)
    with pytest.raises(LoginRequiredError, match=problem):
        RunaiCliSession(tmp_path).access_token()


@pytest.mark.parametrize(
    "config",
    [b"{}", b'{"control_plane": "x"}', b'{"control_plane": {"url": 7}}', b'{"control_plane": {}}'],
)
def test_a_config_without_a_url_gives_none(tmp_path: Path, config: bytes) -> None:
    (tmp_path / "config.json").write_bytes(config)
    assert RunaiCliSession(tmp_path).base_url() is None


def test_where_the_session_is_looked_for(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RUNAI_CLI_CONFIG_PATH", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert RunaiCliSession().config_dir == tmp_path / ".runai"
    assert RunaiCliSession.from_env({"HOME": "/h"}).config_dir == Path("/h/.runai")
    monkeypatch.setenv("RUNAI_CLI_CONFIG_PATH", str(tmp_path / "elsewhere"))
    assert RunaiCliSession().config_dir == tmp_path / "elsewhere"
    assert RunaiCliSession(tmp_path / "given").config_dir == tmp_path / "given"


def test_the_token_stays_out_of_repr(tmp_path: Path) -> None:
    token = jwt(3600)
    write_session(tmp_path, token)
    session = RunaiCliSession(tmp_path)
    auth = TokenAuth("http://127.0.0.1:9", session)
    assert auth.get_token() == token
    assert token not in repr(session) + repr(auth)
