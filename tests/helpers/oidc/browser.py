"""A scripted browser: it walks the provider's own login and consent pages as a person would.

walk(url) fetches the authorization URL with a cookie jar, follows redirects, fills and submits
the HTML forms it is shown (devInteractions' login form: a name and a password; its consent
form: Continue), or follows the page's Cancel link, until the provider sends it back to the
authorization request's redirect_uri. It then fetches that address, as a browser would, and
keeps what the loopback listener answered.

As $BROWSER for `runai-token login`, `python -m tests.helpers.oidc.browser URL` does the same and
writes what happened as JSON to $OIDC_TEST_RESULT. $OIDC_TEST_LOGIN is the name typed into the
login form; $OIDC_TEST_ACTION is "consent" (the default), "cancel" (the person cancels at the
login page) or "tamper-iss" (the redirect's iss is replaced before it reaches the listener, as
a mix-up attack would).
"""

from __future__ import annotations

import json
import os
import sys
from html.parser import HTMLParser
from typing import Literal
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import attrs
import httpx

Action = Literal["consent", "cancel", "tamper-iss"]
_ACTIONS: dict[str, Action] = {"consent": "consent", "cancel": "cancel", "tamper-iss": "tamper-iss"}
LOGIN = "alice@example.com"
_MAX_STEPS = 20


@attrs.frozen
class Form:
    action: str
    method: str
    fields: dict[str, str]


class _Page(HTMLParser):
    """The forms and links of one HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.forms.append(Form(found.get("action", ""), found.get("method", "get"), {}))
        elif tag == "input" and self.forms and "name" in found:
            self.forms[-1].fields[found["name"]] = found.get("value", "")
        elif tag == "a" and "href" in found:
            self.links.append(found["href"])


@attrs.frozen
class Visit:
    """Where the provider sent the browser back, and what the listener answered there."""

    redirect: str  # the redirect_uri with code, state and iss (or error) as the provider sent it
    params: dict[str, str]  # its query
    pages: tuple[str, ...]  # the provider's pages the person went through: "login", "consent"
    status: int | None = None  # the listener's answer, when the redirect was followed
    page: str = ""


class BrowserError(Exception):
    """The provider's pages did not lead back to the redirect URI."""


def walk(
    url: str,
    *,
    login: str = LOGIN,
    action: Action = "consent",
    follow_redirect: bool = True,
) -> Visit:
    redirect_uri = dict(parse_qsl(urlsplit(url).query)).get("redirect_uri", "")
    if not redirect_uri:
        raise BrowserError("the authorization URL has no redirect_uri")
    pages: list[str] = []
    with httpx.Client(trust_env=False, timeout=30.0, follow_redirects=False) as http:
        response = http.get(url)
        for _ in range(_MAX_STEPS):
            if response.is_redirect:
                location = urljoin(str(response.url), response.headers["location"])
                if _same_endpoint(location, redirect_uri):
                    return _back(location, tuple(pages), action, follow_redirect)
                response = http.get(location)
                continue
            if response.status_code != 200:
                raise BrowserError(
                    f"the provider answered {response.status_code}: {_text(response)}"
                )
            page = _Page()
            page.feed(response.text)
            response = _act(http, response, page, login, action, pages)
    raise BrowserError(f"no way back to the redirect URI after {_MAX_STEPS} steps")


def _act(
    http: httpx.Client,
    response: httpx.Response,
    page: _Page,
    login: str,
    action: Action,
    pages: list[str],
) -> httpx.Response:
    """What a person does on this page: the next response."""
    prompts = {form.fields.get("prompt"): form for form in page.forms}
    here = str(response.url)
    if "login" in prompts:
        pages.append("login")
        if action == "cancel":
            [abort] = [link for link in page.links if link.rstrip("/").endswith("/abort")]
            return http.get(urljoin(here, abort))
        form = prompts["login"]
        fields = {**form.fields, "login": login, "password": "any password will do"}
        return http.post(urljoin(here, form.action), data=fields)
    if "consent" in prompts:
        pages.append("consent")
        form = prompts["consent"]
        return http.post(urljoin(here, form.action), data=form.fields)
    raise BrowserError(f"a page with no login or consent form: {_text(response)}")


def _back(location: str, pages: tuple[str, ...], action: Action, follow: bool) -> Visit:
    parts = urlsplit(location)
    params = dict(parse_qsl(parts.query, keep_blank_values=True))
    if action == "tamper-iss":
        params["iss"] = "http://127.0.0.1:9/another-issuer"
        location = urlunsplit(parts._replace(query=urlencode(params)))
    if not follow:
        return Visit(location, params, pages)
    with httpx.Client(trust_env=False, timeout=60.0) as http:
        answer = http.get(location)
    return Visit(location, params, pages, answer.status_code, answer.text)


def _same_endpoint(location: str, redirect_uri: str) -> bool:
    a, b = urlsplit(location), urlsplit(redirect_uri)
    return (a.scheme, a.netloc, a.path) == (b.scheme, b.netloc, b.path)


def _text(response: httpx.Response) -> str:
    return response.text[:500]


def main(argv: list[str]) -> int:
    """$BROWSER: walk argv[0], and write what happened to $OIDC_TEST_RESULT."""
    result_path = os.environ["OIDC_TEST_RESULT"]
    action = _ACTIONS[os.environ.get("OIDC_TEST_ACTION", "consent")]
    try:
        visit = walk(argv[0], login=os.environ.get("OIDC_TEST_LOGIN", LOGIN), action=action)
    except Exception as exc:  # told to the test, which shows it
        result: dict[str, object] = {"error": f"{type(exc).__name__}: {exc}"}
    else:
        result = {
            "pages": list(visit.pages),
            "params": sorted(visit.params),  # the names only: the code stays out of the file
            "iss": visit.params.get("iss"),
            "error": visit.params.get("error"),
            "status": visit.status,
            "page": visit.page,
        }
    with open(result_path, "w") as out:
        json.dump(result, out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
