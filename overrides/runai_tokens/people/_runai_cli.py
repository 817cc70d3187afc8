"""RunaiCliSession: the session `runai login` (Run:ai's CLI v2) left on disk, used read-only.

The CLI keeps it in ~/.runai (or $RUNAI_CLI_CONFIG_PATH): authentication.json holds accessToken,
the JWT itself base64url-encoded (padding may be missing), and config.json holds
control_plane.url. We never write there and never refresh the token ourselves: the CLI owns the
session. What we do is read it again when our copy is about to expire or gets a 401, since the
CLI may have refreshed it meanwhile; when the files hold nothing usable, the person has to run
`runai login`, and LoginRequiredError says so.

Its TokenSource (token_source(), for TokenAuth) is _file_source.FileTokenSource: a fetch reads
the files instead of granting.
"""

from __future__ import annotations

import base64
import binascii
import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from .._base_errors import LoginRequiredError
from .._private_files import UntrustedFile, read_shared
from .._token import jwt_claims
from .._untrusted import UntrustedJsonError, header_value_problem, json_object
from .._value import Value

if TYPE_CHECKING:
    from ..auth._grant import Grants
    from ..auth._source import SourceTiming, TokenSource

CONFIG_PATH_VARIABLE = "RUNAI_CLI_CONFIG_PATH"
AUTH_FILE = "authentication.json"
CONFIG_FILE = "config.json"
# Both files are a few KB; anything much larger is not the CLI's.
_MAX_FILE = 1024 * 1024
# An exp beyond this (year ~33658) is no expiry; float() of a huge int would overflow.
_FAR_FUTURE = 1e12


def default_config_dir(environ: Mapping[str, str]) -> Path:
    """$RUNAI_CLI_CONFIG_PATH, else ~/.runai (the runai CLI's own rule)."""
    configured = environ.get(CONFIG_PATH_VARIABLE, "").strip()
    if configured:
        return Path(configured).expanduser()
    home = environ.get("HOME", "").strip()
    return (Path(home) if home else Path.home()) / ".runai"


class RunaiCliSession(Value):
    """The runai CLI v2's session: `runai login` once, then use it from Python.

    config_dir: where the CLI keeps it; None reads $RUNAI_CLI_CONFIG_PATH, else ~/.runai, once,
    here. The files are read when a token is needed and again when it expires or is refused.
    """

    __slots__ = _fields = ("config_dir",)
    config_dir: Path

    def __init__(self, config_dir: str | os.PathLike[str] | None = None) -> None:
        self._set(default_config_dir(os.environ) if config_dir is None else Path(config_dir))

    since: ClassVar[str] = "2.18"
    grants_on_v2: ClassVar[bool] = False  # never granted: the CLI owns the session

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> RunaiCliSession:
        return cls(default_config_dir(os.environ if environ is None else environ))

    def exists(self) -> bool:
        """Whether the CLI has left a session here (without judging whether it still works)."""
        return (self.config_dir / AUTH_FILE).is_file()

    def base_url(self) -> str | None:
        """config.json's control_plane.url, or None when there is none."""
        config = self._read_json(CONFIG_FILE, required=False)
        plane = config.get("control_plane") if config is not None else None
        url = plane.get("url") if isinstance(plane, dict) else None
        return url.strip() if isinstance(url, str) and url.strip() else None

    def access_token(self, *, wall_clock: Callable[[], float] = time.time) -> tuple[str, float]:
        """The session's access token and the seconds it has left. Raises LoginRequiredError
        when there is no session, it cannot be read, or it has expired."""
        auth = self._read_json(AUTH_FILE, required=True)
        assert auth is not None
        encoded = auth.get("accessToken")
        if not isinstance(encoded, str) or not encoded.strip():
            raise self.login_error(f"{AUTH_FILE} holds no accessToken")
        token = _decode(encoded.strip())
        claims = None if token is None or header_value_problem(token) else jwt_claims(token)
        if token is None or claims is None:
            raise self.login_error(f"{AUTH_FILE} holds an accessToken that is not a JWT")
        exp = claims.get("exp")
        if not isinstance(exp, int | float) or isinstance(exp, bool) or abs(exp) > _FAR_FUTURE:
            raise self.login_error(f"{AUTH_FILE} holds a token without an expiry")
        left = float(exp) - wall_clock()
        if not left > 0:  # NaN too
            raise self.login_error("the session has expired")
        return token, left

    def token_source(self, base_url: str, grants: Grants, timing: SourceTiming) -> TokenSource:
        """TokenAuth's source: the files, read again when the token is due or refused."""
        from ._file_source import FileTokenSource

        return FileTokenSource(self, grants, timing)

    def _read_json(self, name: str, *, required: bool) -> dict[str, Any] | None:
        # Under the cache's rules (_private_files.read_shared) and _untrusted's JSON rules: a
        # FIFO, another user's file, a file others can write or one nested without end is no
        # session, said as a LoginRequiredError, never a hang or a RecursionError.
        try:
            data = read_shared(os.fspath(self.config_dir), name, _MAX_FILE, name)
        except FileNotFoundError:
            if required:
                raise self.login_error("there is no session") from None
            return None
        except UntrustedFile as exc:
            raise self.login_error(
                f"{exc.strerror}, so it is not read (the session must be yours and writable by "
                "you alone)"
            ) from None
        except OSError as exc:
            raise self.login_error(f"{name} cannot be read ({exc.strerror})") from None
        try:
            return json_object(data, limit=_MAX_FILE)
        except UntrustedJsonError as exc:
            why = f"{name} {exc}"
        raise self.login_error(f"{why}: it is not the runai CLI's JSON")

    def login_error(self, why: str) -> LoginRequiredError:
        return LoginRequiredError(
            f"runai CLI session in {self.config_dir}: {why}; run `runai login`"
        )


def _decode(encoded: str) -> str | None:
    """accessToken is the JWT base64url-encoded, padding optional; a bare JWT is taken too."""
    if encoded.count(".") == 2:
        return encoded
    try:
        raw = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        return raw.decode("ascii").strip()
    except (binascii.Error, ValueError, UnicodeError):
        return None
