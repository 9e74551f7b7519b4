"""`streamer health`: exit 0 if the worker's readiness endpoint answers 200, else 1.

Used by the container HEALTHCHECK; stdlib only, so it starts fast and needs no Kafka.
"""

from __future__ import annotations

import argparse
import sys
import urllib.error
import urllib.request

from streamer.cli.flags import add_setting_flags
from streamer.settings import Settings

DEFAULT_TIMEOUT = 3.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_setting_flags(parser, "web_host", "web_port")
    parser.add_argument(
        "--url",
        default=None,
        help="endpoint to check [default http://STREAMER_WEB_HOST:STREAMER_WEB_PORT/ready]",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        help=f"seconds to wait for an answer [default {DEFAULT_TIMEOUT:g}]",
    )


def default_url(settings: Settings) -> str:
    host = settings.web_host
    # A worker bound to every interface is reached on loopback from inside its own container.
    if host in ("0.0.0.0", "", "::"):
        host = "127.0.0.1"
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{settings.web_port}/ready"


def check(url: str, timeout: float) -> str | None:
    """None if `url` answers 200, else a one-line reason."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            status = int(resp.status)
    except urllib.error.HTTPError as exc:
        return f"not ready: {url} answered HTTP {exc.code} {exc.reason}"
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, ConnectionRefusedError):
            return f"not reachable: connection refused at {url} (is `streamer run` up?)"
        if isinstance(reason, TimeoutError):
            return f"no answer from {url} within {timeout:g}s"
        return f"not reachable: {url}: {reason}"
    except TimeoutError:
        return f"no answer from {url} within {timeout:g}s"
    except (OSError, ValueError) as exc:
        return f"cannot check {url}: {exc}"
    if status != 200:
        return f"not ready: {url} answered HTTP {status}"
    return None


def run(args: argparse.Namespace, settings: Settings) -> int:
    url = args.url or default_url(settings)
    problem = check(url, args.timeout)
    if problem is not None:
        print(f"streamer health: {problem}", file=sys.stderr)
        return 1
    return 0
