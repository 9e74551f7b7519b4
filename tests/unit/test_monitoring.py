"""deploy/monitoring and the compose `monitoring` profile, checked without running anything:
promtool checks the rules and config and runs the alert tests; every metric the alerts and the
dashboard query is one the worker exports; the files compose mounts exist and fit together."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from streamer.kafka.metrics import worker_metrics

ROOT = Path(__file__).resolve().parents[2]
MONITORING = ROOT / "deploy" / "monitoring"
DASHBOARD = MONITORING / "grafana" / "dashboards" / "streamer.json"
ALERTS = MONITORING / "alerts.yml"


def _promtool() -> str:
    binary = shutil.which("promtool")
    if binary is None:
        pytest.skip("promtool not installed (CI: apt-get install -y prometheus)")
    return binary


def _run(*argv: str, cwd: Path = MONITORING) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=60, check=False)


def _compose() -> dict[str, Any]:
    return dict(yaml.safe_load((ROOT / "docker-compose.yml").read_text()))


def exported_names() -> set[str]:
    """Every sample name a worker's /metrics has (histograms' _bucket/_sum/_count included)."""
    families = worker_metrics().registry.collect()
    return {sample.name for family in families for sample in family.samples} | {
        family.name for family in worker_metrics().registry.collect()}


def queried_names() -> dict[str, set[str]]:
    exprs = {rule["alert"]: rule["expr"] for group in yaml.safe_load(ALERTS.read_text())["groups"]
             for rule in group["rules"]}
    for panel in json.loads(DASHBOARD.read_text())["panels"]:
        for target in panel["targets"]:
            exprs[f"panel {panel['title']} {target['refId']}"] = target["expr"]
    return {where: set(re.findall(r"\bstreamer_[a-z_]+\b", expr)) for where, expr in exprs.items()}


def test_alert_rules_are_valid_and_their_tests_pass() -> None:
    promtool = _promtool()
    checked = _run(promtool, "check", "rules", "alerts.yml")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    tested = _run(promtool, "test", "rules", "alerts.test.yml")
    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_alert_tests_can_fail(tmp_path: Path) -> None:
    promtool = _promtool()
    (tmp_path / "alerts.yml").write_text(ALERTS.read_text().replace("> 0.05", "> 0.5"))
    shutil.copy(MONITORING / "alerts.test.yml", tmp_path)
    assert _run(promtool, "test", "rules", "alerts.test.yml", cwd=tmp_path).returncode != 0


def test_prometheus_config_is_valid_with_the_rules_compose_mounts(tmp_path: Path) -> None:
    promtool = _promtool()
    prometheus = _compose()["services"]["prometheus"]
    mounts = dict(v.split(":")[:2] for v in prometheus["volumes"])
    config = yaml.safe_load((MONITORING / "prometheus.yml").read_text())
    for path in config["rule_files"]:  # the in-container path of each rule file is mounted
        source = next(src for src, dst in mounts.items() if dst == path)
        shutil.copy(ROOT / source, tmp_path / Path(path).name)
    config["rule_files"] = [Path(p).name for p in config["rule_files"]]
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
    checked = _run(promtool, "check", "config", "prometheus.yml", cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_alerts_and_dashboard_query_only_metrics_the_worker_exports() -> None:
    exported = exported_names()
    unknown = {where: names - exported for where, names in queried_names().items()
               if names - exported}
    assert unknown == {}
    queried = set().union(*queried_names().values())
    for required in ("streamer_events_total", "streamer_dlq_records_total",
                     "streamer_consumer_lag_records", "streamer_ready"):
        assert required in queried, required


def test_dashboard_uses_the_provisioned_data_source_and_folder() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    sources = yaml.safe_load(
        (MONITORING / "grafana" / "provisioning" / "datasources" / "prometheus.yml").read_text())
    uid = sources["datasources"][0]["uid"]
    for panel in dashboard["panels"]:
        assert panel["datasource"]["uid"] == uid, panel["title"]
    provider = yaml.safe_load(
        (MONITORING / "grafana" / "provisioning" / "dashboards" / "streamer.yml").read_text())
    grafana = _compose()["services"]["grafana"]
    mounts = dict(v.split(":")[:2] for v in grafana["volumes"])
    dashboards_dir = provider["providers"][0]["options"]["path"]
    assert (ROOT / next(s for s, d in mounts.items() if d == dashboards_dir) /
            DASHBOARD.name).is_file()


def test_monitoring_is_an_opt_in_profile_that_scrapes_the_worker() -> None:
    services = _compose()["services"]
    for name in ("prometheus", "grafana"):
        assert services[name]["profiles"] == ["monitoring"], name
    config = yaml.safe_load((MONITORING / "prometheus.yml").read_text())
    (target,) = config["scrape_configs"][0]["static_configs"][0]["targets"]
    host, port = target.split(":")
    assert host == "streamer"
    assert host in services
    assert f"127.0.0.1:{port}:{port}" in services["streamer"]["ports"]
    assert config["scrape_configs"][0]["metrics_path"] == "/metrics"


def test_compose_with_the_monitoring_profile_is_valid() -> None:
    binary = shutil.which("docker-compose")
    if binary is None:
        pytest.skip("docker-compose not installed (CI: apt-get install -y docker-compose)")
    result = _run(binary, "--project-directory", str(ROOT), "-f", str(ROOT / "docker-compose.yml"),
                  "--profile", "monitoring", "config", "-q", cwd=ROOT)
    assert result.returncode == 0, result.stderr
