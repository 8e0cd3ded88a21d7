"""What every stage of the generator reads: the request, its protocol and pace, the market's forms.

`PlanContext` is built once per plan by `make_plan`; the stages (route, reductions, schedule) ask it
for a drug's form in the chosen kind, its diazepam equivalent, and record notes and drug labels.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from service.knowledge.models import BzraDrug, Knowledge
from service.taper.errors import TaperError
from service.taper.forms import ContinuousForm, DoseMaker, LiquidForm, TabletForm
from service.taper.inputs import TaperRequest
from service.taper.markets import Market
from service.taper.model import DrugLabel, PlanNote
from service.taper.note_texts import note_text
from service.taper.protocol import PaceRule, Protocol, ProtocolSet
from service.taper.vocabulary import Form
from service.taper.wording import LANGUAGES

__all__ = ["PlanContext", "names_of"]


def names_of(drug: BzraDrug) -> dict[str, str]:
    return {language: getattr(drug.display, language) or drug.display.en for language in LANGUAGES}


@dataclass
class PlanContext:
    request: TaperRequest
    knowledge: Knowledge
    protocols: ProtocolSet
    market: Market
    notes: list[PlanNote] = field(default_factory=list)
    labels: dict[str, DrugLabel] = field(default_factory=dict)
    _forms: dict[tuple[str, Form], DoseMaker] = field(default_factory=dict)

    @property
    def protocol(self) -> Protocol:
        return self.protocols.protocol(self.request.protocol)

    @property
    def rule(self) -> PaceRule:
        return self.protocol.paces[self.request.pace]

    def names(self, drug_id: str) -> dict[str, str]:
        return names_of(self.knowledge.drugs[drug_id])

    def note(self, code: str, **values: Any) -> None:
        self.notes.append(PlanNote(code, note_text(code, values, "en"), values))

    # ---- forms -----------------------------------------------------------------------------

    def tablets(self, drug_id: str, dose_mg: float | None = None) -> TabletForm:
        """The market's tablets and capsules of a drug (possibly empty), decided on the first call.

        Marketed products first. When they cannot make the dose the patient takes now (`dose_mg`), the
        products seen only in older or uncertain sources are added, and the plan says so.
        """
        found = self._forms.get((drug_id, "tablets"))
        if found is None:
            products, unconfirmed = self.market.products_for(drug_id)
            found = TabletForm(drug_id, products, unconfirmed=unconfirmed)
            extra = self.market.unconfirmed_for(drug_id)
            if dose_mg is not None and extra and not unconfirmed and found.at_or_above(dose_mg) != dose_mg:
                found = TabletForm(drug_id, products + extra, unconfirmed=True)
            self._forms[(drug_id, "tablets")] = found
        assert isinstance(found, TabletForm)
        return found

    def has_form(self, drug_id: str, kind: Form | None = None) -> bool:
        """Whether the market gives the drug in the form kind (default: the requested one)."""
        kind = kind or self.request.form
        if kind == "tablets":
            return not self.tablets(drug_id).empty
        if kind == "liquid":
            return bool(self.market.products_for(drug_id, solid=False)[0])
        if kind == "strips":
            return self.market.strips_for(drug_id)
        return not self.tablets(drug_id).empty or bool(self.market.products_for(drug_id, solid=False)[0])

    def form(self, drug_id: str, kind: Form | None = None) -> DoseMaker:
        """The drug's form of the kind asked (default: the requested one); `TaperError` when there is none."""
        kind = kind or self.request.form
        if kind == "tablets":
            return self.tablets(drug_id)
        if not self.has_form(drug_id, kind):
            raise TaperError(
                "form", "form_drug", market=self.country(), form=self.form_label(kind), drug=self.names(drug_id)
            )
        found = self._forms.get((drug_id, kind))
        if found is None:
            found = self._make_form(drug_id, kind)
            self._forms[(drug_id, kind)] = found
        return found

    def _make_form(self, drug_id: str, kind: Form) -> DoseMaker:
        rule = self.protocols.forms[kind]
        if kind == "liquid":
            product = self.market.products_for(drug_id, solid=False)[0][0]
            assert rule.measure_ml is not None
            return LiquidForm(drug_id, product, rule.measure_ml)
        assert rule.significant_digits is not None
        return ContinuousForm(drug_id, kind, rule.significant_digits)

    def form_label(self, kind: Form) -> dict[str, str]:
        label = self.protocols.forms[kind].label
        return {language: getattr(label, language) or label.en for language in LANGUAGES}

    def country(self) -> dict[str, str]:
        return {language: self.market.country_name(language) for language in LANGUAGES}

    # ---- equivalence ---------------------------------------------------------------------------

    def eq10(self, drug_id: str) -> tuple[str, float] | None:
        """(table used, mg of the drug equal to 10 mg diazepam), following the table's fallbacks."""
        found = self.knowledge.eq10(drug_id, self.request.table)
        return (found[0], found[1].value) if found else None

    def de(self, drug_id: str, mg: float) -> float | None:
        found = self.eq10(drug_id)
        return mg * 10 / found[1] if found else None

    def from_de(self, drug_id: str, de_mg: float) -> float | None:
        found = self.eq10(drug_id)
        return de_mg * found[1] / 10 if found else None

    def label(self, drug_id: str, form: DoseMaker | None = None) -> None:
        """Remember how renderings name the drug and its unit forms."""
        drug = self.knowledge.drugs[drug_id]
        forms: tuple[tuple[float, str], ...] = ()
        if isinstance(form, TabletForm):
            forms = tuple(sorted(form.tablets.forms.items()))
        previous = self.labels.get(drug_id)
        if previous is not None and len(previous.forms) >= len(forms):
            return
        self.labels[drug_id] = DrugLabel(
            id=drug_id, names=tuple(self.names(drug_id).items()), atc=drug.atc[0] if drug.atc else None, forms=forms
        )
