"""Logins against a real OpenID provider: panva's oidc-provider, set up like Run:ai's Keycloak
realm, behind a small control plane (tests/helpers/oidc/).

The fake server's identity provider is the project's own reading of the RFCs; this one is an
independent, OpenID-Certified implementation, so a bug that only a real provider shows fails here
first. The realm (tests/helpers/oidc/provider.mjs): a public client, PKCE required, refresh tokens
that rotate with reuse detection, refresh tokens only for offline_access with prompt=consent, a
revocation endpoint, and the RFC 9207 iss parameter on the redirect.

The first group drives the provider through the library's own pieces (discovery, the code
exchange, grants) and shows that the realm is what it claims to be. The second runs
`runai-token login`, `get` and `logout` as processes, with tests/helpers/oidc/browser.py as $BROWSER
walking the provider's own login and consent pages.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import attrs
import httpx
import pytest
from runai_tokens import RefreshTokenCredentials, TokenAuth
from runai_tokens.auth._grant import Granted, Grants, TokenEndpoint
from runai_tokens.errors import ApiException
from runai_tokens.login import LoginSession, StoredLogin, open_store
from runai_tokens.login._discovery import default_issuer, discover
from runai_tokens.login._exchange import AuthorizationCode, exchange
from runai_tokens.login._pkce import METHOD, Pkce, new_state

from tests.helpers.clock import FakeClock
from tests.helpers.node import free_port
from tests.helpers.oidc import provider
from tests.helpers.oidc.browser import LOGIN, walk
from tests.helpers.oidc.control_plane import ControlPlane, TokenRequest
from tests.helpers.versions import REPO

CLIENT_ID = "runai"  # the CLI's default client, public, PKCE required
PKCE_OPTIONAL = "runai-pkce-optional"  # the same client with PKCE optional
OFFLINE = "openid offline_access"
ACCESS_TOKEN_TTL = 300  # provider.mjs
CLOCK_TOLERANCE = 15  # oidc-provider's default clockTolerance


@attrs.frozen
class Realm:
    control_plane: ControlPlane
    provider: provider.ProviderProcess

    @property
    def url(self) -> str:
        return self.control_plane.url

    def grants(self, endpoint: TokenEndpoint = "auto") -> Grants:
        return Grants(self.url, transport=httpx.HTTPTransport, timeout=30.0, endpoint=endpoint)

    def userinfo(self, access_token: str) -> httpx.Response:
        """The provider's userinfo answer for access_token: 200 only for a live token."""
        return httpx.get(
            f"{self.control_plane.issuer}/me",
            headers={"Authorization": f"Bearer {access_token}"},
            timeout=30.0,
            trust_env=False,
        )

    def revoked_grants(self) -> int:
        return sum(1 for event in self.provider.events() if event["kind"] == "grant.revoked")


@pytest.fixture(scope="module")
def realm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Realm]:
    provider.require()
    control_plane = ControlPlane().start()
    log = tmp_path_factory.mktemp("oidc-provider") / "provider.log"
    process = provider.launch(control_plane.issuer, log)
    control_plane.provider_url = process.url
    try:
        try:
            provider.wait_until_ready(process)
        except provider.ProviderStartError as error:
            pytest.fail(str(error), pytrace=False)
        yield Realm(control_plane, process)
    finally:
        provider.stop(process)
        control_plane.close()


@pytest.fixture
def idp(realm: Realm) -> Iterator[Realm]:
    """The realm, its control plane a 2.24 one (with /api/v2/token) again after each test."""
    realm.control_plane.v2 = True
    try:
        yield realm
    finally:
        realm.control_plane.v2 = True


# --- the library's pieces against the provider -------------------------------------------------


