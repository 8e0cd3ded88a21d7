"""The closed sets of the taper planner, each written once: paces, forms and switch choices.

Low in the import order (it imports nothing of the service), so the settings, the protocol file's
models and the planner's inputs all use the same `Literal` types.
"""

from __future__ import annotations

from typing import Literal, get_args

Pace = Literal["standard", "slow"]
Form = Literal["tablets", "magistral", "strips", "liquid"]
SwitchChoice = Literal["auto", "diazepam", "none"]

PACES: tuple[Pace, ...] = get_args(Pace)
FORMS: tuple[Form, ...] = get_args(Form)
SWITCH_CHOICES: tuple[SwitchChoice, ...] = get_args(SwitchChoice)
