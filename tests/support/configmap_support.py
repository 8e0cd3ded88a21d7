"""A Kubernetes ConfigMap volume, laid out with real symlinks the way the kubelet writes it.

The volume holds the files in a hidden timestamped folder, a `..data` symlink to it and one visible
symlink per key (`high-dose.yaml -> ..data/high-dose.yaml`). An update writes a new timestamped
folder, points a `..data_tmp` symlink at it, renames that over `..data` (one atomic step) and removes
the old folder.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from tests.support.rules_support import SHIPPED


def _write_version(volume: Path, files: dict[str, str], stamp: str) -> None:
    version = volume / f"..{stamp}"
    version.mkdir()
    for name, text in files.items():
        (version / name).write_text(text, encoding="utf-8")


def mount_configmap(volume: Path, files: dict[str, str]) -> None:
    """The first write of a ConfigMap volume: file name -> content."""
    volume.mkdir()
    _write_version(volume, files, "2026_12_06_10_00_00.000000001")
    (volume / "..data").symlink_to("..2026_12_06_10_00_00.000000001")
    for name in files:
        (volume / name).symlink_to(f"..data/{name}")


def update_configmap(volume: Path, files: dict[str, str]) -> None:
    """An update of the same keys: new folder, `..data_tmp` renamed over `..data`, old folder removed."""
    old = os.readlink(volume / "..data")
    _write_version(volume, files, "2026_12_06_10_05_00.000000002")
    (volume / "..data_tmp").symlink_to("..2026_12_06_10_05_00.000000002")
    os.rename(volume / "..data_tmp", volume / "..data")
    shutil.rmtree(volume / old)


def shipped_files() -> dict[str, str]:
    """The ConfigMap's keys: every YAML file of the shipped rules directory (a ConfigMap is flat)."""
    return {path.name: path.read_text(encoding="utf-8") for path in SHIPPED.glob("*.yaml")}
