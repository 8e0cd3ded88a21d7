"""Hot reload of rules mounted from a Kubernetes ConfigMap, in the layout the kubelet writes
(tests/support/configmap_support.py): it follows the kubelet's atomic swap of `..data`. Loading such a
volume: test_loader.py; its rule tests: tests/unit/service/authoring/test_rule_tests.py."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from service.knowledge.loader import load_knowledge
from service.rules.holder import RuleHolder
from tests.support.configmap_support import mount_configmap, shipped_files, update_configmap
from tests.support.rules_support import shipped_rule_count

KNOWLEDGE = load_knowledge()


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
