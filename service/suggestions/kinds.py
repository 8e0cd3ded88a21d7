"""What a rule author can count on from each suggestion kind a rule may list.

A rule names kinds (`suggestions: [small_pack, taper_plan]`, the names in
`service.rules.models.SuggestionKind`); this table says, for each, which module builds it (its
docstring says what it offers), when it is built at all, which of the rule's `params` it reads and
which settings shape it. The rule reference (docs/rule-reference.md) is printed from it, and a test
holds it to the kinds, the settings and the builders.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import ModuleType

from service.rules.loader import SUGGESTION_PARAMS
from service.rules.models import SuggestionKind
from service.suggestions import reconsider, referral, small_pack, taper

(SMALL_PACK_DAYS,) = SUGGESTION_PARAMS["small_pack"]  # the names are the linter's; their meaning is here


@dataclass(frozen=True)
class KindGuide:
    builder: ModuleType
    offered_when: str
    rule_parameters: dict[str, str] = field(default_factory=dict)  # name in `params` → what it sets (names: SUGGESTION_PARAMS)
    settings: tuple[str, ...] = ()  # `Settings` fields that shape the suggestion

    def offers(self) -> str:
        """The first paragraph of the builder's docstring, on one line."""
        doc = self.builder.__doc__ or ""
        return " ".join(doc.strip().split("\n\n")[0].split())


KINDS: dict[SuggestionKind, KindGuide] = {
    "small_pack": KindGuide(
        small_pack,
        "the draft is a BZRA whose units a day are known, the days are more than 0, and the order is larger than the small pack or has repeats",
        {SMALL_PACK_DAYS: "Whole days above 0 that the small pack covers; without it, the days the course may still last within its guideline limit (`course.days_left_within_limit`)."},
        ("market",),
    ),
    "taper_plan": KindGuide(
        taper,
        "physical dependence is likely per the history (`history.dependence_likely`), a BZRA is in use now, no taper is under way (`history.ongoing_taper`) and no exemption applies (`exempt`): a new or short course is never tapered",
        settings=("taper_protocol", "taper_pace", "market", "equivalence_table", "public_base_url"),
    ),
    "referral": KindGuide(
        referral,
        "a rule lists it (always); the referral's reason is that rule's card summary",
        settings=("referral_code", "referral_text", "referral_performer", "help_links"),
    ),
    "reconsider_start": KindGuide(
        reconsider,
        "the draft would start a BZRA the patient does not take now (`draft_starts_bzra`); stopping a drug someone is used to is a taper, never one click",
    ),
}