def authorization_url(
    realm: Realm,
    pkce: Pkce | None,
    state: str,
    *,
    scope: str = OFFLINE,
    client_id: str = CLIENT_ID,
    consent: bool = True,
) -> tuple[str, str]:
    """An authorization request as a login would make it, and its redirect URI (nothing
    listens there: walk() stops at the redirect)."""
    redirect_uri = f"http://127.0.0.1:{free_port()}/callback"
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": scope,
        "state": state,
        **({"prompt": "consent"} if consent else {}),
        **({"code_challenge": pkce.challenge, "code_challenge_method": METHOD} if pkce else {}),
    }
    return f"{realm.control_plane.issuer}/auth?{urlencode(params)}", redirect_uri


def code_flow(realm: Realm, *, scope: str = OFFLINE, consent: bool = True) -> Granted:
    """A whole login through the library's exchange, the browser walked by the test."""
    pkce, state = Pkce.new(), new_state()
    url, redirect_uri = authorization_url(realm, pkce, state, scope=scope, consent=consent)
    visit = walk(url, follow_redirect=False)
    assert visit.params.get("state") == state, visit.params.get("error")
    grants = realm.grants()
    try:
        return exchange(
            grants, AuthorizationCode(visit.params["code"], redirect_uri, CLIENT_ID, pkce.verifier)
        )
    finally:
        grants.close()


def refresh(realm: Realm, refresh_token: str, endpoint: TokenEndpoint = "auto") -> Granted:
    grants = realm.grants(endpoint)
    try:
        return grants.grant(RefreshTokenCredentials(refresh_token, CLIENT_ID))
    finally:
        grants.close()


def test_discovery_through_the_control_plane_finds_the_realm(idp: Realm) -> None:
    with httpx.Client(trust_env=False, timeout=30.0) as http:
        found = discover(default_issuer(idp.url), http)
        document = http.get(f"{idp.control_plane.issuer}/.well-known/openid-configuration").json()
    assert found.issuer == idp.control_plane.issuer
    assert found.authorization_endpoint == f"{idp.control_plane.issuer}/auth"
    # What the library is expected to use: the iss parameter, revocation, S256, public clients.
    assert document["authorization_response_iss_parameter_supported"] is True
    assert document["revocation_endpoint"] == f"{idp.control_plane.issuer}/token/revocation"
    assert document["code_challenge_methods_supported"] == ["S256"]
    assert "none" in document["token_endpoint_auth_methods_supported"]
    assert "offline_access" in document["scopes_supported"]


def test_a_code_flow_through_the_provider_s_own_pages(idp: Realm) -> None:
    pkce, state = Pkce.new(), new_state()
    url, redirect_uri = authorization_url(idp, pkce, state)
    visit = walk(url, follow_redirect=False)
    assert visit.pages == ("login", "consent")
    assert visit.params["state"] == state
    assert visit.params["iss"] == idp.control_plane.issuer  # RFC 9207
    grants = idp.grants()
    try:
        granted = exchange(
            grants, AuthorizationCode(visit.params["code"], redirect_uri, CLIENT_ID, pkce.verifier)
        )
    finally:
        grants.close()
    assert granted.refresh_token and granted.expires_in == ACCESS_TOKEN_TTL
    assert idp.userinfo(granted.access_token).json()["sub"] == LOGIN
    [code_grant] = idp.control_plane.token_requests()[-1:]
    assert (code_grant.endpoint, code_grant.grant_type, code_grant.status) == (
        "v2",
        "authorization_code",
        200,
    )


def test_the_provider_requires_pkce_and_checks_the_verifier(idp: Realm) -> None:
    # No challenge: the provider refuses the authorization request itself.
    url, _ = authorization_url(idp, None, new_state())
    refused = walk(url, follow_redirect=False)
    assert refused.params["error"] == "invalid_request"
    assert "PKCE" in refused.params["error_description"]
    # A challenge, and a code exchanged without its verifier (v1 carries none): refused.
    pkce, state = Pkce.new(), new_state()
    url, redirect_uri = authorization_url(idp, pkce, state)
    visit = walk(url, follow_redirect=False)
    grants = idp.grants("v1")
    try:
        with pytest.raises(ApiException) as raised:
            exchange(
                grants,
                AuthorizationCode(visit.params["code"], redirect_uri, CLIENT_ID, pkce.verifier),
            )
    finally:
        grants.close()
    assert raised.value.status == 400
    assert "invalid_grant" in str(raised.value)


