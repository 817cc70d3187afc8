"""Contains endpoint functions for accessing the API"""

from typing import Any

# Each operation of this tag, by module name: its method, its path, the names of its query
# parameters, its request body's content type (None without a body) and the body's enum fields
# with their values (the grant type, for a grant).
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
            "grantType": (
                "app_token",
                "client_credentials",
                "refresh_token",
                "exchange_token",
                "password",
                "external_token_exchange",
            ),
        },
    },
    "grant_token_v2": {
        "method": "POST",
        "path": "/api/v2/token",
        "query": (),
        "body": "application/x-www-form-urlencoded",
        "enums": {
            "grant_type": (
                "authorization_code",
                "client_credentials",
                "password",
                "refresh_token",
            ),
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
