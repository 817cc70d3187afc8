"""Runs inside test_vendoring's throwaway venvs (python -I): uses a vendored copy, prints a report.

    python -I vendoring_probe.py core ROOT PACKAGE URL   a grant against a server outside the venv
    python -I vendoring_probe.py kit ROOT PACKAGE [PATH] the vendored FakeRunaiServer (PATH: its
                                                         extra's packages, if not in the venv)
    python -I vendoring_probe.py both ROOT PACKAGE       kit, then an installed runai_tokens too
    python -I vendoring_probe.py advice ROOT PACKAGE     the kit without its extra's packages

ROOT holds the importing project (acme/), PACKAGE is where the copy was vendored (acme._vendor).
The report is JSON on stdout; test_vendoring asserts on it, so a failure there shows all of it.
"""

from __future__ import annotations

import importlib
import json
import sys
from importlib import resources
from types import ModuleType
from typing import Any

CLIENT_ID = "fake-vendored-client"
CLIENT_SECRET = "fake-secret-vendored"
TOP_LEVEL = ("runai_tokens", "runai_tokens_client")


def top_level_loaded() -> list[str]:
    return sorted(name for name in sys.modules if name.split(".")[0] in TOP_LEVEL)


def grant(tokens: ModuleType, url: str, secret: str) -> dict[str, Any]:
    """A TokenAuth grant with the given secret: the token's length, or the exception's class."""
    auth = tokens.TokenAuth(url, tokens.ClientCredentials(CLIENT_ID, secret))
    try:
        return {"token_length": len(auth.get_token())}
    except Exception as exc:
        kind = type(exc)
        return {
            "error": f"{kind.__module__}.{kind.__qualname__}",
            "status": getattr(exc, "status", None),
        }


def core(package: str, url: str) -> dict[str, Any]:
    tokens = importlib.import_module(f"{package}.runai_tokens")
    models = importlib.import_module(f"{package}.runai_tokens_client.models")
    return {
        "version": tokens.__version__,
        "contract_version": tokens.CONTRACT_VERSION,
        "grant": grant(tokens, url, CLIENT_SECRET),
        "rejected": grant(tokens, url, "fake-wrong-secret"),
        "token_request_module": models.TokenRequest.__module__,
        "extras_loaded": sorted({"yaml", "jsonschema", "pytest"} & set(sys.modules)),
    }


def kit(package: str) -> dict[str, Any]:
    tokens = importlib.import_module(f"{package}.runai_tokens")
    testing = importlib.import_module(f"{package}.runai_tokens.testing")
    httpx = importlib.import_module("httpx")
    contract = resources.files(testing).joinpath("openapi.yaml")
    with testing.FakeRunaiServer() as server:
        server.add_client(CLIENT_ID, CLIENT_SECRET)
        auth = tokens.TokenAuth(server.url, tokens.ClientCredentials(CLIENT_ID, CLIENT_SECRET))
        with httpx.Client(base_url=server.url, auth=auth) as http:
            protected = http.get(server.PROTECTED_PATH).status_code
        # A request the contract forbids (no grantType) is refused by the vendored validator.
        invalid = httpx.post(f"{server.url}/api/v1/token", json={"clientID": CLIENT_ID})
        return {
            "contract": str(contract),
            "protected": protected,
            "invalid_status": invalid.status_code,
            "rejected": grant(tokens, server.url, "fake-wrong-secret"),
            "tokens_issued": server.tokens_issued,
        }


def advice(package: str) -> dict[str, Any]:
    """The vendored kit without its packages (PyYAML, jsonschema): what it advises."""
    testing = importlib.import_module(f"{package}.runai_tokens.testing")
    try:
        with testing.FakeRunaiServer():  # starting it needs them: its ImportError is the advice
            pass
    except ImportError as exc:
        return {"advice": str(exc)}
    return {"advice": None}


def both(package: str) -> dict[str, Any]:
    """The vendored copy and an installed runai_tokens in one process, each using itself."""
    report = kit(package)
    report["top_level_before_installed"] = top_level_loaded()
    vendored = importlib.import_module(f"{package}.runai_tokens")
    vendored_testing = importlib.import_module(f"{package}.runai_tokens.testing")
    installed = importlib.import_module("runai_tokens")
    with vendored_testing.FakeRunaiServer() as server:
        server.add_client(CLIENT_ID, CLIENT_SECRET)
        report["installed_grant"] = grant(installed, server.url, CLIENT_SECRET)
        report["installed_rejected"] = grant(installed, server.url, "fake-wrong-secret")
        report["vendored_rejected"] = grant(vendored, server.url, "fake-wrong-secret")
        # The other copy's credentials: refused, naming where each class comes from.
        try:
            vendored.TokenAuth(server.url, installed.ClientCredentials(CLIENT_ID, CLIENT_SECRET))
        except TypeError as exc:
            report["mixed_credentials"] = str(exc)
    report["installed_version"] = installed.__version__
    report["installed_file"] = installed.__file__
    report["distinct_api_exception"] = installed.ApiException is not vendored.ApiException
    return report


def main() -> None:
    mode, root, package, *rest = sys.argv[1:]
    sys.path[:0] = [root, *([] if mode in ("core", "advice") else rest)]
    if mode == "core":
        report = core(package, rest[0])
    elif mode == "kit":
        report = kit(package)
    elif mode == "advice":
        report = advice(package)
    else:
        report = both(package)
    prefix = f"{package}."
    ours = [m for m in sys.modules if m.startswith(prefix) and sys.modules[m] is not None]
    report["vendored_files"] = sorted({str(getattr(sys.modules[m], "__file__", "")) for m in ours})
    report["top_level"] = top_level_loaded()
    print(json.dumps(report))


if __name__ == "__main__":
    main()
