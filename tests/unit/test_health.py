"""`streamer health` against a tiny local HTTP server: ready, not ready, slow, nothing listening."""

from __future__ import annotations

import argparse
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from streamer.cli import health
from streamer.settings import Settings


class _Handler(BaseHTTPRequestHandler):
    status = 200
    delay = 0.0

    def do_GET(self) -> None:
        time.sleep(self.delay)
        code = self.status if self.path == "/ready" else 404
        body = b"ok\n" if code == 200 else b"not ready\n"
        try:
            self.send_response(code)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout test)

    def log_message(self, format: str, *args: object) -> None:
        pass


def _serve(status: int, delay: float = 0.0) -> Iterator[int]:
    handler = type("H", (_Handler,), {"status": status, "delay": delay})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def ready_port() -> Iterator[int]:
    yield from _serve(200)


@pytest.fixture
def not_ready_port() -> Iterator[int]:
    yield from _serve(503)


@pytest.fixture
def slow_port() -> Iterator[int]:
    yield from _serve(200, delay=1.0)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run(settings: Settings, *argv: str) -> int:
    parser = argparse.ArgumentParser()
    health.add_arguments(parser)
    return health.run(parser.parse_args(list(argv)), settings)


def test_ready_exits_0_using_settings_host_and_port(
    ready_port: int, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = Settings(web_host="127.0.0.1", web_port=ready_port)
    assert _run(settings) == 0
    assert capsys.readouterr().err == ""


def test_bound_to_all_interfaces_is_checked_on_loopback(ready_port: int) -> None:
    # The image sets STREAMER_WEB_HOST=0.0.0.0; the HEALTHCHECK must still reach the worker.
    settings = Settings(web_host="0.0.0.0", web_port=ready_port)
    assert health.default_url(settings) == f"http://127.0.0.1:{ready_port}/ready"
    assert _run(settings) == 0


def test_not_ready_exits_1_and_names_status(
    not_ready_port: int, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"http://127.0.0.1:{not_ready_port}/ready"
    assert _run(Settings(), "--url", url) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "503" in err
    assert url in err


def test_nothing_listening_exits_1_and_says_refused(capsys: pytest.CaptureFixture[str]) -> None:
    port = _free_port()
    assert _run(Settings(web_host="127.0.0.1", web_port=port)) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "connection refused" in err
    assert str(port) in err


def test_slow_endpoint_times_out_with_exit_1(
    slow_port: int, capsys: pytest.CaptureFixture[str]
) -> None:
    started = time.monotonic()
    code = _run(Settings(), "--url", f"http://127.0.0.1:{slow_port}/ready", "--timeout", "0.2")
    assert code == 1
    assert time.monotonic() - started < 1.0
    assert "within 0.2s" in capsys.readouterr().err


def test_health_is_wired_into_the_cli(ready_port: int, monkeypatch: pytest.MonkeyPatch) -> None:
    from streamer.cli import main as cli

    monkeypatch.setenv("STREAMER_WEB_PORT", str(ready_port))
    monkeypatch.setenv("STREAMER_WEB_HOST", "127.0.0.1")
    try:
        code = cli.main(["health"])
    except ImportError as exc:  # another subcommand module not written yet
        pytest.skip(f"CLI not complete yet: {exc}")
    assert code == 0
