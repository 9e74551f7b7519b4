"""A throwaway single-node KRaft Kafka broker on loopback, for developers and the test suite.

The jars come from Maven Central through ``pom.xml`` beside this file; this module only runs them.
Stdlib only, so the test suite can load it by path and a developer can run it by hand:

    python deploy/kafka/local_kafka.py [--port N] [--data-dir DIR] [--sasl-port N] [--ssl-port N]
"""

from __future__ import annotations

import argparse
import atexit
import base64
import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

HERE = Path(__file__).resolve().parent
POM = HERE / "pom.xml"
LOG4J_CONFIG = HERE / "log4j2.properties"
TARGET = HERE / "target"
LIB = TARGET / "lib"

NODE_ID = 1
SASL_USER = "streamer"
SASL_PASSWORD = "streamer-secret"  # a fixed test credential for a loopback-only broker
START_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0
TLS_DAYS = 30  # the throwaway certificates are made again when less than a day is left

# openssl config for the throwaway CA and the broker certificate (sections picked by -extensions).
_OPENSSL_CNF = """\
[req]
distinguished_name = dn
prompt = no
[dn]
CN = streamer local Kafka
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[broker]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
"""

# Small heap and a JVM tuned to start fast on a 2-core machine: serial GC, C1 only.
JVM_OPTS = (
    "-Xms64m",
    "-Xmx512m",
    "-XX:+UseSerialGC",
    "-XX:TieredStopAtLevel=1",
    "-Xshare:auto",
    "-Djava.awt.headless=true",
    "-Djava.net.preferIPv4Stack=true",
)

# Parent-death watchdog, run as its own small process: it blocks reading a pipe whose write end
# only the parent holds. EOF means the parent died (even by SIGKILL), so it kills the broker's
# process group and removes a temporary data dir. A byte on the pipe means a clean stop: exit.
_WATCHDOG = """
import os, shutil, signal, sys, time
pgid = int(sys.argv[1])
signal.signal(signal.SIGINT, signal.SIG_IGN)
if os.read(0, 1):
    sys.exit(0)
try:
    os.killpg(pgid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        time.sleep(0.1)
        os.killpg(pgid, 0)
    os.killpg(pgid, signal.SIGKILL)
    time.sleep(0.5)
except ProcessLookupError:
    pass
if len(sys.argv) > 2:
    shutil.rmtree(sys.argv[2], ignore_errors=True)
"""


class LocalKafkaError(RuntimeError):
    """The local broker could not be fetched, started or stopped."""


def kafka_version() -> str:
    """The Kafka release pinned in pom.xml."""
    match = re.search(r"<kafka\.version>([^<]+)</kafka\.version>", POM.read_text())
    if not match:
        raise LocalKafkaError(f"no <kafka.version> in {POM}")
    return match.group(1).strip()


def ensure_jars() -> Path:
    """Fetch the broker jars with Maven once (cached by the pom's hash) and return their folder."""
    stamp = TARGET / "lib.stamp"
    digest = hashlib.sha256(POM.read_bytes()).hexdigest()
    if _lib_ready(stamp, digest):
        return LIB
    mvn = shutil.which("mvn")
    if mvn is None:
        raise LocalKafkaError(
            "Maven (mvn) is not on PATH: it fetches the Kafka jars (apt-get install -y maven), "
            "or set STREAMER_TEST_BOOTSTRAP to use a running broker"
        )
    _java()
    TARGET.mkdir(exist_ok=True)
    with (TARGET / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another process may be fetching right now
        if _lib_ready(stamp, digest):
            return LIB
        shutil.rmtree(LIB, ignore_errors=True)
        stamp.unlink(missing_ok=True)
        cmd = [mvn, "-q", "-B", "-f", str(POM), "dependency:copy-dependencies"]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise LocalKafkaError(
                f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stdout}{done.stderr}"
            )
        stamp.write_text(digest)
    return LIB


def _lib_ready(stamp: Path, digest: str) -> bool:
    jar = LIB / f"kafka_2.13-{kafka_version()}.jar"
    return stamp.is_file() and stamp.read_text() == digest and jar.is_file()