def test_a_client_with_pkce_optional_logs_in_through_v1_without_a_challenge(idp: Realm) -> None:
    """What a 2.18 to 2.23 control plane can do: no challenge, and a v1 exchange."""
    state = new_state()
    url, redirect_uri = authorization_url(idp, None, state, client_id=PKCE_OPTIONAL)
    visit = walk(url, follow_redirect=False)
    assert visit.params["state"] == state
    grants = idp.grants("v1")
    try:
        granted = exchange(
            grants,
            AuthorizationCode(visit.params["code"], redirect_uri, PKCE_OPTIONAL, "unused"),
        )
    finally:
        grants.close()
    assert granted.refresh_token is not None
    assert idp.userinfo(granted.access_token).json()["sub"] == LOGIN


def test_refresh_tokens_come_only_with_offline_access_and_prompt_consent(idp: Realm) -> None:
    assert code_flow(idp, scope="openid").refresh_token is None
    assert code_flow(idp, scope=OFFLINE, consent=False).refresh_token is None
    assert code_flow(idp, scope=OFFLINE).refresh_token is not None


def test_a_reused_refresh_token_revokes_the_whole_grant(idp: Realm) -> None:
    first = code_flow(idp)
    assert first.refresh_token is not None
    second = refresh(idp, first.refresh_token)
    assert second.refresh_token not in (None, first.refresh_token)  # rotated
    assert idp.userinfo(second.access_token).status_code == 200
    revoked = idp.revoked_grants()
    with pytest.raises(ApiException) as reused:
        refresh(idp, first.refresh_token)
    assert "invalid_grant" in str(reused.value)
    # Reuse detection: the rotated token, and the access token, die with the grant.
    assert idp.revoked_grants() == revoked + 1
    assert second.refresh_token is not None
    with pytest.raises(ApiException):
        refresh(idp, second.refresh_token)
    assert idp.userinfo(second.access_token).status_code == 401


def test_refresh_through_a_v1_control_plane(idp: Realm) -> None:
    first = code_flow(idp)
    assert first.refresh_token is not None
    idp.control_plane.v2 = False
    second = refresh(idp, first.refresh_token)  # "auto": v2 answers 404, so v1
    assert second.refresh_token not in (None, first.refresh_token)
    assert idp.userinfo(second.access_token).status_code == 200
    assert idp.control_plane.token_requests()[-1].endpoint == "v1"


def test_the_revocation_endpoint_ends_a_refresh_token(idp: Realm) -> None:
    granted = code_flow(idp)
    assert granted.refresh_token is not None
    answer = revoke(idp, granted.refresh_token)
    assert answer.status_code == 200
    with pytest.raises(ApiException) as refused:
        refresh(idp, granted.refresh_token)
    assert "invalid_grant" in str(refused.value)


def revoke(realm: Realm, token: str) -> httpx.Response:
    """RFC 7009, as a public client revokes."""
    return httpx.post(
        f"{realm.control_plane.issuer}/token/revocation",
        data={"token": token, "token_type_hint": "refresh_token", "client_id": CLIENT_ID},
        timeout=30.0,
        trust_env=False,
    )


def test_the_provider_s_clock_expires_access_tokens(idp: Realm) -> None:
    granted = code_flow(idp)
    assert idp.userinfo(granted.access_token).status_code == 200
    idp.provider.advance_clock(ACCESS_TOKEN_TTL + CLOCK_TOLERANCE + 1)
    assert idp.userinfo(granted.access_token).status_code == 401
    assert granted.refresh_token is not None
    assert idp.userinfo(refresh(idp, granted.refresh_token).access_token).status_code == 200


