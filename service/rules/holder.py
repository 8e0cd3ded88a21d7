"""The rule set in service, swapped atomically when the files change; the last good set keeps serving.

`RuleHolder.reload()` validates the whole directory; only a set without problems replaces the
current one. The problems of a rejected set are kept for `/readyz` and logged.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timezone
from pathlib import Path

from service.knowledge.models import Knowledge
from service.rules.loader import RuleSet, load_rule_set
from service.yamlsource import Problem

log = logging.getLogger(__name__)


class RuleHolder:
    def __init__(self, directory: Path, knowledge: Knowledge, overrides: Path | None = None):
        self.directory = Path(directory)
        self.overrides = overrides
        self.knowledge = knowledge
        self.current: RuleSet | None = None
        self.problems: list[Problem] = []
        self.loaded_at: datetime | None = None

    def reload(self) -> bool:
        """Load the directory; True when a new set was swapped in."""
        rule_set, problems = load_rule_set(self.directory, self.knowledge, self.overrides)
        if rule_set is None:
            self.problems = problems
            log.error(
                "rule set rejected; the last good set keeps serving",
                extra={"problems": [str(p) for p in problems], "serving": self.current.fingerprint if self.current else None},
            )
            return False
        changed = self.current is None or rule_set.fingerprint != self.current.fingerprint
        self.current, self.problems, self.loaded_at = rule_set, [], datetime.now(timezone.utc)
        if changed:
            log.info("rule set loaded", extra={"rules": len(rule_set.rules), "fingerprint": rule_set.fingerprint})
        return changed

    def readiness(self) -> dict[str, object]:
        status: dict[str, object] = {
            "ok": self.current is not None,
            "directory": str(self.directory),
            "rules": len(self.current.rules) if self.current else 0,
            "fingerprint": self.current.fingerprint if self.current else None,
        }
        if self.problems:
            status["problems"] = [str(p) for p in self.problems[:20]]
            status["serving"] = "last good rule set" if self.current else "no rules"
        return status

    async def watch(self, stop: asyncio.Event) -> None:
        """Reload whenever a file under the rules directory (or the overrides file) changes."""
        from watchfiles import awatch

        paths = [self.directory] + ([self.overrides.parent] if self.overrides else [])
        async for _ in awatch(*paths, stop_event=stop, debounce=300, step=100):
            self.reload()
