"""Hot reload in the running service: a valid new set is swapped in, an invalid one is refused."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import httpx

from tests.support import builders as b
from tests.support.rules_support import SHIPPED
from tests.support.service_process import running_service, service_log


def wait_for(condition, timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("condition not met in time")


def rules_check(base: str) -> dict:
    return httpx.get(f"{base}/readyz").json()["checks"]["rules"]


def older_patient_request() -> dict:
    prefetch = b.full_prefetch()
    prefetch["patient"] = b.patient(birth_date="1950-01-01")
    return b.hook_request(prefetch=prefetch)


def test_rules_reload_without_restart_and_a_broken_set_keeps_the_last_good_one(tmp_path: Path) -> None:
    directory = tmp_path / "rules"
    shutil.copytree(SHIPPED, directory)
    with running_service("--insecure-dev", env={"BZRA_RULES_DIR": str(directory)}) as (base, process):
        first = rules_check(base)
        assert first["ok"] and first["rules"] == 11 and "problems" not in first

        def older_adult_fires() -> bool:
            body = httpx.post(f"{base}/cds-services/bzra-order-sign", json=older_patient_request(), timeout=10).json()
            return "older-adult" in b.rule_ids(body)

        assert older_adult_fires()

        rule = directory / "older-adult.yaml"
        rule.write_text(rule.read_text().replace("value: 65", "value: 95"))
        wait_for(lambda: rules_check(base)["fingerprint"] != first["fingerprint"])
        assert not older_adult_fires()  # the new threshold is in service

        good = rules_check(base)
        (directory / "high-dose.yaml").write_text("rules:\n  - id: high-dose\n    when: [broken\n")
        broken = wait_for(lambda: rules_check(base).get("problems"))
        assert any("high-dose.yaml:4:1: YAML syntax error" in p for p in broken)
        check = rules_check(base)
        assert check["ok"] and check["serving"] == "last good rule set"
        assert check["fingerprint"] == good["fingerprint"] and check["rules"] == 11
        assert httpx.get(f"{base}/readyz").status_code == 200
    stderr = service_log(process)
    assert "rule set rejected" in stderr
