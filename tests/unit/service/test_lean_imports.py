"""The service loads no library's command-line or highlighting code: those modules only cost memory in every worker.

Checked in a fresh interpreter: this test process (pytest, its plugins) may have imported them already."""

from __future__ import annotations

import json
import subprocess
import sys

TERMINAL_MODULES = ("httpx._main", "cel.cli", "typer", "rich", "prompt_toolkit", "pygments")


def _fresh(script: str) -> object:
    done = subprocess.run([sys.executable, "-c", f"import json, sys\n{script}"], capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def test_the_application_loads_no_terminal_modules() -> None:
    loaded = _fresh(
        "from service.app import create_app\nimport service.cli.main\nimport service.store.db\n"
        f"print(json.dumps([m for m in {list(TERMINAL_MODULES)!r} if sys.modules.get(m) is not None]))"
    )
    assert loaded == []


def test_the_libraries_fall_back_to_their_plain_versions() -> None:
    found = _fresh(
        "import service, httpx\nfrom mako import exceptions\nfrom mako.template import Template\n"
        "print(json.dumps([httpx.Response(200, json={'ok': 1}).json(), exceptions.pygments_html_formatter,\n"
        "                  Template('revision ${rev}').render(rev='abc')]))"
    )
    assert found == [{"ok": 1}, None, "revision abc"]  # Mako without pygments renders what Alembic asks of it
