"""Security basics against a real broker's SASL listeners (SASL_PLAINTEXT and SASL_SSL, PLAIN).

`streamer run`, `publish` and `tail` work through both with the right credentials (over TLS with
STREAMER_SSL_CAFILE naming the broker's CA); a wrong password or an untrusted broker certificate
is one clear error line, no traceback; the password never reaches stdout or stderr; and PLAIN
over an unencrypted connection is refused by configuration validation (exit 2) unless the
local-test flag STREAMER_ALLOW_PLAINTEXT_SASL is set.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from tests.integration.workers import REPO, Worker, read_all, running_worker, wait_committed

EXAMPLES = REPO / "examples"
pytestmark = pytest.mark.timeout(180)

NewTopics = Callable[..., Awaitable[list[str]]]
Sasl = tuple[str, str, str]
SaslSsl = tuple[str, str, str, str]  # bootstrap, user, password, CA file


def sasl_env(user: str, password: str, *, allow: bool = True,
             protocol: str = "SASL_PLAINTEXT") -> dict[str, str]:
    env = {"STREAMER_SECURITY_PROTOCOL": protocol, "STREAMER_SASL_MECHANISM": "PLAIN",
           "STREAMER_SASL_USERNAME": user, "STREAMER_SASL_PASSWORD": password}
    if allow:
        env["STREAMER_ALLOW_PLAINTEXT_SASL"] = "true"
    return env


def sasl_ssl_env(user: str, password: str, cafile: str | None) -> dict[str, str]:
    """SASL_SSL/PLAIN, trusting `cafile` (None: only the system's CAs)."""
    env = sasl_env(user, password, allow=False, protocol="SASL_SSL")
    if cafile is not None:
        env["STREAMER_SSL_CAFILE"] = cafile
    return env


def cli(*args: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """`python -m streamer ARGS` with only `env`'s STREAMER_* variables."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("STREAMER_")}
    return subprocess.run([sys.executable, "-m", "streamer", *args], cwd=REPO,
                          env={**base, **env}, capture_output=True, text=True, timeout=timeout,
                          check=False)


def assert_clean(output: str, password: str) -> None:
    assert password not in output
    assert "Traceback" not in output


@pytest.mark.parametrize("command", [
    ["run", "--web-port", "1"],
    ["publish", "examples/"],
    ["tail", "--exit-at-end"],
])
def test_plain_over_sasl_plaintext_is_refused_by_configuration(command: list[str]) -> None:
    password = "never-sent-7f3a"
    done = cli("-v", "-v", *command, "--bootstrap-servers", "127.0.0.1:1",
               env=sasl_env("streamer", password, allow=False), timeout=30)
    assert done.returncode == 2, done.stderr
    assert "configuration error" in done.stderr
    assert "SASL_SSL" in done.stderr  # says what to use instead
    assert_clean(done.stdout + done.stderr, password)


@pytest.mark.parametrize("command", [
    ["run", "--web-port", "1"],
    ["publish", "examples/"],
    ["tail", "--exit-at-end"],
])
def test_a_missing_ca_file_is_a_configuration_error(command: list[str], tmp_path: Path) -> None:
    password = "never-sent-5d1e"
    missing = tmp_path / "no-such-ca.pem"
    done = cli(*command, "--bootstrap-servers", "127.0.0.1:1",
               env=sasl_ssl_env("streamer", password, str(missing)), timeout=30)
    assert done.returncode == 2, done.stderr
    assert f"configuration error: settings: Value error, ssl_cafile {missing}" in done.stderr
    assert_clean(done.stdout + done.stderr, password)


def test_sasl_without_credentials_is_a_configuration_error() -> None:
    env = {"STREAMER_SECURITY_PROTOCOL": "SASL_SSL", "STREAMER_SASL_MECHANISM": "PLAIN",
           "STREAMER_SASL_USERNAME": "streamer"}
    done = cli("tail", "--bootstrap-servers", "127.0.0.1:1", env=env, timeout=30)
    assert done.returncode == 2
    assert "sasl_password" in done.stderr
    assert "Traceback" not in done.stderr


def engine_event_ids() -> list[str]:
    done = cli("dedup", "examples/", env={}, timeout=120)
    assert done.returncode == 0, done.stderr
    return sorted(json.loads(line)["event_id"] for line in done.stdout.splitlines())


async def round_trip(listener: str, env: dict[str, str], password: str, kafka_bootstrap: str,
                     new_topics: NewTopics, tmp_path: Path) -> str:
    """`streamer run`, `publish` and `tail` through `listener`: every event of examples/ arrives
    once, nothing is dead-lettered, the password is never printed. Returns the worker's output."""
    topics = await new_topics(3)
    flags = ["--bootstrap-servers", listener]
    async with running_worker(listener, topics, tmp_path, env=env) as worker:
        await worker.wait_ready()
        published = await asyncio.to_thread(cli, "-v", "-v", "publish", *flags, "--input-topic",
                                            topics[0], "examples/", env=env)
        assert published.returncode == 0, published.stderr
        assert "sent 315" in published.stderr
        assert_clean(published.stdout + published.stderr, password)
        # Checked on the plaintext listener of the same broker.
        await wait_committed(kafka_bootstrap, worker.app_id, topics[0], worker)
        tailed = await asyncio.to_thread(cli, "-v", "-v", "tail", *flags, "--output-topic",
                                         topics[1], "--from-beginning", "--exit-at-end", "--json",
                                         env=env)
        assert worker.stop() == 0, worker.output()
    assert tailed.returncode == 0, tailed.stderr
    assert_clean(tailed.stdout + tailed.stderr, password)
    ids = sorted(json.loads(line)["event_id"] for line in tailed.stdout.splitlines())
    want = engine_event_ids()
    assert ids == want, (len(ids), len(want), sorted(set(ids) ^ set(want))[:5],
                         worker.output(3000))
    assert len(await read_all(kafka_bootstrap, topics[1])) == len(ids)
    assert await read_all(kafka_bootstrap, topics[2]) == []
    assert_clean(worker.output(10**7), password)
    return worker.output(10**7)


async def test_worker_publish_and_tail_work_through_the_sasl_listener(
        kafka_bootstrap: str, kafka_sasl_bootstrap: Sasl, new_topics: NewTopics,
        tmp_path: Path) -> None:
    sasl, user, password = kafka_sasl_bootstrap
    output = await round_trip(sasl, sasl_env(user, password), password, kafka_bootstrap,
                              new_topics, tmp_path)
    assert "(SASL_PLAINTEXT)" in output  # the start-up line names the protocol


async def test_worker_publish_and_tail_work_over_tls(
        kafka_bootstrap: str, kafka_ssl_bootstrap: SaslSsl, new_topics: NewTopics,
        tmp_path: Path) -> None:
    """SASL_SSL needs no STREAMER_ALLOW_PLAINTEXT_SASL, only the CA that signed the broker."""
    listener, user, password, cafile = kafka_ssl_bootstrap
    output = await round_trip(listener, sasl_ssl_env(user, password, cafile), password,
                              kafka_bootstrap, new_topics, tmp_path)
    assert "(SASL_SSL)" in output


async def test_topics_create_and_describe_over_tls(kafka_ssl_bootstrap: SaslSsl) -> None:
    """`streamer topics` connects like the worker (SASL_SSL): creates the four topics once."""
    listener, user, password, cafile = kafka_ssl_bootstrap
    tag = uuid.uuid4().hex[:8]
    env = {**sasl_ssl_env(user, password, cafile), "STREAMER_INPUT_TOPIC": f"tls-{tag}-in",
           "STREAMER_OUTPUT_TOPIC": f"tls-{tag}-ev", "STREAMER_DLQ_TOPIC": f"tls-{tag}-dlq",
           "STREAMER_APP_ID": f"tls-{tag}", "STREAMER_TOPIC_PARTITIONS": "2"}
    first = await asyncio.to_thread(cli, "topics", "create", "--bootstrap-servers", listener,
                                    env=env)
    assert first.returncode == 0, first.stderr
    assert f"created tls-{tag}-in, tls-{tag}-ev, tls-{tag}-dlq, tls-{tag}-dedup-state" in (
        first.stderr)
    again = await asyncio.to_thread(cli, "topics", "create", "--bootstrap-servers", listener,
                                    env=env)
    assert again.returncode == 0, again.stderr
    assert "all topics exist" in again.stderr
    rows = {line.split()[0]: line for line in again.stdout.splitlines()}
    assert "partitions=2" in rows[f"tls-{tag}-in"]
    assert "cleanup.policy=compact" in rows[f"tls-{tag}-dedup-state"]
    assert "partitions=1" in rows[f"tls-{tag}-dlq"]
    assert_clean(first.stdout + first.stderr + again.stdout + again.stderr, password)


async def test_wrong_password_is_one_clear_error_without_a_traceback(
        kafka_sasl_bootstrap: Sasl, new_topics: NewTopics, tmp_path: Path) -> None:
    sasl, user, _ = kafka_sasl_bootstrap
    wrong = "wrong-password-91c2"
    env = sasl_env(user, wrong)
    topics = await new_topics(3)
    flags = ["--bootstrap-servers", sasl]
    for command in (["publish", "--topic", topics[0], "examples/"],
                    ["tail", "--topic", topics[1], "--exit-at-end"]):
        done = await asyncio.to_thread(cli, "-v", "-v", *command, *flags, env=env, timeout=60)
        assert done.returncode == 1, (command, done.stderr)
        last = done.stderr.strip().splitlines()[-1]
        assert f"cannot reach Kafka at {sasl}" in last
        assert "Authentication failed" in last
        assert_clean(done.stdout + done.stderr, wrong)

    async with running_worker(sasl, topics, tmp_path, env=env) as worker:
        deadline = time.monotonic() + 30
        while "Authentication failed" not in worker.output():
            assert worker.proc.poll() is None or "Authentication failed" in worker.output(), (
                worker.output())
            assert time.monotonic() < deadline, worker.output()
            await asyncio.sleep(0.5)
        if worker.proc.poll() is None:  # it waits for the broker: alive, never ready
            status, _ = await asyncio.to_thread(_get, worker, "/ready")
            assert status != 200
            worker.stop()
    assert_clean(worker.output(10**7), wrong)


async def test_an_untrusted_broker_certificate_is_one_clear_error(
        kafka_ssl_bootstrap: SaslSsl, new_topics: NewTopics, tmp_path: Path) -> None:
    """Without the broker's CA, `publish` and `tail` fail fast with one line; the worker stays
    live but not ready, says why on each retry, and stops cleanly on SIGTERM."""
    listener, user, password, _ = kafka_ssl_bootstrap
    env = sasl_ssl_env(user, password, None)  # the system's CAs do not include the test CA
    topics = await new_topics(3)
    flags = ["--bootstrap-servers", listener]
    reason = "TLS certificate verification failed: self-signed certificate in certificate chain"
    for command in (["publish", "--topic", topics[0], "examples/"],
                    ["tail", "--topic", topics[1], "--exit-at-end"]):
        started = time.monotonic()
        done = await asyncio.to_thread(cli, "-v", "-v", *command, *flags, env=env, timeout=60)
        assert time.monotonic() - started < 30, command
        assert done.returncode == 1, (command, done.stderr)
        last = done.stderr.strip().splitlines()[-1]
        assert last.startswith(f"streamer {command[0]}: cannot reach Kafka at {listener}: ")
        assert reason in last
        assert "STREAMER_SSL_CAFILE" in last  # says what to set
        assert_clean(done.stdout + done.stderr, password)

    async with running_worker(listener, topics, tmp_path, env=env) as worker:
        deadline = time.monotonic() + 30
        while worker.output().count(reason) < 2:  # it retries, saying why each time
            assert worker.proc.poll() is None, worker.output()
            assert time.monotonic() < deadline, worker.output()
            await asyncio.sleep(0.5)
        assert (await asyncio.to_thread(_get, worker, "/live"))[0] == 200
        assert await asyncio.to_thread(_get, worker, "/ready") == (
            503, {"ready": False, "waiting_for": "kafka"})
        assert worker.stop() == 0, worker.output()
    output = worker.output(10**7)
    assert f"WARNING streamer.startup: cannot reach Kafka at {listener}: {reason}" in output
    assert "aiokafka" not in output  # its own error lines are folded into that one
    assert_clean(output, password)


def _get(worker: Worker, path: str) -> tuple[int, object]:
    try:
        return worker.get(path)
    except OSError:
        return 0, None


async def test_password_never_in_the_worker_output_even_with_debug_logging(
        kafka_sasl_bootstrap: Sasl, new_topics: NewTopics, tmp_path: Path) -> None:
    sasl, user, password = kafka_sasl_bootstrap
    topics = await new_topics(3)
    async with running_worker(sasl, topics, tmp_path, env=sasl_env(user, password),
                              verbose=2) as worker:
        await worker.wait_ready()
        assert worker.stop() == 0, worker.output()
    assert "DEBUG" in worker.output(10**7)
    assert_clean(worker.output(10**7), password)


def test_nothing_secret_is_copied_into_the_image(kafka_sasl_bootstrap: Sasl) -> None:
    """The Dockerfile copies pyproject.toml, streamer/ and examples/: no credential among them."""
    password = kafka_sasl_bootstrap[2]  # the test credential
    dockerfile = (REPO / "deploy" / "Dockerfile").read_text()
    copied = [line.split()[1] for line in dockerfile.splitlines()
              if line.startswith("COPY ") and "--from" not in line]
    assert copied, dockerfile
    assert "PASSWORD" not in dockerfile.upper()  # no ARG or ENV carries one

    for item in copied:
        for path in [REPO / item] if (REPO / item).is_file() else (REPO / item).rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts:
                data = path.read_bytes()
                assert password.encode() not in data, path
                assert b"sasl.jaas.config" not in data, path
