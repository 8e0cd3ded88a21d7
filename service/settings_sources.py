"""Where settings are read from, and the one line an operator sees when a value is wrong.

pydantic-settings reports a `BZRA_*` value that is not JSON, or a settings file that is not YAML, as a
traceback about its own sources; these sources raise `SettingProblem` naming the variable instead, and
`problem_lines` turns validation errors into one line per setting.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    InitSettingsSource,
    PydanticBaseSettingsSource,
    SettingsError,
)

from service.errors import DeploymentError, shown
from service.yamlsource import read_yaml


class SettingProblem(DeploymentError, ValueError):
    """One bad setting, as the one line an operator reads: the variable, then what is wrong. A
    `ValueError` too: pydantic-settings passes only those on from a source (as `SettingsError`)."""

    code = "invalid_setting"

    def __init__(self, variable: str, problem: str):
        super().__init__(f"{variable}: {problem}")
        self.variable = variable


class InvalidSettings(DeploymentError):
    """Every bad setting, one line each (`BZRA_NAME: what is wrong`)."""

    code = "invalid_settings"

    def __init__(self, lines: list[str]):
        super().__init__("; ".join(lines), [{"field": line.partition(":")[0], "problem": line} for line in lines])
        self.lines = lines


class EnvironmentSource(EnvSettingsSource):
    """`BZRA_*` variables; a JSON value that does not parse names its variable (not a traceback)."""

    def decode_complex_value(self, field_name: str, field: FieldInfo, value: Any) -> Any:
        try:
            return super().decode_complex_value(field_name, field, value)
        except json.JSONDecodeError as error:
            raise SettingProblem(
                f"BZRA_{field_name.upper()}", f"not valid JSON ({error.msg} at column {error.colno})"
            ) from None

    def __call__(self) -> dict[str, Any]:
        try:
            return super().__call__()
        except SettingsError as error:
            if isinstance(error.__cause__, SettingProblem):
                raise error.__cause__ from None
            raise


def settings_file_source(settings_cls: type[BaseSettings], path_text: str) -> PydanticBaseSettingsSource:
    """The YAML file named by BZRA_SETTINGS_FILE, as a source of its own."""
    path = Path(path_text)
    if not path.is_file():
        raise SettingProblem("BZRA_SETTINGS_FILE", f"no such file: {path}")
    source, problems = read_yaml(path)
    if source is None:
        raise SettingProblem("BZRA_SETTINGS_FILE", str(problems[0]))
    if source.data is not None and not isinstance(source.data, dict):
        raise SettingProblem("BZRA_SETTINGS_FILE", f"{path}: must map setting names to values")
    return InitSettingsSource(settings_cls, init_kwargs=source.data or {})


def _detail(item: ErrorDetails) -> str:
    """What is wrong, as an operator reads it: a closed set lists its choices ("must be en, nl or fr")."""
    if item["type"] == "literal_error":
        expected = str((item.get("ctx") or {}).get("expected", "")).replace("'", "")
        return f"must be {expected}, not '{shown(str(item['input']), 40)}'"
    return item["msg"].removeprefix("Value error, ")


def problem_lines(error: ValidationError) -> list[str]:
    """One line per setting: `BZRA_NAME: what is wrong` (nested places as `[0].iss`)."""
    by_variable: dict[str, list[str]] = {}
    for item in error.errors():
        loc = item["loc"]
        if item["type"] == "extra_forbidden":
            by_variable.setdefault("BZRA_SETTINGS_FILE", []).append(f"unknown setting '{loc[0]}'")
            continue
        variable = f"BZRA_{str(loc[0]).upper()}" if loc else "settings"
        detail = _detail(item)
        place = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc[1:]).lstrip(".")
        by_variable.setdefault(variable, []).append(f"{place}: {detail}" if place else detail)
    return [f"{variable}: {'; '.join(details)}" for variable, details in by_variable.items()]
