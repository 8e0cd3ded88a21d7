"""What feedback on a card does: each outcome is stored with its card's rules, and an override whose
reason suppresses (`suppresses: true` in rules/override-reasons.yaml) silences those rules for that
patient for `BZRA_SUPPRESSION_DAYS`. The policy lives here, not in the HTTP route that receives it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from cds_hooks.models import Feedback
from service.rules.holder import RuleHolder
from service.store import Store
from service.store.records import FeedbackOutcome


@dataclass(frozen=True)
class FeedbackService:
    rules: RuleHolder
    store: Store
    suppression_days: int
    forget_suppressions: Callable[[], None]  # the pipeline's memory of who is suppressed

    def suppressing_codes(self) -> set[str]:
        """Override reason codes that suppress, from the rule set in service (none while there is none)."""
        rule_set = self.rules.current
        return rule_set.reasons.suppressing_codes() if rule_set is not None else set()

    async def record(self, service_id: str, items: Sequence[Feedback], now: datetime) -> FeedbackOutcome:
        """Stores the feedback; when it made suppressions, the next call must see them at once."""
        outcome = await self.store.record_feedback(
            service_id, list(items), self.suppressing_codes(), self.suppression_days, now
        )
        if outcome.suppressions_created:
            self.forget_suppressions()
        return outcome
