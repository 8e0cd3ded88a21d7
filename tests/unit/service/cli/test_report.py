"""`bzra-cds report`/`suppressions`: bad dates and unreadable databases are one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.cli import main
from service.cli.report import DatabaseUnreadable, with_store
from service.errors import UnavailableError
from service.settings import Settings


def test_since_must_be_a_date(capsys) -> None:
    assert main(["report", "--since", "last week"]) == 2
    assert capsys.readouterr().err == "bzra-cds: --since must be a date like 2026-11-01, not 'last week'\n"


def test_lift_needs_an_id(capsys, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("BZRA_DATA_DIR", str(tmp_path))
    assert main(["suppressions", "lift"]) == 2
    assert capsys.readouterr().err == "bzra-cds: suppressions lift needs the id of a suppression\n"


def test_an_unreadable_database_is_an_unavailable_error_with_exit_1(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, database_url="postgresql+asyncpg://nobody@127.0.0.1:1/none")

    async def never(store):  # pragma: no cover - the store does not open
        raise AssertionError("opened")

    with pytest.raises(DatabaseUnreadable, match="the database could not be read: ") as caught:
        with_store(settings, never)
    assert isinstance(caught.value, UnavailableError) and caught.value.exit_status == 1