def _java() -> str:
    home = os.environ.get("JAVA_HOME")
    java = str(Path(home, "bin", "java")) if home else shutil.which("java")
    if not java or not Path(java).is_file():
        raise LocalKafkaError(
            "java is not on PATH (or JAVA_HOME): Kafka 4 needs Java 17+ "
            "(apt-get install -y openjdk-17-jre-headless)"
        )
    return java


def _class_data_sharing(java: str) -> tuple[list[str], Path | None]:
    """JVM flags for an AppCDS archive of the broker's classes, which cuts start-up by seconds.

    The first broker writes the archive when it stops cleanly (to a temp name, returned so the
    caller can publish it); later ones map it. A stale or foreign archive is ignored by the JVM.
    """
    digest = hashlib.sha256(POM.read_bytes())
    real_java = Path(java).resolve()
    digest.update(f"{real_java}:{real_java.stat().st_mtime_ns}".encode())
    cds = TARGET / "cds"
    cds.mkdir(parents=True, exist_ok=True)
    archive = cds / f"kafka-{kafka_version()}-{digest.hexdigest()[:12]}.jsa"
    quiet = "-Xlog:cds*=off"
    if archive.is_file():
        return [f"-XX:SharedArchiveFile={archive}", quiet], None
    for stale in cds.glob("*.tmp"):  # left by brokers whose parent died
        with contextlib.suppress(OSError):
            if time.time() - stale.stat().st_mtime > 600:
                stale.unlink()
    pending = archive.with_name(f"{archive.name}.{os.getpid()}.{uuid.uuid4().hex[:6]}.tmp")
    return [f"-XX:ArchiveClassesAtExit={pending}", quiet], pending


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _free_ports(count: int) -> list[int]:
    socks = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(count)]
    try:
        for sock in socks:  # held open together so the ports differ
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in socks]
    finally:
        for sock in socks:
            sock.close()


