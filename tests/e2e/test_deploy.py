"""The deployment files say what the README and SECURITY.md promise.

The compose files are resolved by `docker-compose config` and the Kubernetes manifests built by
`kubectl kustomize` (both offline; skipped where the tool is missing, and `.ci/run` installs both),
then read as an operator would: safe defaults, pinned images, probes, secrets from Secrets, and
settings the service accepts.
"""

from __future__ import annotations

import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from service.knowledge.loader import load_knowledge
from service.rules.loader import REASONS_FILE, TEST_SUFFIX, load_rule_set
from service.settings import Settings, load_settings
from service.store.store import CLOSE_TIMEOUT_SECONDS
from tests.support.configmap_support import mount_configmap
from tests.support.paths import ROOT
from tests.support.rules_support import shipped_rule_count

PROJECT_VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
COMPOSE = shutil.which("docker-compose")
KUBECTL = shutil.which("kubectl") or shutil.which("kubectl", path=str(ROOT / ".venv-tools" / "bin"))
RULES_MOUNT = "/etc/bzra-cds/rules"
TRIAL_FHIR = "http://fhir:8080/fhir"

needs_compose = pytest.mark.skipif(COMPOSE is None, reason="docker-compose is not installed (.ci/run installs it)")
needs_kubectl = pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed (.ci/run installs it)")


