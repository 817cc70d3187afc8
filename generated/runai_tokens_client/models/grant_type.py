from enum import StrEnum


class GrantType(StrEnum):
    APP_TOKEN = "app_token"
    CLIENT_CREDENTIALS = "client_credentials"
    EXCHANGE_TOKEN = "exchange_token"
    EXTERNAL_TOKEN_EXCHANGE = "external_token_exchange"
    PASSWORD = "password"
    REFRESH_TOKEN = "refresh_token"

    def __str__(self) -> str:
        return str(self.value)
