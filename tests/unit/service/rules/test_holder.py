"""Rules mounted from a Kubernetes ConfigMap, in the layout the kubelet writes (tests/support/configmap_support.py):
each rule is loaded once, and hot reload follows the kubelet's atomic swap of `..data`."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from service.knowledge.loader import load_knowledge
from service.rules.holder import RuleHolder
from service.rules.loader import load_rule_set
from service.rules.testing import run_rule_tests
from service.settings import Settings
from tests.support.configmap_support import mount_configmap, update_configmap
from tests.support.rules_support import SHIPPED, shipped_rule_count

KNOWLEDGE = load_knowledge()


def shipped_files() -> dict[str, str]:
    """The ConfigMap's keys: every YAML file of the shipped rules directory (a ConfigMap is flat)."""
    return {path.name: path.read_text(encoding="utf-8") for path in SHIPPED.glob("*.yaml")}


def test_a_configmap_volume_loads_each_rule_once(tmp_path: Path) -> None:
    volume = tmp_path / "rules"
    mount_configmap(volume, shipped_files())
    assert any(p.name.startswith("..2026") for p in volume.iterdir())  # the hidden copy is really there

    rule_set, problems = load_rule_set(volume, KNOWLEDGE)

    assert problems == []
    assert rule_set is not None and len(rule_set.rules) == shipped_rule_count()
    assert all(Path(f).parent == volume for f in rule_set.files)  # read through the visible symlinks


def test_the_rule_tests_of_a_configmap_volume_run_once_each(tmp_path: Path) -> None:
    volume = tmp_path / "rules"
    mount_configmap(volume, shipped_files())
    settings = Settings(rules_reload=False)

    mounted, mounted_problems = run_rule_tests(volume, KNOWLEDGE, settings)
    shipped, _ = run_rule_tests(SHIPPED, KNOWLEDGE, settings)

    assert mounted_problems == []
    assert len(mounted) == len(shipped) > 0
    assert all(result.passed for result in mounted)


@pytest.mark.anyio
async def test_hot_reload_follows_the_kubelet_swapping_data(tmp_path: Path) -> None:
    volume = tmp_path / "rules"
    files = shipped_files()
    mount_configmap(volume, files)
    holder = RuleHolder(volume, KNOWLEDGE)
    assert holder.reload()
    first = holder.current
    assert first is not None and first.rule("older-adult").params["older_adult_age"] == 65

    stop = asyncio.Event()
    watcher = asyncio.create_task(holder.watch(stop))
    try:
        await asyncio.sleep(0.5)  # the watcher is set up before the kubelet writes
        files["older-adult.yaml"] = files["older-adult.yaml"].replace("value: 65", "value: 70", 1)
        update_configmap(volume, files)
        for _ in range(100):
            if holder.current is not first:
                break
            await asyncio.sleep(0.1)
    finally:
        stop.set()
        await asyncio.gather(watcher, return_exceptions=True)

    current = holder.current
    assert current is not first, "the swap of ..data was not picked up"
    assert holder.problems == []
    assert len(current.rules) == shipped_rule_count()
    assert current.rule("older-adult").params["older_adult_age"] == 70
    assert current.fingerprint != first.fingerprint
