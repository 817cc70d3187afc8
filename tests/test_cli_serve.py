"""`runai-token serve` in process (a thread, stopped through its event): banner, versions, ports."""

from __future__ import annotations

import io
import re
import socket
import threading
from collections.abc import Iterator

import pytest
from runai_tokens import cli
from runai_tokens.cli._exit import CliError, ExitCode
from runai_tokens.cli._serve import DEMO_APP, DEMO_CLIENT, serve

from tests.helpers.parked import HANG_GUARD


class Served:
    def __init__(self, url: str, banner: str) -> None:
        self.url, self.banner = url, banner


class Output(io.StringIO):
    """stdout for serve(): `flushed` is set by each flush (the banner is flushed once written)."""

    def __init__(self) -> None:
        super().__init__()
        self.flushed = threading.Event()

    def flush(self) -> None:
        super().flush()
        self.flushed.set()


@pytest.fixture
def serving(request: pytest.FixtureRequest) -> Iterator[Served]:
    argv = ["serve", *getattr(request, "param", [])]
    args = cli.build_parser().parse_args(argv)
    out, err = Output(), io.StringIO()
    stop = threading.Event()
    codes: list[int] = []

    def run() -> None:
        try:
            codes.append(serve(args, stdout=out, stderr=err, stop=stop))
        finally:
            out.flushed.set()  # a serve() that ends early wakes the wait below too

    thread = threading.Thread(target=run)
    thread.start()
    assert out.flushed.wait(HANG_GUARD)
    assert "Press Ctrl-C" in out.getvalue(), err.getvalue()
    match = re.search(r"export RUNAI_BASE_URL=(\S+)", out.getvalue())
    assert match is not None
    try:
        yield Served(match.group(1), out.getvalue())
    finally:
        stop.set()
        thread.join(HANG_GUARD)
    assert codes == [ExitCode.OK]
    assert err.getvalue() == "runai-token: fake server stopped\n"


def get(served: Served, *argv: str, client: tuple[str, ...] = DEMO_CLIENT) -> tuple[int, str]:
    env = {
        "RUNAI_BASE_URL": served.url,
        "RUNAI_CLIENT_ID": client[0],
        "RUNAI_CLIENT_SECRET": client[1],
    }
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(["get", "--no-cache", *argv], environ=env, stdout=out, stderr=err)
    return code, out.getvalue() + err.getvalue()


def test_banner_has_everything_to_paste(serving: Served) -> None:
    assert serving.url.startswith("http://127.0.0.1:")
    assert f"export RUNAI_CLIENT_ID={DEMO_CLIENT[0]}" in serving.banner
    assert f"export RUNAI_CLIENT_SECRET={DEMO_CLIENT[1]}" in serving.banner
    assert "2.24" in serving.banner
    # Every demo secret is one a reader recognises as fake.
    assert all(line.split(" / ")[1].startswith("fake-") for line in _credential_lines(serving))
    assert get(serving)[0] == ExitCode.OK


def _credential_lines(served: Served) -> list[str]:
    return [line for line in served.banner.splitlines() if " / " in line]


@pytest.mark.parametrize("serving", [["--version", "2.18", "--lifetime", "60"]], indirect=True)
def test_version_2_18(serving: Served) -> None:
    assert "2.18" in serving.banner
    assert "lifetime 60s" in serving.banner
    # 2.18 predates client_credentials: the server answers 400, and the CLI says that this
    # control plane does not offer the grant (a usage error), not that the credentials are wrong.
    code, text = get(serving)
    assert code == ExitCode.USAGE
    assert "(400)" in text
    assert "does not offer the grant" in text and "added it in 2.20" in text
    code, _ = get(serving, "--grant", "app", client=DEMO_APP[:2])
    assert code == ExitCode.OK


def test_port_in_use_is_a_usage_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        args = cli.build_parser().parse_args(["serve", "--port", str(port)])
        with pytest.raises(CliError) as error:
            serve(args, stdout=io.StringIO(), stderr=io.StringIO(), stop=threading.Event())
    assert error.value.code == ExitCode.USAGE
    assert str(port) in str(error.value)
