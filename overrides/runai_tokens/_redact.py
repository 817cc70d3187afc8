"""Keep the secrets the deprecated token operations put in URLs out of log records and messages.

refresh_token sends `?refresh_token=...` and exchange_code_for_token sends `?code=...` in the
query string (the contract says so; we cannot move them). httpx logs every request URL at INFO
("HTTP Request: POST http://host/...?refresh_token=..."), so those URLs would land in whatever
log handler the application has.

Decision: a logging.Filter on the "httpx" logger that rewrites the query values of the token
paths to "[redacted]" (keys kept, so the log still says which parameters were sent). A filter on
the logger, rather than on a handler, is the one place that sees httpx's records before any
handler the application set up, whatever that is. It is attached by connect() and by
TokensApi/AsyncTokensApi, never at import, idempotently (one filter however many clients), and it
only touches URLs whose path is one of the four token operations', so the application's other
httpx traffic logs exactly as before. The filter never drops a record and never raises.
"""

from __future__ import annotations

import logging
import re
import threading
from typing import Any

import httpx

from ._generated import TOKEN_PATHS

REDACTED = "[redacted]"

# A token path followed by a query string, inside any text (a URL, a log message, an error).
_TOKEN_QUERY = re.compile(
    "(?P<path>"
    + "|".join(re.escape(p) for p in sorted(TOKEN_PATHS, key=len, reverse=True))
    + r")\?(?P<query>[^\s\"'<>]*)"
)


def redact_token_queries(text: str) -> str:
    """text with every query value of a token operation's URL replaced by [redacted]."""
    if "?" not in text:
        return text
    return _TOKEN_QUERY.sub(_redact_match, text)


def _redact_match(match: re.Match[str]) -> str:
    query, hash_, fragment = match["query"].partition("#")
    parts = (
        f"{part.partition('=')[0]}={REDACTED}" if "=" in part else (REDACTED if part else part)
        for part in query.split("&")
    )
    return f"{match['path']}?{'&'.join(parts)}{hash_}{fragment}"


class RedactTokenQueries(logging.Filter):
    """Rewrites token-operation query values in a record's message and arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            if isinstance(record.msg, str):
                record.msg = redact_token_queries(record.msg)
            if isinstance(record.args, tuple):
                record.args = tuple(_redact_arg(arg) for arg in record.args)
            elif isinstance(record.args, dict):
                record.args = {key: _redact_arg(arg) for key, arg in record.args.items()}
        except Exception:  # noqa: S110 - a logging filter must never break the caller's request
            pass
        return True


def _redact_arg(arg: Any) -> Any:
    # httpx passes the request URL as an httpx.URL object. Other arguments (numbers, reason
    # phrases, objects whose str() might be costly) are left as they are.
    if isinstance(arg, httpx.URL):
        text = str(arg)
        redacted = redact_token_queries(text)
        return arg if redacted == text else redacted
    if isinstance(arg, str):
        return redact_token_queries(arg)
    return arg


_install_lock = threading.Lock()


def install_log_redaction(logger_name: str = "httpx") -> None:
    """Attach RedactTokenQueries to the named logger once; later calls do nothing."""
    logger = logging.getLogger(logger_name)
    with _install_lock:
        if not any(isinstance(f, RedactTokenQueries) for f in logger.filters):
            logger.addFilter(RedactTokenQueries())