def settings_from(environment: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The settings the service would read from that container environment."""
    for name, value in environment.items():
        monkeypatch.setenv(name, str(value))
    return load_settings()


# --- compose --------------------------------------------------------------------------------------


def env_file(tmp_path: Path, **values: str) -> Path:
    """.env.example as an operator fills it in: the required secrets set, the rest as shipped."""
    lines = (ROOT / ".env.example").read_text().splitlines()
    filled = [f"{line}{values[line[:-1]]}" if line.endswith("=") and line[:-1] in values else line for line in lines]
    path = tmp_path / ".env"
    path.write_text("\n".join(filled) + "\n")
    return path


def compose_config(env: Path, *files: str) -> subprocess.CompletedProcess:
    options = [item for name in files for item in ("-f", str(ROOT / name))]
    return subprocess.run(
        [COMPOSE, "--project-directory", str(ROOT), "--env-file", str(env), *options, "config"],
        capture_output=True, text=True, timeout=60,
    )


def resolved(env: Path, *files: str) -> dict[str, Any]:
    result = compose_config(env, *files)
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)["services"]


SECRETS = {"BZRA_AUDIT_SECRET": "a" * 64, "BZRA_DB_PASSWORD": "b" * 48, "HAPI_DB_PASSWORD": "c" * 48}


def assert_pinned(services: dict[str, Any]) -> None:
    for name, service in services.items():
        image, _, tag = service["image"].rpartition(":")
        assert image and tag and tag != "latest", f"{name}: {service['image']}"


@needs_compose
def test_production_compose_refuses_to_start_without_its_secrets(tmp_path: Path) -> None:
    result = compose_config(env_file(tmp_path), "docker-compose.yml")
    assert result.returncode != 0
    assert "set BZRA_AUDIT_SECRET in .env" in result.stderr


@needs_compose
def test_production_compose_is_safe_by_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    services = resolved(env_file(tmp_path, **SECRETS), "docker-compose.yml")
    assert set(services) == {"bzra-cds", "bzra-db"}
    service = services["bzra-cds"]
    settings = settings_from(service["environment"], monkeypatch)
    assert not settings.insecure_dev and not settings.demo  # JWT on
    assert settings.audit_secret == SECRETS["BZRA_AUDIT_SECRET"]
    assert settings.fhir_server_allowlist == ["https://ehr.hospital.example/fhir/R4"]  # one entry
    assert [issuer.iss for issuer in settings.trusted_issuers] == ["https://ehr.hospital.example"]
    assert settings.admin_token is None  # unset: admin endpoints disabled
    assert settings.database_url and "@bzra-db:5432/bzra" in settings.database_url

    assert all(port.startswith("127.0.0.1:") for port in service["ports"])
    assert "ports" not in services["bzra-db"]
    assert_pinned(services)
    assert service["image"] == f"bzra-cds:{PROJECT_VERSION}"
    assert all("healthcheck" in s for s in services.values())
    assert service["depends_on"] == {"bzra-db": {"condition": "service_healthy"}}
    assert service["read_only"] is True and service["cap_drop"] == ["ALL"]


@needs_compose
def test_your_own_rules_are_mounted_read_only_where_the_service_reads_them(tmp_path: Path) -> None:
    own = tmp_path / "our-rules"
    path = env_file(tmp_path, **SECRETS)  # BZRA_RULES_PATH is commented out there: an operator adds it
    path.write_text(path.read_text() + f"BZRA_RULES_PATH={own}\n")
    services = resolved(path, "docker-compose.yml")
    service = services["bzra-cds"]
    assert service["environment"]["BZRA_RULES_DIR"] == RULES_MOUNT
    assert f"{own}:{RULES_MOUNT}:ro" in service["volumes"]


@needs_compose
def test_the_trial_override_is_the_open_setup_and_publishes_only_bzra_cds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    services = resolved(env_file(tmp_path, **SECRETS), "docker-compose.yml", "docker-compose.trial.yml")
    assert set(services) == {"bzra-cds", "bzra-db", "fhir", "fhir-db"}
    settings = settings_from(services["bzra-cds"]["environment"], monkeypatch)
    assert settings.insecure_dev and settings.demo
    assert settings.fhir_server_allowlist == [TRIAL_FHIR]  # the HAPI service on the compose network
    assert [name for name, s in services.items() if s.get("ports")] == ["bzra-cds"]
    assert all(port.startswith("127.0.0.1:") for port in services["bzra-cds"]["ports"])
    assert_pinned(services)
    assert services["fhir"]["depends_on"] == {"fhir-db": {"condition": "service_healthy"}}
    assert "healthcheck" in services["fhir-db"]
    assert services["fhir"]["environment"]["spring.datasource.url"] == "jdbc:postgresql://fhir-db:5432/hapi"


# --- Kubernetes -----------------------------------------------------------------------------------


def kustomize(directory: str) -> list[dict[str, Any]]:
    result = subprocess.run([KUBECTL, "kustomize", str(ROOT / directory)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def by_kind(docs: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [doc for doc in docs if doc["kind"] == kind]


def test_the_rules_kustomization_lists_every_rule_file() -> None:
    listed = yaml.safe_load((ROOT / "rules" / "Kustomization").read_text())["configMapGenerator"][0]["files"]
    shipped = [p.name for p in (ROOT / "rules").glob("*.yaml") if not p.name.endswith(TEST_SUFFIX)]
    assert sorted(listed) == sorted(shipped), "add the new rule file to rules/Kustomization"
    assert REASONS_FILE in listed


@needs_kubectl
def test_the_deployment_runs_as_the_issue_asks() -> None:
    docs = kustomize("deploy/kubernetes/base")
    assert {doc["kind"] for doc in docs} >= {"Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget", "NetworkPolicy", "ConfigMap"}
    pod = by_kind(docs, "Deployment")[0]["spec"]["template"]["spec"]
    [migrate] = pod["initContainers"]
    assert migrate["command"] == ["bzra-cds", "migrate"]
    [container] = pod["containers"]
    assert container["image"] == f"bzra-cds:{PROJECT_VERSION}"
    env = {item["name"]: item for item in container["env"]}
    assert env["BZRA_MIGRATE_ON_START"]["value"] == "false"
    for name in ("BZRA_AUDIT_SECRET", "BZRA_DATABASE_URL", "BZRA_ADMIN_TOKEN"):
        assert env[name]["valueFrom"]["secretKeyRef"]["name"] == "bzra-cds", name
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert "startupProbe" in container
    assert set(container["resources"]) == {"requests", "limits"}

    pre_stop = int(container["lifecycle"]["preStop"]["exec"]["command"][-1])
    shutdown = float(env["BZRA_SHUTDOWN_TIMEOUT_SECONDS"]["value"])
    assert pod["terminationGracePeriodSeconds"] > pre_stop + shutdown + CLOSE_TIMEOUT_SECONDS

    assert pod["securityContext"]["runAsNonRoot"] is True and isinstance(pod["securityContext"]["runAsUser"], int)
    for each in (migrate, container):
        assert each["securityContext"]["readOnlyRootFilesystem"] is True
        assert each["securityContext"]["allowPrivilegeEscalation"] is False
    volumes = {volume["name"]: volume for volume in pod["volumes"]}
    mounts = {mount["mountPath"]: mount["name"] for mount in container["volumeMounts"]}
    for writable in (env["BZRA_DATA_DIR"]["value"], "/tmp"):
        assert "emptyDir" in volumes[mounts[writable]], writable
    assert mounts[env["BZRA_RULES_DIR"]["value"]] == "rules"


@needs_kubectl
def test_the_rules_configmap_rolls_the_pods_and_loads_as_a_volume(tmp_path: Path) -> None:
    docs = kustomize("deploy/kubernetes/base")
    pod = by_kind(docs, "Deployment")[0]["spec"]["template"]["spec"]
    rules_map = next(v for v in pod["volumes"] if v["name"] == "rules")["configMap"]["name"]
    assert rules_map.startswith("bzra-cds-rules-")  # a content hash: a changed rule rolls the pods
    [config_map] = [doc for doc in by_kind(docs, "ConfigMap") if doc["metadata"]["name"] == rules_map]

    volume = tmp_path / "rules"
    mount_configmap(volume, config_map["data"])
    rule_set, problems = load_rule_set(volume, load_knowledge())
    assert problems == [] and rule_set is not None and len(rule_set.rules) == shipped_rule_count()


@needs_kubectl
@pytest.mark.parametrize("directory", ["deploy/kubernetes/base", "deploy/kubernetes/overlays/example"])
def test_the_settings_configmap_holds_settings_the_service_accepts(
    directory: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = kustomize(directory)
    [config_map] = [doc for doc in by_kind(docs, "ConfigMap") if doc["metadata"]["name"].startswith("bzra-cds-settings-")]
    path = tmp_path / "settings.yaml"
    path.write_text(config_map["data"]["settings.yaml"])
    settings = settings_from({"BZRA_SETTINGS_FILE": str(path)}, monkeypatch)
    assert not settings.insecure_dev and settings.log_format == "json"
    pod = by_kind(docs, "Deployment")[0]["spec"]["template"]["spec"]
    assert next(v for v in pod["volumes"] if v["name"] == "settings")["configMap"]["name"] == config_map["metadata"]["name"]


@needs_kubectl
def test_the_example_ingress_publishes_no_internal_endpoint() -> None:
    [ingress] = by_kind(kustomize("deploy/kubernetes/overlays/example"), "Ingress")
    prefixes = [path["path"] for rule in ingress["spec"]["rules"] for path in rule["http"]["paths"]]
    assert "/cds-services" in prefixes
    internal = ("/metrics", "/docs", "/redoc", "/openapi.json", "/healthz", "/readyz", "/admin/report", "/")
    for path in internal:
        assert not any(path == p or path.startswith(p.rstrip("/") + "/") for p in prefixes), path
    assert ingress["spec"]["tls"], "TLS in front of the service"