# --- runai-token login, get and logout as processes -----------------------------------------

BROWSER = """\
#!{python}
import sys
sys.path.insert(0, {repo!r})
from tests.helpers.oidc.browser import main
sys.exit(main(sys.argv[1:]))
"""


@attrs.frozen
class Person:
    """Someone at a terminal: their environment, their browser, and their cache directory."""

    home: Path
    realm: Realm

    @property
    def cache_dir(self) -> Path:
        return self.home / "cache" / "runai-tokens"

    @property
    def result(self) -> Path:
        return self.home / "browser-result.json"

    def env(self, **extra: str) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("RUNAI_", "KUBERNETES_", "OIDC_"))
            and k not in ("XDG_CACHE_HOME", "BROWSER")
        }
        browser = self.home / "browser"
        if not browser.exists():
            browser.write_text(BROWSER.format(python=sys.executable, repo=str(REPO)))
            browser.chmod(0o700)
        env.update(
            RUNAI_BASE_URL=self.realm.url,
            HOME=str(self.home),
            XDG_CACHE_HOME=str(self.home / "cache"),
            RUNAI_CLI_CONFIG_PATH=str(self.home / "no-runai-cli"),
            BROWSER=str(browser),
            OIDC_TEST_RESULT=str(self.result),
            OIDC_TEST_LOGIN=LOGIN,
            **extra,
        )
        return env

    def run(self, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "runai_tokens", *args],
            env=self.env(**extra),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def login(self, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        """`runai-token login`, asking for offline_access as this realm needs."""
        extra = {"RUNAI_LOGIN_SCOPE": OFFLINE, **extra}
        return self.run("login", "--timeout", "60", *args, **extra)

    def browser(self) -> dict[str, object]:
        """What the browser went through, and what the listener answered it."""
        found: dict[str, object] = json.loads(self.result.read_text())
        return found

    def stored(self) -> StoredLogin | None:
        return open_store("file", cache_dir=self.cache_dir).load(self.realm.url)

    def get(self, *args: str) -> subprocess.CompletedProcess[str]:
        return self.run("get", *args)


@pytest.fixture
def person(tmp_path: Path, idp: Realm) -> Person:
    (tmp_path / "home").mkdir()
    return Person(tmp_path / "home", idp)


def says_logged_in(browser: dict[str, object]) -> bool:
    """Whether the listener told the browser that the login worked."""
    page = str(browser.get("page", ""))
    return "logged in" in page and "not logged in" not in page and "fail" not in page.lower()


def last_line(text: str) -> str:
    lines = text.strip().splitlines()
    return lines[-1] if lines else ""


def said(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit {result.returncode}\nstdout: {result.stdout}\nstderr: {result.stderr}"


def logged_in(person: Person) -> StoredLogin:
    """A person who has logged in with `runai-token login`, the session in the file store."""
    result = person.login("--store", "file")
    assert result.returncode == 0, said(result)
    stored = person.stored()
    assert stored is not None
    return stored


def seeded(person: Person) -> StoredLogin:
    """The session `runai-token login` keeps, made through the library's own code flow (the
    browser walked by the test) and saved where the login saves it. Tests of what comes after a
    login start here, so each shows its own bug, not the login's."""
    granted = code_flow(person.realm)
    assert granted.refresh_token is not None
    login = StoredLogin(person.realm.url, CLIENT_ID, granted.refresh_token, LOGIN)
    open_store("file", cache_dir=person.cache_dir).save(login)
    return login


def test_login_walks_the_provider_s_pages_and_exchanges_the_code(person: Person) -> None:
    # --store none: a login that needs no refresh token, so the default scope is enough.
    result = person.run("login", "--store", "none", "--timeout", "60")
    assert result.returncode == 0, said(result)
    assert "not stored" in result.stdout
    browser = person.browser()
    assert browser["pages"] == ["login", "consent"], browser
    assert browser["iss"] == person.realm.control_plane.issuer
    assert browser["status"] == 200 and says_logged_in(browser)
    code_grant = code_grants(person.realm)[-1]
    assert (code_grant.endpoint, code_grant.grant_type, code_grant.status) == (
        "v2",
        "authorization_code",
        200,
    )
    assert "eyJ" not in result.stdout + result.stderr


def test_cancelling_at_the_provider_ends_the_login(person: Person) -> None:
    result = person.login("--store", "file", OIDC_TEST_ACTION="cancel")
    assert result.returncode == 3, said(result)
    assert "access_denied" in result.stderr
    assert person.stored() is None
    browser = person.browser()
    assert browser["error"] == "access_denied"
    assert not says_logged_in(browser)


def test_login_keeps_a_session_that_get_uses(person: Person) -> None:
    """The realm issues refresh tokens only for offline_access, which RUNAI_LOGIN_SCOPE asks
    for: the login keeps a session, and `get` trades it for a token the provider accepts."""
    result = person.login("--store", "file")
    assert result.returncode == 0, said(result)
    assert person.stored() is not None
    assert says_logged_in(person.browser())
    got = person.get()
    assert got.returncode == 0, said(got)
    assert person.realm.userinfo(got.stdout.strip()).json()["sub"] == LOGIN


def test_login_names_the_subject_of_the_id_token(person: Person) -> None:
    """The provider's access tokens are opaque: the subject printed is the id_token's."""
    result = person.run("login", "--store", "none", "--timeout", "60")
    assert result.returncode == 0, said(result)
    assert f"as {LOGIN}" in result.stdout


def test_the_first_get_after_login_needs_no_refresh(person: Person) -> None:
    """The login's access token is kept in the token cache: the first get rotates nothing."""
    logged_in(person)
    before = len(person.realm.control_plane.refreshes())
    got = person.get()
    assert got.returncode == 0, said(got)
    assert person.realm.userinfo(got.stdout.strip()).status_code == 200
    assert len(person.realm.control_plane.refreshes()) == before


def test_refresh_after_expiry_rotates_and_keeps_the_session(person: Person) -> None:
    first = seeded(person)
    clock = FakeClock()
    store = open_store("file", cache_dir=person.cache_dir)
    auth = TokenAuth(person.realm.url, LoginSession(store=store), clock=clock)
    try:
        token = auth.get_token()
        assert person.realm.userinfo(token).status_code == 200
        rotated = person.stored()
        assert rotated is not None and rotated.refresh_token != first.refresh_token
        # The token's lifetime passes, for the provider and for the library alike.
        person.realm.provider.advance_clock(ACCESS_TOKEN_TTL + CLOCK_TOLERANCE + 1)
        clock.advance(ACCESS_TOKEN_TTL + 1)
        assert person.realm.userinfo(token).status_code == 401
        refreshes = len(person.realm.control_plane.refreshes())
        renewed = auth.get_token()
    finally:
        auth.close()
    assert renewed != token
    assert person.realm.userinfo(renewed).status_code == 200
    assert len(person.realm.control_plane.refreshes()) == refreshes + 1
    again = person.stored()
    assert again is not None and again.refresh_token not in (
        first.refresh_token,
        rotated.refresh_token,
    )
    # Another process takes up the session where the library left it.
    got = person.get("--no-cache")
    assert got.returncode == 0, said(got)
    assert person.realm.userinfo(got.stdout.strip()).status_code == 200


def test_concurrent_refreshes_make_one_refresh_and_keep_the_session(person: Person) -> None:
    """Two `get --no-cache` processes, four threads on one TokenAuth and a second TokenAuth
    refresh one login at once. The provider rotates refresh tokens and revokes the grant when
    one is reused, so a second refresh with the same token would end the session: exactly one
    refresh reaches it, every caller gets a token, and the session lives on."""
    seeded(person)
    realm = person.realm
    before = len(realm.control_plane.refreshes())
    revoked = realm.revoked_grants()
    store = open_store("file", cache_dir=person.cache_dir)
    auths = [TokenAuth(realm.url, LoginSession(store=store)) for _ in range(2)]
    tokens: list[str] = []
    failures: list[str] = []

    def take(auth: TokenAuth) -> None:
        try:
            tokens.append(auth.get_token())
        except Exception as exc:
            failures.append(f"{type(exc).__name__}: {exc}")

    with realm.control_plane.hold_refreshes(count=2, timeout=3.0):
        processes = [
            subprocess.Popen(
                [sys.executable, "-m", "runai_tokens", "get", "--no-cache"],
                env=person.env(),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        threads = [
            threading.Thread(target=take, args=(auth,))
            for auth in (auths[0], auths[0], auths[0], auths[0], auths[1])
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        outputs = [process.communicate(timeout=120) for process in processes]
    for auth in auths:
        auth.close()
    for process, (stdout, stderr) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, f"exit {process.returncode}: {stderr}"
        tokens.append(stdout.strip())
    assert not failures, failures
    assert len(tokens) == 7
    refreshes = realm.control_plane.refreshes()[before:]
    assert [r.status for r in refreshes] == [200], refreshes
    assert realm.revoked_grants() == revoked
    # The session lives on: the stored refresh token still works.
    got = person.get("--no-cache")
    assert got.returncode == 0, said(got)
    assert realm.userinfo(got.stdout.strip()).status_code == 200


def test_logout_revokes_the_refresh_token_at_the_provider(person: Person) -> None:
    """The provider advertises a revocation endpoint: logout revokes the refresh token there,
    and says so."""
    stored = seeded(person)
    result = person.run("logout")
    assert result.returncode == 0, said(result)
    assert "revok" in result.stdout.lower(), said(result)
    assert person.stored() is None
    with pytest.raises(ApiException) as refused:
        refresh(person.realm, stored.refresh_token)
    assert "invalid_grant" in str(refused.value)


def test_login_through_a_control_plane_without_v2(person: Person) -> None:
    """On 2.18 to 2.23 the code goes through v1, which carries no verifier: with a client whose
    PKCE is optional the login works, since no challenge is sent that v1 could not answer."""
    person.realm.control_plane.v2 = False
    result = person.login("--store", "none", RUNAI_LOGIN_CLIENT_ID=PKCE_OPTIONAL)
    assert result.returncode == 0, said(result)
    assert code_grants(person.realm)[-1].endpoint == "v1"
    assert says_logged_in(person.browser())


def test_a_v1_control_plane_and_a_client_that_requires_pkce_say_why(person: Person) -> None:
    """PKCE required and no verifier possible: the login fails, the terminal says why, and the
    browser is not told it worked."""
    person.realm.control_plane.v2 = False
    result = person.login("--store", "file")
    assert result.returncode != 0, said(result)
    assert "verifier" in last_line(result.stderr), said(result)
    assert person.stored() is None
    assert not says_logged_in(person.browser())


def test_a_redirect_whose_iss_is_not_the_issuer_ends_the_login(person: Person) -> None:
    """The provider advertises RFC 9207's iss: a redirect naming another issuer is refused and
    its code never exchanged (a mix-up attack)."""
    codes = len(code_grants(person.realm))
    result = person.run(
        "login", "--store", "none", "--timeout", "60", OIDC_TEST_ACTION="tamper-iss"
    )
    assert result.returncode == 3, said(result)
    assert re.search(r"\biss\b|issuer", last_line(result.stderr)), said(result)
    assert len(code_grants(person.realm)) == codes


def code_grants(realm: Realm) -> list[TokenRequest]:
    """The code exchanges the control plane passed on (not a probe of /api/v2/token)."""
    return [
        found
        for found in realm.control_plane.token_requests()
        if found.grant_type == "authorization_code" and found.with_code
    ]
