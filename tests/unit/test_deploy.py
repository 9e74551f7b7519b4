"""Static checks of the deploy files: compose, Kubernetes manifests, Dockerfile, and that every
command they run is a real `streamer` subcommand. Offline: no Docker engine, no cluster.

Needs `docker-compose` (Debian: `apt-get install -y docker-compose`) for the compose check and
`kubernetes-validate` (PyPI, bundles the Kubernetes JSON schemas) for the manifest schema check.
"""

from __future__ import annotations

import copy
import fnmatch
import json
import os
import re
import shlex
import shutil
import subprocess
from dataclasses import fields
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
K8S = ROOT / "deploy" / "k8s"
# Oldest Kubernetes minor the manifests must validate against (strict: unknown fields fail).
K8S_VERSION = "1.29"
# In deploy/k8s but deliberately not in kustomization.yaml (see the comments in each).
K8S_APPLIED_BY_HAND = {"secret.example.yaml", "topics-job.yaml"}
STREAMER_IMAGE = "streamer:local"


# --------------------------------------------------------------------------------------------
# helpers


def _load(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


@cache
def _compose() -> dict[str, Any]:
    return dict(_load(COMPOSE))


@cache
def _k8s_docs() -> tuple[tuple[str, dict[str, Any]], ...]:
    docs = []
    for path in sorted(K8S.glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        for doc in yaml.safe_load_all(path.read_text()):
            if doc:
                docs.append((path.name, doc))
    return tuple(docs)


def _k8s(kind: str, name: str | None = None) -> dict[str, Any]:
    found = [
        d
        for _, d in _k8s_docs()
        if d["kind"] == kind and (name is None or d["metadata"]["name"] == name)
    ]
    assert len(found) == 1, f"expected one {kind} {name or ''} in deploy/k8s, found {len(found)}"
    return found[0]


def _dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    logical: list[str] = []
    buf = ""
    for raw in DOCKERFILE.read_text().splitlines():
        line = raw.strip()
        if not buf and (not line or line.startswith("#")):
            continue
        if buf and line.startswith("#"):
            continue
        if line.endswith("\\"):
            buf += line[:-1] + " "
            continue
        logical.append(buf + line)
        buf = ""
    if buf:
        logical.append(buf)
    out = []
    for line in logical:
        word, _, rest = line.partition(" ")
        out.append((word.upper(), rest.strip()))
    return out


def _final_stage() -> list[tuple[str, str]]:
    instrs = _dockerfile_instructions()
    last_from = max(i for i, (word, _) in enumerate(instrs) if word == "FROM")
    return instrs[last_from:]


def _exec_form(args: str) -> list[str]:
    try:
        value = json.loads(args)
    except json.JSONDecodeError:
        value = None
    # Shell form would run under /bin/sh, which then gets SIGTERM instead of streamer.
    assert isinstance(value, list), f"not exec (JSON) form: {args}"
    return [str(v) for v in value]


def _dockerignored(rel: str) -> bool:
    """Whether .dockerignore keeps `rel` out of the build context (last matching rule wins)."""
    rules = [
        line.strip()
        for line in DOCKERIGNORE.read_text().splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]
    parts = rel.strip("/").split("/")
    candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    ignored = False
    for rule in rules:
        negate = rule.startswith("!")
        pattern = rule[1:] if negate else rule
        pattern = pattern.strip("/")
        for cand in candidates:
            if fnmatch.fnmatchcase(cand, pattern) or (
                pattern.startswith("**/") and fnmatch.fnmatchcase(cand.split("/")[-1], pattern[3:])
            ):
                ignored = not negate
                break
    return ignored


def _compose_binary() -> str:
    binary = shutil.which("docker-compose")
    if binary is None:
        pytest.skip("docker-compose not installed (CI: apt-get install -y docker-compose)")
    return binary


def _compose_config(binary: str, path: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COMPOSE_", "DOCKER_"))}
    return subprocess.run(
        [binary, "--project-directory", str(path.parent), "-f", str(path), "config", "-q"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )


def _streamer_services() -> dict[str, dict[str, Any]]:
    return {n: s for n, s in _compose()["services"].items() if s.get("image") == STREAMER_IMAGE}


def _deploy_commands() -> dict[str, list[str]]:
    """Every `streamer` argv the image, compose stack and manifests run or document."""
    cmds: dict[str, list[str]] = {}
    final = _final_stage()
    for word, args in final:
        if word == "CMD":
            cmds["Dockerfile CMD"] = _exec_form(args)
        if word == "HEALTHCHECK":
            exec_part = args.split(" CMD ", 1)[1]
            argv = _exec_form(exec_part)
            assert argv[0] == "streamer"
            cmds["Dockerfile HEALTHCHECK"] = argv[1:]
    for name, svc in _streamer_services().items():
        if "command" in svc:
            cmd = svc["command"]
            cmds[f"compose {name} command"] = shlex.split(cmd) if isinstance(cmd, str) else cmd
        test = svc.get("healthcheck", {}).get("test")
        if test and test[0] == "CMD":
            assert test[1] == "streamer", f"compose {name} healthcheck runs {test[1:]}"
            cmds[f"compose {name} healthcheck"] = test[2:]
    for m in re.finditer(r"docker compose run --rm streamer ([^#\n]+)", COMPOSE.read_text()):
        cmds[f"compose doc: {m.group(0).strip()}"] = shlex.split(m.group(1))
    container = _k8s("Deployment", "streamer-worker")["spec"]["template"]["spec"]["containers"][0]
    cmds["k8s Deployment args"] = list(container.get("args", []))
    serve = _k8s("Deployment", "streamer-serve")["spec"]["template"]["spec"]["containers"][0]
    cmds["k8s serve Deployment args"] = list(serve.get("args", []))
    return cmds


# --------------------------------------------------------------------------------------------
# (a) docker-compose


def test_compose_file_is_valid_for_docker_compose() -> None:
    result = _compose_config(_compose_binary(), COMPOSE)
    assert result.returncode == 0, result.stderr


def test_compose_check_rejects_a_broken_file(tmp_path: Path) -> None:
    # The check above can fail: a misspelt depends_on condition is refused.
    broken = tmp_path / "docker-compose.yml"
    broken.write_text(COMPOSE.read_text().replace("service_healthy", "service_healthyy", 1))
    result = _compose_config(_compose_binary(), broken)
    assert result.returncode != 0
    assert "service_healthyy" in result.stderr


def test_compose_kafka_is_a_pinned_kraft_broker_with_a_healthcheck() -> None:
    kafka = _compose()["services"]["kafka"]
    image, _, tag = kafka["image"].partition(":")
    assert image == "apache/kafka"
    assert re.fullmatch(r"4\.\d+\.\d+", tag), f"pin an exact 4.x tag, not {tag!r}"
    env = kafka["environment"]
    assert "broker" in env["KAFKA_PROCESS_ROLES"]
    assert "controller" in env["KAFKA_PROCESS_ROLES"]
    assert not any("ZOOKEEPER" in k for k in env)
    assert "kafka-broker-api-versions" in " ".join(kafka["healthcheck"]["test"])
    assert "127.0.0.1:9092:9092" in kafka["ports"] or "9092:9092" in kafka["ports"]


def test_compose_kafka_matches_the_integration_test_broker() -> None:
    pom = ROOT / "deploy" / "kafka" / "pom.xml"
    if not pom.exists():
        pytest.skip("deploy/kafka/pom.xml not present")
    m = re.search(r"<kafka\.version>([^<]+)</kafka\.version>", pom.read_text())
    assert m
    assert _compose()["services"]["kafka"]["image"] == f"apache/kafka:{m.group(1)}"


def test_compose_workers_reach_kafka_on_an_advertised_listener() -> None:
    advertised = _compose()["services"]["kafka"]["environment"]["KAFKA_ADVERTISED_LISTENERS"]
    addresses = {entry.split("://", 1)[1] for entry in advertised.split(",")}
    for name, svc in _streamer_services().items():
        assert svc["environment"]["STREAMER_BOOTSTRAP_SERVERS"] in addresses, name


def test_compose_init_creates_the_topics_the_workers_use() -> None:
    from streamer.kafka.topics import topic_specs
    from streamer.settings import Settings

    services = _compose()["services"]
    init, worker = services["kafka-init"], services["streamer"]
    assert init["command"] == ["topics", "create"]
    assert init["build"] == worker["build"]
    # Same settings as the workers: the topics it creates are the ones they use.
    assert init["environment"] == worker["environment"]
    assert worker["command"] == ["run", "--create-topics"]
    env = worker["environment"]
    assert int(env["STREAMER_TOPIC_PARTITIONS"]) == 6
    # The stack uses the same names as a worker started with no configuration at all.
    defaults = Settings()
    assert env["STREAMER_INPUT_TOPIC"] == defaults.input_topic
    assert env["STREAMER_OUTPUT_TOPIC"] == defaults.output_topic
    assert env["STREAMER_DLQ_TOPIC"] == defaults.dlq_topic
    # 5 MiB snapshots must fit in the input topic, the DLQ and the broker.
    limit = defaults.max_snapshot_bytes
    assert int(services["kafka"]["environment"]["KAFKA_MESSAGE_MAX_BYTES"]) > limit
    for spec in topic_specs(defaults):
        if spec.role in ("input", "dlq"):
            assert int(spec.config["max.message.bytes"]) > limit, spec.name


def test_compose_worker_starts_after_kafka_and_runs_read_only() -> None:
    services = _compose()["services"]
    worker = services["streamer"]
    assert worker["build"]["dockerfile"] == "deploy/Dockerfile"
    assert worker["depends_on"]["kafka"]["condition"] == "service_healthy"
    assert worker["depends_on"]["kafka-init"]["condition"] == "service_completed_successfully"
    assert worker["read_only"] is True
    assert "/tmp" in worker["tmpfs"]
    assert worker["healthcheck"]["test"] == ["CMD", "streamer", "health"]
    assert services["kafka-init"]["depends_on"]["kafka"]["condition"] == "service_healthy"
    demo = services["demo-publisher"]
    assert demo["command"] == ["publish", "/app/examples"]
    assert demo["depends_on"]["streamer"]["condition"] == "service_healthy"
    assert demo["restart"] == "no"
    # Same build as the worker: compose must not try to pull a local-only image.
    assert demo["build"] == worker["build"]


def test_compose_serve_publishes_8080_and_checks_its_own_readiness() -> None:
    services = _compose()["services"]
    serve, worker = services["serve"], services["streamer"]
    assert serve["command"] == ["serve"]
    assert serve["build"] == worker["build"]
    env = serve["environment"]
    assert env["STREAMER_OUTPUT_TOPIC"] == worker["environment"]["STREAMER_OUTPUT_TOPIC"]
    assert env["STREAMER_SERVE_HOST"] == "0.0.0.0"  # reachable through the published port
    port = env["STREAMER_SERVE_PORT"]
    assert f"127.0.0.1:8080:{port}" in serve["ports"]
    assert serve["healthcheck"]["test"] == ["CMD", "streamer", "health", "--url",
                                            f"http://127.0.0.1:{port}/ready"]
    assert serve["depends_on"]["kafka-init"]["condition"] == "service_completed_successfully"
    assert serve["read_only"] is True
    assert "/tmp" in serve["tmpfs"]


# --------------------------------------------------------------------------------------------
# (b) Kubernetes manifests


def _k8s_ids() -> list[str]:
    return [f"{f}:{d['kind']}/{d['metadata']['name']}" for f, d in _k8s_docs()]


@pytest.mark.parametrize("doc", [d for _, d in _k8s_docs()], ids=_k8s_ids())
def test_k8s_manifest_matches_the_kubernetes_schema(doc: dict[str, Any]) -> None:
    kv = pytest.importorskip("kubernetes_validate", reason="pip install kubernetes-validate")
    try:
        kv.validate(doc, K8S_VERSION, strict=True)
    except kv.ValidationError as exc:
        where = ".".join(str(p) for p in exc.path)
        pytest.fail(f"{doc['kind']}/{doc['metadata']['name']}: {where}: {exc.message}")


def test_k8s_schema_check_catches_a_misspelt_field() -> None:
    kv = pytest.importorskip("kubernetes_validate", reason="pip install kubernetes-validate")
    broken = copy.deepcopy(_k8s("Deployment", "streamer-worker"))
    container = broken["spec"]["template"]["spec"]["containers"][0]
    container["readinesProbe"] = container.pop("readinessProbe")
    with pytest.raises(kv.ValidationError, match="readinesProbe"):
        kv.validate(broken, K8S_VERSION, strict=True)


def test_kustomization_lists_existing_manifests_and_nothing_is_forgotten() -> None:
    kustomization = _load(K8S / "kustomization.yaml")
    resources = kustomization["resources"]
    for name in resources:
        assert (K8S / name).is_file(), f"kustomization.yaml lists missing {name}"
    on_disk = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert on_disk - set(resources) == K8S_APPLIED_BY_HAND
    assert "secret.example.yaml" not in resources  # a placeholder must never be applied
    image_names = {i["name"] for i in kustomization["images"]}
    container = _k8s("Deployment", "streamer-worker")["spec"]["template"]["spec"]["containers"][0]
    assert container["image"].split(":")[0] in image_names


def test_k8s_deployment_is_hardened_and_probed() -> None:
    deploy = _k8s("Deployment", "streamer-worker")
    config = _k8s("ConfigMap", "streamer-config")["data"]
    pod = deploy["spec"]["template"]["spec"]
    (container,) = pod["containers"]

    replicas = deploy["spec"]["replicas"]
    assert replicas == 3
    assert replicas <= int(config["STREAMER_TOPIC_PARTITIONS"]), "idle workers past partitions"

    assert pod["securityContext"]["runAsNonRoot"] is True
    assert str(pod["securityContext"]["runAsUser"]) == _dockerfile_user().split(":")[0]
    sc = container["securityContext"]
    assert sc["readOnlyRootFilesystem"] is True
    assert sc["allowPrivilegeEscalation"] is False
    assert sc["capabilities"]["drop"] == ["ALL"]
    for key in ("cpu", "memory"):
        assert key in container["resources"]["requests"]
    assert "memory" in container["resources"]["limits"]

    # Read-only root: faust's data dir must be on the writable /tmp emptyDir.
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert "emptyDir" in volumes[mounts["/tmp"]]
    assert config["STREAMER_DATA_DIR"].startswith("/tmp/")

    # Probes hit /ready and /live on the port the worker listens on, on every interface.
    port = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert config["STREAMER_WEB_HOST"] == "0.0.0.0"
    for probe, path in (("readinessProbe", "/ready"), ("livenessProbe", "/live")):
        get = container[probe]["httpGet"]
        assert get["path"] == path
        assert port[get["port"]] == int(config["STREAMER_WEB_PORT"])


def test_k8s_config_and_secret_references_line_up() -> None:
    container = _k8s("Deployment", "streamer-worker")["spec"]["template"]["spec"]["containers"][0]
    (ref,) = container["envFrom"]
    config = _k8s("ConfigMap", ref["configMapRef"]["name"])["data"]
    assert all(k.startswith("STREAMER_") for k in config)
    assert not any("PASSWORD" in k for k in config), "passwords belong in the Secret"
    from streamer.settings import Settings

    known = {f"STREAMER_{f.name.upper()}" for f in fields(Settings)} | {"STREAMER_DATA_DIR"}
    assert set(config) <= known, f"unknown settings: {set(config) - known}"

    secret_refs = [e["valueFrom"]["secretKeyRef"] for e in container["env"] if "valueFrom" in e]
    secret = _k8s("Secret")
    for r in secret_refs:
        assert r["name"] == secret["metadata"]["name"]
        assert r["key"] in secret["stringData"]
    assert all("REPLACE-ME" in v for v in secret["stringData"].values())


def test_k8s_serve_runs_replicas_behind_a_service_on_its_probed_port() -> None:
    deploy, service = _k8s("Deployment", "streamer-serve"), _k8s("Service", "streamer-serve")
    assert deploy["spec"]["replicas"] >= 2
    template = deploy["spec"]["template"]
    labels = template["metadata"]["labels"].items()
    assert deploy["spec"]["selector"]["matchLabels"].items() <= labels
    assert service["spec"]["selector"].items() <= labels
    worker_labels = _k8s("Deployment", "streamer-worker")["spec"]["template"]["metadata"]["labels"]
    assert not service["spec"]["selector"].items() <= worker_labels.items()  # serve pods only
    (container,) = template["spec"]["containers"]
    assert container["args"] == ["serve"]
    env = {e["name"]: e.get("value") for e in container["env"]}
    (port,) = container["ports"]
    assert int(env["STREAMER_SERVE_PORT"]) == port["containerPort"]
    assert env["STREAMER_SERVE_HOST"] == "0.0.0.0"
    assert [p["targetPort"] for p in service["spec"]["ports"]] == [port["name"]]
    for probe, path in (("livenessProbe", "/live"), ("readinessProbe", "/ready")):
        assert container[probe]["httpGet"] == {"path": path, "port": port["name"]}
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert template["spec"]["securityContext"]["runAsNonRoot"] is True
    assert container["envFrom"] == [{"configMapRef": {"name": "streamer-config"}}]


def test_k8s_pdb_selects_the_workers() -> None:
    pdb = _k8s("PodDisruptionBudget")
    labels = _k8s("Deployment", "streamer-worker")["spec"]["template"]["metadata"]["labels"]
    assert pdb["spec"]["selector"]["matchLabels"].items() <= labels.items()


# --------------------------------------------------------------------------------------------
# (c) Dockerfile


def _dockerfile_user() -> str:
    users = [args for word, args in _final_stage() if word == "USER"]
    assert users, "final stage has no USER: the container would run as root"
    return users[-1]


def test_dockerfile_is_multi_stage_on_slim_python() -> None:
    instrs = _dockerfile_instructions()
    args = dict(a.split("=", 1) for w, a in instrs if w == "ARG" and "=" in a)
    froms = [a for w, a in instrs if w == "FROM"]
    assert len(froms) >= 2, "single-stage build ships the build tooling"
    base = froms[-1].split()[0]
    base = re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], base)
    assert base.startswith("python:3.11-slim"), base
    assert any(w == "COPY" and a.startswith("--from=") for w, a in _final_stage())


def test_dockerfile_runs_as_a_numeric_non_root_user() -> None:
    user = _dockerfile_user()
    uid = user.split(":")[0]
    assert uid not in ("root", "0")
    assert uid.isdigit(), "numeric UID, so Kubernetes runAsNonRoot can verify it"


def test_dockerfile_entrypoint_cmd_and_healthcheck() -> None:
    final = dict(_final_stage())
    assert _exec_form(final["ENTRYPOINT"]) == ["streamer"]
    assert _exec_form(final["CMD"]) == ["run"]
    health = final["HEALTHCHECK"]
    assert _exec_form(health.split(" CMD ", 1)[1]) == ["streamer", "health"]


def test_dockerfile_env_suits_a_read_only_container() -> None:
    env = " ".join(a for w, a in _final_stage() if w == "ENV")
    values = dict(re.findall(r"(\w+)=(\S+)", env))
    assert values["STREAMER_WEB_HOST"] == "0.0.0.0"
    assert values["STREAMER_DATA_DIR"].startswith("/tmp/")
    assert values["PYTHONDONTWRITEBYTECODE"] == "1"
    secrets = re.compile(r"PASSWORD|SECRET|TOKEN|_KEY\b", re.I)
    for word, args in _dockerfile_instructions():
        if word in ("ENV", "ARG"):
            assert not secrets.search(args), f"{word} {args}"


def test_dockerfile_copies_only_what_the_build_context_holds() -> None:
    copies = [a.split() for w, a in _dockerfile_instructions() if w == "COPY"]
    local = [c for c in copies if not any(x.startswith("--from=") for x in c)]
    assert local
    for parts in local:
        for src in [p for p in parts[:-1] if not p.startswith("--")]:
            assert (ROOT / src).exists(), f"COPY {src}: not in the repo"
            assert not _dockerignored(src), f"COPY {src}: excluded by .dockerignore"
    dests = {parts[-1].rstrip("/") for parts in local}
    assert "/app/examples" in dests
    for junk in (".git", "tests", ".venv", "deploy/kafka/target"):
        assert _dockerignored(junk), f"{junk} would be sent to the build context"


# --------------------------------------------------------------------------------------------
# (d) the commands the containers run are real subcommands


def test_deploy_commands_name_streamer_subcommands() -> None:
    from streamer.cli import main as cli

    cmds = _deploy_commands()
    seen = {argv[0] for argv in cmds.values()}
    assert {"run", "publish", "tail", "health"} <= seen
    for where, argv in cmds.items():
        assert argv, f"{where}: empty command"
        assert argv[0] in cli.COMMANDS, f"{where}: {argv}"


def test_deploy_commands_parse_with_the_real_cli() -> None:
    from streamer.cli import main as cli

    try:
        parser, _ = cli.make_parser()
    except ModuleNotFoundError as exc:
        modules = {module for module, _ in cli.COMMANDS.values()}
        if exc.name in modules:
            pytest.skip(f"subcommand module {exc.name} not written yet")
        raise
    help_text = parser.format_help()
    for where, argv in _deploy_commands().items():
        assert argv[0] in help_text, f"{argv[0]} missing from `streamer --help`"
        try:
            args = parser.parse_args(argv)
        except SystemExit:
            pytest.fail(f"{where}: `streamer {shlex.join(argv)}` is rejected by the CLI")
        assert args.command == argv[0]


def test_k8s_workers_do_not_create_topics_the_job_does() -> None:
    config = _k8s("ConfigMap")["data"]
    assert config["STREAMER_CREATE_TOPICS"] == "false"
    worker = _k8s("Deployment", "streamer-worker")["spec"]["template"]["spec"]["containers"][0]
    assert "--create-topics" not in worker["args"]
    job = yaml.safe_load((K8S / "topics-job.yaml").read_text())
    container = job["spec"]["template"]["spec"]["containers"][0]
    assert container["args"] == ["topics", "create"]
    assert container["image"] == worker["image"]
    assert container["envFrom"] == worker["envFrom"]


def test_k8s_workers_are_scraped_on_their_web_port() -> None:
    template = _k8s("Deployment", "streamer-worker")["spec"]["template"]
    notes = template["metadata"]["annotations"]
    port = template["spec"]["containers"][0]["ports"][0]["containerPort"]
    assert notes["prometheus.io/scrape"] == "true"
    web_port = _k8s("ConfigMap")["data"]["STREAMER_WEB_PORT"]
    assert notes["prometheus.io/port"] == str(port) == web_port
    assert notes["prometheus.io/path"] == "/metrics"
