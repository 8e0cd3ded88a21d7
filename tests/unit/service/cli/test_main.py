"""`service.cli.main`: the parser holds every command, and every error is reported in one place."""

from __future__ import annotations

import argparse
import ast
from pathlib import Path

import pytest

from service.cli import build_parser, main
from service.cli.main import error_lines
from service.settings_sources import InvalidSettings
from service.taper.errors import TaperError

CLI = Path(__file__).resolve().parents[4] / "service" / "cli"
COMMANDS = {"serve", "migrate", "facts", "evaluate", "taper", "report", "suppressions", "rules"}


def test_every_command_is_registered() -> None:
    [commands] = [action for action in build_parser()._actions if isinstance(action, argparse._SubParsersAction)]
    assert set(commands.choices) == COMMANDS


def test_a_settings_error_is_one_line_per_setting_with_exit_2(capsys, monkeypatch) -> None:
    monkeypatch.setenv("BZRA_LANGUAGE", "de")
    monkeypatch.setenv("BZRA_FHIR_MAX_PAGES", "0")
    assert main(["rules", "lint"]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert [line.split(":")[0] for line in lines] == ["bzra-cds"] * 2
    assert {line.split()[3].rstrip(":") for line in lines} == {"BZRA_LANGUAGE", "BZRA_FHIR_MAX_PAGES"}


def test_errors_are_said_in_the_language_the_command_chose() -> None:
    error = TaperError("dose", "dose_missing")
    assert error_lines(error, "fr") == [error.text("fr")] != error_lines(error, "en")
    assert error_lines(InvalidSettings(["BZRA_MARKET: x"]), "nl") == ["invalid setting BZRA_MARKET: x"]


def test_a_usage_error_exits_2_and_names_the_problem(capsys, tmp_path: Path) -> None:
    assert main(["facts", str(tmp_path / "absent.json")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("bzra-cds: cannot read ") and err.count("\n") == 1


def test_no_command_module_exits_by_itself_or_catches_value_error_broadly() -> None:
    """Reporting is `main`'s job: no `sys.exit`, no `SystemExit`; a `ValueError` is caught only around
    `date.fromisoformat`, whose one way to say "not a date" it is."""
    for path in CLI.glob("*.py"):
        if path.name == "__main__.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            assert not (isinstance(node, ast.Attribute) and node.attr == "exit"), f"{path.name}: sys.exit"
            assert not (isinstance(node, ast.Name) and node.id == "SystemExit"), f"{path.name}: SystemExit"
            if isinstance(node, ast.Try):
                caught = {ast.unparse(handler.type) for handler in node.handlers if handler.type is not None}
                if "ValueError" in caught:
                    assert "fromisoformat" in ast.unparse(node.body[0]), f"{path.name}:{node.lineno}"
