"""Benchmark 6: with every logger at DEBUG, does a secret or a token reach the logs?

Each library runs in its own process (`python bench/bench_logs.py <library>`), so that one
library's logging set-up cannot hide or cause another's leaks. The child sets the root logger
and every logger that exists at DEBUG (after the library's own set-up, which may lower some),
captures every record, and runs one flow against a FakeRunaiServer (in a process of its own)
with 2-second tokens: a call, a refresh after expiry, another call, and a client whose secret
the server does not know. It then looks for the client secrets and every access token the server
issued in each record's message and formatted exception, and in the text of every exception the
flow raised: a token is any JWT-shaped string there that the server says it signed as an access
token.
"""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import attrs
from bench_clients import SYNC, Unavailable
from bench_report import Section, section
from runai_tokens.testing import FakeRunaiServer, InvalidToken
from server_process import RemoteServer, server_process

WRONG_SECRET = "fake-secret-rejected-0123456789"
LIFETIME = 2.0
# Three base64url segments, the first a JSON object's: what a JWT looks like in a log line.
JWT_SHAPED = re.compile(r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.texts: list[tuple[str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info:
            text += "\n" + logging.Formatter().formatException(record.exc_info)
        self.texts.append((record.name, text))


def _all_debug() -> None:
    logging.getLogger().setLevel(logging.DEBUG)
    for logger in list(logging.root.manager.loggerDict.values()):
        if isinstance(logger, logging.Logger):
            logger.setLevel(logging.DEBUG)
            logger.disabled = False


# Row label -> (the client in bench_clients.SYNC, extra arguments for its factory).
LIBRARIES: dict[str, tuple[str, dict[str, Any]]] = {
    "runai-tokens TokenAuth": ("runai-tokens TokenAuth", {}),
    "httpx-auth OAuth2ClientCredentials": ("httpx-auth OAuth2ClientCredentials", {}),
    "Authlib OAuth2Client (httpx)": ("Authlib OAuth2Client (httpx)", {}),
    "runapy ApiClient": ("runapy ApiClient", {}),
    # Its documented switch for debug logging.
    "runapy ApiClient, Configuration(debug=True)": ("runapy ApiClient", {"debug": True}),
    "google-auth AuthorizedSession": ("google-auth AuthorizedSession", {}),
}


def _flow(label: str, server: RemoteServer, errors: list[str]) -> None:
    name, extra = LIBRARIES[label]
    factory = SYNC[name]
    kwargs: dict[str, Any] = {"expiry_margin_zero": True, **extra}
    client = factory(server.target, **kwargs)
    _all_debug()
    try:
        client.warm()
        client.call()
        time.sleep(LIFETIME + 0.1)  # the token in use was issued before this
        client.call()  # after expiry: a refresh, or a 401 for libraries that send it anyway
        client.call()
    except Exception as exc:
        errors.append(f"{exc!r} {exc}")
    finally:
        client.close()
    # A rejected secret: the grant fails; what do the logs and the exception say?
    try:
        rejected = factory(attrs.evolve(server.target, client_secret=WRONG_SECRET), **kwargs)
        _all_debug()
        rejected.warm()
        outcome = rejected.call()
        if outcome.startswith("error:"):
            errors.append(outcome)
        rejected.close()
    except Exception as exc:
        errors.append(f"{exc!r} {exc}")


def child(name: str) -> dict[str, Any]:
    capture = _Capture()
    logging.getLogger().addHandler(capture)
    _all_debug()
    errors: list[str] = []
    with server_process(lifetime=LIFETIME) as server:
        secrets = [server.target.client_secret, WRONG_SECRET]  # the flow switches to the second
        try:
            _flow(name, server, errors)
        except Unavailable as exc:
            return {"unavailable": str(exc)}
        shaped = {m for _, t in capture.texts for m in JWT_SHAPED.findall(t)}
        shaped |= {m for e in errors for m in JWT_SHAPED.findall(e)}
        tokens = server.run(access_tokens_among, sorted(shaped))
    leaking: set[str] = set()
    secret_records = token_records = 0
    for logger, text in capture.texts:
        has_secret = any(s in text for s in secrets)
        has_token = any(t in text for t in tokens)
        secret_records += has_secret
        token_records += has_token
        if has_secret or has_token:
            leaking.add(logger)
    leaky_errors = sum(1 for e in errors if any(s in e for s in [*secrets, *tokens]))
    return {
        "records": len(capture.texts),
        "secret_records": secret_records,
        "token_records": token_records,
        "errors": len(errors),
        "leaky_errors": leaky_errors,
        "loggers": sorted(leaking),
        "tokens_seen": len(tokens),
    }


def access_tokens_among(server: FakeRunaiServer, candidates: list[str]) -> list[str]:
    """The candidates that are access tokens this server signed (run in its process)."""
    found = []
    for candidate in candidates:
        try:
            if server.decode_token(candidate).get("typ") == "Bearer":
                found.append(candidate)
        except InvalidToken:
            pass
    return found


def logs() -> Section:
    rows: list[list[str]] = []
    # The children mostly wait for their tokens to expire: run them side by side.
    children = {
        name: subprocess.Popen(  # noqa: S603 - argv is built here, never from input
            [sys.executable, str(Path(__file__)), name],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONWARNINGS": "ignore"},
        )
        for name in LIBRARIES
    }
    for name, process in children.items():
        try:
            stdout, stderr = process.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            process.kill()
            stdout, stderr = process.communicate()
        lines = stdout.strip().splitlines()
        if process.returncode or not lines:
            tail = (stderr.strip().splitlines() or ["no output"])[-1]
            rows.append([name, "n/a", "", "", "", f"the run failed: {tail}"])
            continue
        result = json.loads(lines[-1])
        if "unavailable" in result:
            rows.append([name, "n/a", "", "", "", result["unavailable"]])
            continue
        rows.append(
            [
                name,
                str(result["records"]),
                str(result["secret_records"]),
                str(result["token_records"]),
                f"{result['leaky_errors']} of {result['errors']}",
                ", ".join(result["loggers"]) or "—",
            ]
        )
    return section(
        "6. Debug logging: secrets and tokens in log records",
        "Every logger at DEBUG, one process per library: a call, a refresh after the 2-second "
        "token expires, more calls, then a client whose secret the server rejects. Counted: log "
        "records (message and formatted exception) holding a client secret or an issued access "
        "token, and exception messages raised to the caller holding either.",
        [
            "library",
            "log records",
            "with a client secret",
            "with an access token",
            "exceptions with a secret or token",
            "leaking loggers",
        ],
        rows,
        [
            "runapy logs every request's headers, Authorization included, when its "
            "Configuration has debug=True (its switch for debug logging); with debug=False it "
            "skips those lines even with its logger at DEBUG.",
        ],
    )


if __name__ == "__main__":
    print(json.dumps(child(sys.argv[1])))
