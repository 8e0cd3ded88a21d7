"""Audit, feedback and suppression through the real service process and a real database
(SQLite always; PostgreSQL too when BZRA_TEST_DATABASE_URL is set): a restart keeps everything."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from tests.support import builders as b
from tests.support.service_process import running_service
from tests.support.store_support import backends, database, rows

SIGN = "/cds-services/bzra-order-sign"


def older_patient_call() -> dict:
    prefetch = b.full_prefetch()
    prefetch["patient"] = b.patient(birth_date="1950-01-01")
    return b.hook_request(prefetch=prefetch)


def card_with(body: dict, rule_id: str) -> dict:
    return next(c for c in body["cards"] if rule_id in {r["id"] for r in c.get("extension", {}).get("bzra-cds.rules", [])})


@pytest.mark.parametrize("kind", backends())
def test_feedback_suppression_and_report_survive_a_restart(kind: str, tmp_path: Path) -> None:
    with database(kind, tmp_path) as url:
        env = {"BZRA_DATABASE_URL": url, "BZRA_ADMIN_TOKEN": "admin-secret", "BZRA_RULES_RELOAD": "false"}
        with running_service("--insecure-dev", env=env) as (base, _):
            first = httpx.post(f"{base}{SIGN}", json=older_patient_call(), timeout=10).json()
            card = card_with(first, "older-adult")
            feedback = {
                "feedback": [
                    {
                        "card": card["uuid"],
                        "outcome": "overridden",
                        "overrideReason": {"reason": {"system": "urn:bzra-cds:override-reason", "code": "tapering-supervised"}, "userComment": "with GP"},
                        "outcomeTimestamp": datetime.now(UTC).isoformat(),
                    }
                ]
            }
            stored = httpx.post(f"{base}{SIGN}/feedback", json=feedback, timeout=10).json()
            assert stored["stored"] == 1 and stored["unknownCards"] == 0 and stored["suppressionsCreated"] >= 1
            again = httpx.post(f"{base}{SIGN}/feedback", json=feedback, timeout=10).json()
            assert again["duplicates"] == 1 and again["stored"] == 0

            second = httpx.post(f"{base}{SIGN}", json=older_patient_call(), timeout=10).json()
            assert "older-adult" not in b.rule_ids(second)  # the prescriber answered it already

        with running_service("--insecure-dev", env=env) as (base, _):  # a restart keeps everything
            third = httpx.post(f"{base}{SIGN}", json=older_patient_call(), timeout=10).json()
            assert "older-adult" not in b.rule_ids(third)
            headers = {"Authorization": "Bearer admin-secret"}
            listed = httpx.get(f"{base}/admin/suppressions", headers=headers).json()
            assert {s["rule_id"] for s in listed} >= {"older-adult"}
            report = {row["rule_id"]: row for row in httpx.get(f"{base}/admin/report", headers=headers).json()}
            assert report["older-adult"]["fired"] == 1 and report["older-adult"]["overridden"] == 1
            assert report["older-adult"]["override_reasons"] == {"tapering-supervised": 1}
            assert report["long-term-use"]["fired"] == 1  # merged into the overridden card: suppressed too
            assert httpx.get(f"{base}/admin/report").status_code == 401
            lifted = httpx.delete(f"{base}/admin/suppressions/{listed[0]['id']}", headers=headers)
            assert lifted.status_code == 200

        cli = subprocess.run(
            [sys.executable, "-m", "service.cli", "report", "--format", "csv"],
            capture_output=True, text=True, timeout=60, env={**os.environ, **env},
        )
        assert cli.returncode == 0, cli.stderr
        assert cli.stdout.splitlines()[0].startswith("rule_id")
        assert any(line.startswith("older-adult,1,0,1") for line in cli.stdout.splitlines()), cli.stdout
        calls = asyncio.run(rows(url, "audit_calls"))
        assert len(calls) == 3
        assert all(b.PATIENT_ID not in json.dumps(row, default=str) for row in calls)
