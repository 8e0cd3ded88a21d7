"""How long the course becomes with this order: the use so far, the supply still in hand, and the order.

Ten nights of zolpidem plus a new order for 14 tablets is a course of 24 days: past the two weeks
advised for sleep problems, although neither the history nor the order alone is. The limit depends on
the order's reason (`use_thresholds.course_limits` in the knowledge data): sleep problems, or
anxiety and any other or unknown reason.
"""

from __future__ import annotations

from datetime import date

from service.facts.episodes import Interval
from service.facts.model import CourseFacts, OrderFacts
from service.knowledge.models import CourseLimits


def _days(value: float) -> str:
    return f"{value:g}"


def course(
    draft: OrderFacts | None, days_so_far: int, running: Interval | None, today: date, limits: CourseLimits
) -> CourseFacts:
    """`running`: the BZRA episode still running on the order date, if any (its end may lie ahead)."""
    insomnia = draft is not None and draft.for_insomnia
    limit = limits.insomnia_days if insomnia else limits.other_days
    reason = "insomnia" if insomnia else "other"
    left = max((running.end - today).days, 0) if running is not None and days_so_far > 0 else 0
    order_days = draft.days_supply if draft is not None and draft.is_bzra and draft.days_supply_known else None
    projected = days_so_far + left + order_days if order_days is not None else None
    within = max(limit - days_so_far - left, 0)
    limit_text = f"limit for {'sleep problems' if insomnia else 'anxiety or another reason'}: {limit} days"
    if order_days is None:
        how = f"{days_so_far} days so far + {left} days of supply left; this order's supply is unknown ({limit_text})"
    else:
        how = (
            f"{days_so_far} days so far + {left} days of supply left + {_days(order_days)} days of this order "
            f"= {_days(projected or 0)} days ({limit_text})"
        )
    return CourseFacts(
        limit_days=limit,
        limit_reason=reason,
        days_so_far=days_so_far,
        supply_left_days=left,
        order_days=order_days,
        projected_days=projected,
        days_left_within_limit=within,
        derivation=how,
    )
