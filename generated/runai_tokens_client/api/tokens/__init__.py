"""Contains endpoint functions for accessing the API"""

import logging
from typing import Any

import httpx

OPERATIONS: dict[str, dict[str, Any]] = {
    "app_token": {
        "method": "POST",
        "path": "/v1/k8s/auth/oauth/apptoken",
        "query": (),
        "body": "application/json",
        "enums": {},
    },
    "exchange_code_for_token": {
        "method": "GET",
        "path": "/v1/k8s/auth/token/exchange",
        "query": (
            "redirect_uri",
            "code",
        ),
        "body": None,
        "enums": {},
    },
    "grant_token": {
        "method": "POST",
        "path": "/api/v1/token",
        "query": (),
        "body": "application/json",
        "enums": {
            "grantType": [
                "app_token",
                "client_credentials",
                "refresh_token",
                "exchange_token",
                "password",
                "external_token_exchange",
            ],
        },
    },
    "grant_token_v2": {
        "method": "POST",
        "path": "/api/v2/token",
        "query": (),
        "body": "application/x-www-form-urlencoded",
        "enums": {
            "grant_type": [
                "authorization_code",
                "client_credentials",
                "password",
                "refresh_token",
            ],
        },
    },
    "refresh_token": {
        "method": "POST",
        "path": "/v1/k8s/auth/oauth/tokens/refresh",
        "query": ("refresh_token",),
        "body": None,
        "enums": {},
    },
}


def _redact_query(record: logging.LogRecord) -> bool:
    if isinstance(record.args, tuple):
        record.args = tuple(_redacted(arg) for arg in record.args)
    return True  # the record is kept: only the URL of an operation here changes


def _redacted(arg: object) -> object:
    if not (isinstance(arg, httpx.URL) and arg.query):
        return arg
    if not any(arg.path.endswith(op["path"]) for op in OPERATIONS.values()):
        return arg
    return arg.copy_with(params={name: "REDACTED" for name in arg.params})


logging.getLogger("httpx").addFilter(_redact_query)