def make_tls(tls_dir: Path) -> None:
    """A throwaway CA (`ca.pem`) and a broker key and certificate for 127.0.0.1 and localhost
    (`broker.pem`: key, certificate, CA), made with the openssl CLI in a few milliseconds.

    Kept while the broker certificate is valid for another day. The CA's key is deleted once it
    has signed: nothing else can be issued under this CA.
    """
    openssl = shutil.which("openssl")
    if openssl is None:
        raise LocalKafkaError("openssl is not on PATH: it makes the TLS listener's certificates")
    ca, broker = tls_dir / "ca.pem", tls_dir / "broker.pem"
    if ca.is_file() and broker.is_file():
        check = [openssl, "x509", "-noout", "-checkend", "86400", "-in", str(broker)]
        if subprocess.run(check, capture_output=True, check=False).returncode == 0:
            return
    tls_dir.mkdir(mode=0o700, parents=True, exist_ok=True)  # it holds a private key
    (tls_dir / "openssl.cnf").write_text(_OPENSSL_CNF)
    req = "req -config openssl.cnf -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1"
    req += f" -noenc -days {TLS_DAYS}"
    steps = [  # run in tls_dir
        f"{req} -subj /CN=streamer-local-kafka-test-ca -extensions ca -keyout ca.key -out ca.pem",
        f"{req} -subj /CN=localhost -extensions broker -CA ca.pem -CAkey ca.key"
        " -keyout broker.key -out broker.crt",
    ]
    try:
        for step in steps:
            cmd = [openssl, *step.split()]
            done = subprocess.run(cmd, cwd=tls_dir, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                raise LocalKafkaError(f"{' '.join(cmd)} failed:\n{done.stdout}{done.stderr}")
        # Kafka's PEM key store: the (unencrypted PKCS#8) key, then the certificate chain.
        chain = ("broker.key", "broker.crt", "ca.pem")
        broker.write_text("".join((tls_dir / name).read_text() for name in chain))
    finally:
        for name in ("ca.key", "broker.key", "broker.crt", "openssl.cnf"):
            (tls_dir / name).unlink(missing_ok=True)


def _server_properties(
    data_dir: Path,
    port: int,
    controller_port: int,
    sasl_port: int | None,
    ssl_port: int | None = None,
) -> str:
    listeners = [f"PLAINTEXT://127.0.0.1:{port}"]
    protocols = ["PLAINTEXT:PLAINTEXT", "CONTROLLER:PLAINTEXT"]
    sasl_listeners = []
    if sasl_port is not None:
        listeners.append(f"SASL_PLAINTEXT://127.0.0.1:{sasl_port}")
        protocols.append("SASL_PLAINTEXT:SASL_PLAINTEXT")
        sasl_listeners.append("sasl_plaintext")
    if ssl_port is not None:
        listeners.append(f"SASL_SSL://127.0.0.1:{ssl_port}")
        protocols.append("SASL_SSL:SASL_SSL")
        sasl_listeners.append("sasl_ssl")
    props = {
        "process.roles": "broker,controller",
        "node.id": str(NODE_ID),
        # A static one-voter quorum: the controller's address is not written into the data dir,
        # so a kept data dir can come back on other ports.
        "controller.quorum.voters": f"{NODE_ID}@127.0.0.1:{controller_port}",
        "controller.listener.names": "CONTROLLER",
        "listeners": ",".join([*listeners, f"CONTROLLER://127.0.0.1:{controller_port}"]),
        "advertised.listeners": ",".join(listeners),
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": ",".join(protocols),
        "log.dirs": str(data_dir / "kraft"),
        "num.partitions": "1",
        "default.replication.factor": "1",
        "auto.create.topics.enable": "false",
        "min.insync.replicas": "1",
        "offsets.topic.replication.factor": "1",
        "offsets.topic.num.partitions": "1",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "transaction.state.log.num.partitions": "1",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
        "group.initial.rebalance.delay.ms": "0",
        # After a SIGKILL the restarted controller refuses the broker's new registration until
        # the old session times out (9 s by default): keep that wait short.
        "broker.session.timeout.ms": "4000",
        "broker.heartbeat.interval.ms": "1000",
        "num.network.threads": "2",
        "num.io.threads": "2",
        "num.recovery.threads.per.data.dir": "1",
        "log.cleaner.threads": "1",
        "log.cleaner.dedupe.buffer.size": str(16 * 1024 * 1024),
    }
    jaas = (
        "org.apache.kafka.common.security.plain.PlainLoginModule required "
        f'username="{SASL_USER}" password="{SASL_PASSWORD}" '
        f'user_{SASL_USER}="{SASL_PASSWORD}";'
    )
    if sasl_listeners:
        props["sasl.enabled.mechanisms"] = "PLAIN"
    for name in sasl_listeners:
        props[f"listener.name.{name}.sasl.enabled.mechanisms"] = "PLAIN"
        props[f"listener.name.{name}.plain.sasl.jaas.config"] = jaas
    if ssl_port is not None:
        props["listener.name.sasl_ssl.ssl.keystore.type"] = "PEM"
        props["listener.name.sasl_ssl.ssl.keystore.location"] = str(data_dir / "tls" / "broker.pem")
    return "".join(f"{key}={value}\n" for key, value in props.items())


def _cluster_id() -> str:
    """A random id as Kafka makes them: URL-safe base64, never starting with '-' (an option)."""
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
        if not cluster_id.startswith("-"):
            return cluster_id


def _metadata_ready(port: int, timeout: float = 2.0) -> bool:
    """Whether the broker answers a Metadata request (v4) naming itself and a controller."""
    client_id = b"local_kafka"
    body = struct.pack(">hhih", 3, 4, 1, len(client_id)) + client_id + struct.pack(">ib", -1, 0)
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
            sock.sendall(struct.pack(">i", len(body)) + body)
            size = struct.unpack(">i", _recv_exactly(sock, 4))[0]
            reply = _recv_exactly(sock, size)
    except OSError:
        return False
    try:
        return _names_self_and_controller(reply)
    except struct.error:
        return False


def _names_self_and_controller(reply: bytes) -> bool:
    # correlation id, throttle ms, then the brokers array: [node id, host, port, rack]...
    correlation, _throttle, count = struct.unpack_from(">iii", reply, 0)
    offset, nodes = 12, []
    for _ in range(count):
        node_id, host_len = struct.unpack_from(">ih", reply, offset)
        offset += 6 + host_len + 4
        rack_len = struct.unpack_from(">h", reply, offset)[0]
        offset += 2 + max(rack_len, 0)
        nodes.append(node_id)
    cluster_len = struct.unpack_from(">h", reply, offset)[0]
    offset += 2 + max(cluster_len, 0)
    controller = struct.unpack_from(">i", reply, offset)[0]
    return correlation == 1 and NODE_ID in nodes and controller != -1


def _recv_exactly(sock: socket.socket, size: int) -> bytes:
    chunks, left = [], size
    while left:
        chunk = sock.recv(left)
        if not chunk:
            raise ConnectionError("broker closed the connection")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


_LIVE: set[Broker] = set()
_TEMP_DIRS: list[Path] = []


@atexit.register
def _cleanup() -> None:
    for broker in list(_LIVE):
        with contextlib.suppress(Exception):
            broker.stop(timeout=10)
    for path in _TEMP_DIRS:
        shutil.rmtree(path, ignore_errors=True)


class Broker:
    """A running (or stopped) local broker: one java process in its own process group."""

    def __init__(
        self,
        data_dir: Path,
        port: int,
        controller_port: int,
        sasl_port: int | None = None,
        ssl_port: int | None = None,
        *,
        owns_data_dir: bool = False,
    ) -> None:
        self.data_dir = data_dir
        self.port = port
        self.controller_port = controller_port
        self.sasl_port = sasl_port
        self.ssl_port = ssl_port
        self.log_path = data_dir / "broker.log"
        self._owns_data_dir = owns_data_dir
        self._proc: subprocess.Popen[bytes] | None = None
        self._watchdog: subprocess.Popen[bytes] | None = None
        self._cds_pending: Path | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def sasl_bootstrap(self) -> str | None:
        return None if self.sasl_port is None else f"127.0.0.1:{self.sasl_port}"

    @property
    def ssl_bootstrap(self) -> str | None:
        """host:port of the SASL_SSL listener (PLAIN), if there is one."""
        return None if self.ssl_port is None else f"127.0.0.1:{self.ssl_port}"

    @property
    def ssl_cafile(self) -> Path | None:
        """The CA certificate that signed the SASL_SSL listener's certificate (PEM)."""
        return None if self.ssl_port is None else self.data_dir / "tls" / "ca.pem"

    @property
    def pid(self) -> int | None:
        return None if self._proc is None else self._proc.pid

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def launch(self, timeout: float = START_TIMEOUT) -> None:
        """Format the storage if new, start java and wait until the broker serves requests."""
        if self.running:
            raise LocalKafkaError(f"broker on {self.bootstrap} is already running")
        lib = ensure_jars()
        java = _java()
        if self.ssl_port is not None:
            make_tls(self.data_dir / "tls")
        props = self.data_dir / "server.properties"
        props.write_text(
            _server_properties(
                self.data_dir, self.port, self.controller_port, self.sasl_port, self.ssl_port
            )
        )
        ports = {"port": self.port, "controller_port": self.controller_port}
        (self.data_dir / "ports.json").write_text(
            json.dumps({**ports, "sasl_port": self.sasl_port, "ssl_port": self.ssl_port})
        )
        cds, self._cds_pending = _class_data_sharing(java)
        jars = ":".join(sorted(str(jar) for jar in lib.glob("*.jar")))  # same order for CDS
        classpath = [*cds, "-cp", jars, f"-Dlog4j2.configurationFile={LOG4J_CONFIG}"]
        with self.log_path.open("ab") as log:
            if not (self.data_dir / "kraft" / "meta.properties").is_file():
                tool = "kafka.tools.StorageTool"
                cmd = [java, *JVM_OPTS, *classpath, tool, "format", "-t", _cluster_id()]
                done = subprocess.run([*cmd, "-c", str(props)], stdout=log, stderr=log, check=False)
                if done.returncode != 0:
                    raise LocalKafkaError(
                        f"formatting {self.data_dir} failed:\n{_tail(self.log_path)}"
                    )
            self._proc = subprocess.Popen(
                [java, *JVM_OPTS, *classpath, "kafka.Kafka", str(props)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,  # own process group: no stray Ctrl-C, one kill for all
            )
        self._watchdog = subprocess.Popen(
            [
                sys.executable,
                "-I",
                "-c",
                _WATCHDOG,
                str(self._proc.pid),
                *([str(self.data_dir)] if self._owns_data_dir else []),
            ],
            stdin=subprocess.PIPE,
            start_new_session=True,
        )
        _LIVE.add(self)
        self._wait_ready(timeout)

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc is None or self._proc.poll() is not None:
                code = None if self._proc is None else self._proc.returncode
                self._reap()
                raise LocalKafkaError(
                    f"broker exited ({code}) while starting; {self.log_path}:\n"
                    f"{_tail(self.log_path)}"
                )
            if _metadata_ready(self.port):
                return
            time.sleep(0.1)
        self.kill()
        raise LocalKafkaError(
            f"broker not ready on {self.bootstrap} after {timeout:.0f}s; {self.log_path}:\n"
            f"{_tail(self.log_path)}"
        )

    def wait(self) -> int:
        """Block until the broker exits; return its exit code."""
        if self._proc is None:
            raise LocalKafkaError("broker was never started")
        return self._proc.wait()

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """Shut down cleanly (SIGTERM, wait); SIGKILL if it takes longer than `timeout`."""
        clean = self._signal(signal.SIGTERM)
        if self._proc is not None:
            try:
                self._proc.wait(timeout)
            except subprocess.TimeoutExpired:
                clean = False
                self._signal(signal.SIGKILL)
                self._proc.wait()
        self._reap(publish_cds=clean)

    def kill(self) -> None:
        """Die at once (SIGKILL), as a crashed broker would."""
        self._signal(signal.SIGKILL)
        if self._proc is not None:
            self._proc.wait()
        self._reap()

    def restart(self, timeout: float = START_TIMEOUT) -> None:
        """Stop if running, then start again on the same ports with the same data."""
        if self.running:
            self.stop()
        self.launch(timeout)

    def close(self) -> None:
        """Stop, and remove the data dir if this handle made it."""
        self.stop()
        if self._owns_data_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def _signal(self, signum: signal.Signals) -> bool:
        if self._proc is None or self._proc.poll() is not None:
            return False
        try:
            os.killpg(self._proc.pid, signum)
        except ProcessLookupError:
            return False
        return True

    def _reap(self, *, publish_cds: bool = False) -> None:
        pending, self._cds_pending = self._cds_pending, None
        if pending is not None:
            # The JVM writes the archive as it exits; only one that exited cleanly wrote it whole.
            if publish_cds and pending.is_file():
                os.replace(pending, pending.with_name(pending.name.split(".jsa.", 1)[0] + ".jsa"))
            else:
                pending.unlink(missing_ok=True)
        if self._watchdog is not None:
            assert self._watchdog.stdin is not None
            with contextlib.suppress(BrokenPipeError):
                self._watchdog.stdin.write(b"x")  # disarm: we stopped it ourselves
            with contextlib.suppress(BrokenPipeError):
                self._watchdog.stdin.close()
            self._watchdog.wait()
            self._watchdog = None
        _LIVE.discard(self)

    def __enter__(self) -> Broker:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<Broker {self.bootstrap} {state} data={self.data_dir}>"


def start(
    port: int | None = None,
    data_dir: Path | None = None,
    sasl_port: int | None = None,
    ssl_port: int | None = None,
    timeout: float = START_TIMEOUT,
) -> Broker:
    """Start a single-node KRaft broker on 127.0.0.1 and return once it serves requests.

    Without `port` a free one is picked (a kept `data_dir` reuses its last ports if free).
    `sasl_port` adds a SASL_PLAINTEXT listener (PLAIN, streamer/streamer-secret); 0 picks a port.
    `ssl_port` adds a SASL_SSL listener (PLAIN, same user) whose certificate, for 127.0.0.1 and
    localhost, is signed by a throwaway CA made in the data dir (`Broker.ssl_cafile`).
    Without `data_dir` a temporary one is made, removed by `Broker.close()` or at exit.
    """
    owns = data_dir is None
    data_dir = Path(tempfile.mkdtemp(prefix="streamer-kafka-")) if data_dir is None else data_dir
    data_dir = data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    if owns:
        _TEMP_DIRS.append(data_dir)
    last: LocalKafkaError | None = None
    for ports in _port_choices(port, sasl_port, ssl_port, data_dir):
        broker = Broker(data_dir, *ports, owns_data_dir=owns)
        try:
            broker.launch(timeout)
        except LocalKafkaError as err:
            # Another process may have taken a port picked as free: try others.
            if port is not None or "Address already in use" not in str(err):
                raise
            last = err
        else:
            return broker
    assert last is not None
    raise last


def _port_choices(
    port: int | None, sasl_port: int | None, ssl_port: int | None, data_dir: Path
) -> Iterator[tuple[int, int, int | None, int | None]]:
    """(client, controller, sasl, ssl) ports to try: the data dir's last ones if free, then new.

    For an optional listener, None means none and 0 means any port: its last one if known, else
    a new one beside the remembered client and controller ports.
    """
    saved = data_dir / "ports.json"
    if port is None and saved.is_file():
        last = json.loads(saved.read_text())
        names = ("port", "controller_port", "sasl_port", "ssl_port")
        fresh = (p for p in _free_ports(4) if p not in {last.get(name) for name in names})
        sasl, ssl = (
            (last.get(name) or next(fresh)) if asked == 0 else asked
            for asked, name in ((sasl_port, "sasl_port"), (ssl_port, "ssl_port"))
        )
        ports = (last["port"], last["controller_port"], sasl, ssl)
        if all(_bindable(p) for p in ports if p is not None):
            yield ports
    for _ in range(3):
        picked = [p for p in _free_ports(7) if p not in (port, sasl_port, ssl_port)]
        sasl = picked[2] if sasl_port == 0 else sasl_port
        ssl = picked[3] if ssl_port == 0 else ssl_port
        yield (picked[0] if port is None else port), picked[1], sasl, ssl


def _bindable(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def main(argv: list[str] | None = None) -> int:
    """Run one broker in the foreground until Ctrl-C or SIGTERM."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, help="client port (default: a free one)")
    parser.add_argument(
        "--data-dir", type=Path, help="keep data here across runs (default: a temp dir)"
    )
    parser.add_argument(
        "--sasl-port",
        type=int,
        help=f"also listen with SASL PLAIN, user {SASL_USER}/{SASL_PASSWORD} (0: a free port)",
    )
    parser.add_argument(
        "--ssl-port",
        type=int,
        help="also listen with SASL_SSL (PLAIN, same user) under a throwaway CA (0: a free port)",
    )
    args = parser.parse_args(argv)

    def on_term(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)  # also when started with SIGINT ignored (`cmd &`)
    started = time.monotonic()
    try:
        broker = start(args.port, args.data_dir, args.sasl_port, args.ssl_port)
    except LocalKafkaError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    print(f"bootstrap: {broker.bootstrap}", flush=True)
    if broker.sasl_bootstrap:
        print(f"sasl_bootstrap: {broker.sasl_bootstrap}", flush=True)
    if broker.ssl_bootstrap:
        print(f"ssl_bootstrap: {broker.ssl_bootstrap}", flush=True)
        print(f"ssl_cafile: {broker.ssl_cafile}", flush=True)
    print(
        f"kafka {kafka_version()} ready in {time.monotonic() - started:.1f}s; "
        f"log: {broker.log_path}; Ctrl-C stops it",
        file=sys.stderr,
    )
    try:
        code = broker.wait()
    except KeyboardInterrupt:
        print("stopping", file=sys.stderr)
        if args.data_dir is None:
            broker.close()
        else:
            broker.stop()
        return 0
    print(f"broker exited ({code}):\n{_tail(broker.log_path)}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
