"""`runai-token serve`: the fake Run:ai server in the foreground, for trying the CLI by hand.

It registers one client, one app and one user with obviously fake credentials and prints them as
export lines ready to paste into another shell. Loopback only, like FakeRunaiServer itself.
"""

from __future__ import annotations

import argparse
import signal
import threading
from types import FrameType
from typing import TextIO

from ._exit import CliError, ExitCode

# Printed on purpose: they are the fake server's demo accounts, good for nothing else.
DEMO_CLIENT = ("demo-client", "fake-secret-demo-client")
DEMO_APP = ("demo-app", "fake-secret-demo-app", "demo-app")
DEMO_USER = ("demo-user", "fake-password-demo-user")


def serve(
    args: argparse.Namespace,
    *,
    stdout: TextIO,
    stderr: TextIO,
    stop: threading.Event | None = None,
) -> int:
    """Serve until SIGINT/SIGTERM (or `stop` is set); returns the exit code."""
    _check_port(args.port)
    try:
        from ..testing import FakeRunaiServer

        version = _version(args.server_version)
        server = FakeRunaiServer(version=version, lifetime=args.lifetime, port=args.port)
        server.start()
    except ImportError as exc:
        raise CliError(
            ExitCode.USAGE, f"serve needs the testing extra ({exc.name} is missing): {_advice()}"
        ) from None
    except OSError as exc:
        raise CliError(
            ExitCode.USAGE, f"cannot listen on port {args.port}: {exc.strerror}"
        ) from None

    stop = threading.Event() if stop is None else stop
    previous = _on_sigterm(stop)
    try:
        server.add_client(*DEMO_CLIENT)
        server.add_app(*DEMO_APP)
        server.add_user(*DEMO_USER)
        stdout.write(_banner(server.url, version, args))
        stdout.flush()
        # Event.wait() without a timeout still wakes for Ctrl-C (KeyboardInterrupt) and SIGTERM.
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        _restore_sigterm(previous)
    print("runai-token: fake server stopped", file=stderr)
    return ExitCode.OK


def _check_port(port: int) -> None:
    """A TCP port, or 0 for any free one: socket.bind raises OverflowError for the rest."""
    if not 0 <= port <= 65535:
        raise CliError(
            ExitCode.USAGE,
            "argument --port: must be a number from 0 (any free port) to 65535 "
            "(see runai-token serve --help)",
        )


def _version(asked: str | None) -> str:
    """The control-plane version to answer as: one the contract covers, the newest by default.

    Read from the contract (openapi.yaml's info.version, "2.18-2.24"), so a new version in the
    contract is one `serve` offers without a change here.
    """
    from .._generated import CONTRACT_VERSION
    from ..testing._versions import contract_versions

    versions = contract_versions(CONTRACT_VERSION)
    if asked is None:
        return versions[-1]
    if asked not in versions:
        choices = ", ".join(versions)
        raise CliError(
            ExitCode.USAGE,
            f"argument --version: choose from {choices} (see runai-token serve --help)",
        )
    return asked


def _advice() -> str:
    """How to get the testing extra, for this copy of the package (see testing._advice)."""
    from ..testing._advice import install_advice

    return install_advice()


def _banner(url: str, version: str, args: argparse.Namespace) -> str:
    client_id, client_secret = DEMO_CLIENT
    app_id, app_secret, _ = DEMO_APP
    username, password = DEMO_USER
    return f"""\
fake Run:ai control plane {version} on {url} (token lifetime {args.lifetime:g}s)
demo credentials (fake; this server accepts nothing else):
  client    {client_id} / {client_secret}
  app       {app_id} / {app_secret}
  user      {username} / {password}

In another shell:
  export RUNAI_BASE_URL={url}
  export RUNAI_CLIENT_ID={client_id}
  export RUNAI_CLIENT_SECRET={client_secret}
  runai-token get --output json

Press Ctrl-C to stop.
"""


def _on_sigterm(stop: threading.Event) -> object:
    def handler(signum: int, frame: FrameType | None) -> None:
        stop.set()

    if threading.current_thread() is not threading.main_thread():
        return None  # signals can only be handled on the main thread (tests call us elsewhere)
    return signal.signal(signal.SIGTERM, handler)


def _restore_sigterm(previous: object) -> None:
    if previous is not None:
        signal.signal(signal.SIGTERM, previous)  # type: ignore[arg-type]
