"""Packaging hook; everything else is in pyproject.toml.

The clinical rules live in `rules/` at the top of the checkout, where rule authors edit them. A build
copies them into the package as `service/shipped_rules/`, so an installed (non-editable) package serves
the default rules. An editable install reads the checkout's `rules/` itself (service.settings).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

RULES = Path(__file__).resolve().parent / "rules"
PACKAGED_AS = Path("service") / "shipped_rules"


class BuildPyWithRules(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        target = Path(self.build_lib) / PACKAGED_AS
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(RULES, target, ignore=shutil.ignore_patterns(".*", "__pycache__"))


setup(cmdclass={"build_py": BuildPyWithRules})
