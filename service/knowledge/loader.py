"""Load the knowledge files, merge them by id and check the references between them.

The package's own data directory is read first; extra directories (or single files) given by a rule
author are read after it, so their entries add to it or replace entries with the same id.  Any problem
(YAML syntax, schema, a reference to something that does not exist, two drugs claiming one code) makes
loading fail with a `KnowledgeError` that lists every problem with its file, line and column.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from service.errors import DeploymentError
from service.knowledge.models import FormModifiers, Knowledge, KnowledgeFile
from service.yamlsource import Problem, YamlSource, read_yaml, validate

__all__ = ["DATA_DIR", "KnowledgeError", "load_knowledge", "knowledge_files"]

DATA_DIR = Path(__file__).resolve().parent / "data"

_SECTIONS = (
    "sources",
    "dose_forms",
    "equivalence_tables",
    "drugs",
    "comedication_classes",
    "condition_groups",
    "exemptions",
)


class KnowledgeError(DeploymentError):
    """Knowledge files could not be loaded; `problems` holds each one with file, line and column."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        lines = "\n".join(f"  {p}" for p in self.problems)
        super().__init__(f"knowledge files have {len(self.problems)} problem(s):\n{lines}")


@dataclass(frozen=True)
class _Origin:
    source: YamlSource
    loc: tuple[str | int, ...]

    def problem(self, message: str, *more: str | int) -> Problem:
        loc = self.loc + more
        path = ".".join(str(part) for part in loc)
        return self.source.problem(loc, f"{path}: {message}" if path else message)


@dataclass
class _Entry:
    value: Any
    origin: _Origin


def knowledge_files(path: Path) -> list[Path]:
    """The YAML files a directory contributes, in the order they are merged (by file name)."""
    if path.is_file():
        return [path]
    return sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())


def load_knowledge(directory: Path | None = None, *, extra: Iterable[Path] = ()) -> Knowledge:
    """Load `directory` (default: the package's data directory), then each of `extra` on top."""
    roots = [Path(directory) if directory is not None else DATA_DIR, *(Path(p) for p in extra)]
    problems: list[Problem] = []
    parsed: list[tuple[YamlSource, KnowledgeFile]] = []
    for root in roots:
        if not root.exists():
            problems.append(Problem(str(root), None, None, "no such file or directory"))
            continue
        for path in knowledge_files(root):
            source, file_problems = read_yaml(path)
            problems.extend(file_problems)
            if source is None:
                continue
            data = source.data if source.data is not None else {}
            model, file_problems = validate(source, KnowledgeFile, data)
            problems.extend(file_problems)
            if model is not None:
                parsed.append((source, model))
    if problems:
        raise KnowledgeError(problems)
    merged = _Merged()
    for source, model in parsed:
        merged.add(source, model)
    problems = merged.check()
    if problems:
        raise KnowledgeError(problems)
    return merged.build(tuple(str(source.path) for source, _ in parsed))


class _Merged:
    """Entries by section and id, each remembering the file and path it came from."""

    def __init__(self) -> None:
        self.sections: dict[str, dict[str, _Entry]] = {name: {} for name in _SECTIONS}
        self.product_codes: dict[str, _Entry] = {}
        self.product_code_items: dict[tuple[str, str], _Entry] = {}
        self.code_systems: dict[str, list[str]] = {}
        self.settings: dict[str, _Entry] = {}
        self.raw: list[YamlSource] = []

    def add(self, source: YamlSource, model: KnowledgeFile) -> None:
        self.raw.append(source)
        for name in _SECTIONS:
            for key, value in getattr(model, name).items():
                self.sections[name][key] = _Entry(value, _Origin(source, (name, key)))
        for kind, uris in model.code_systems.items():
            known = self.code_systems.setdefault(kind, [])
            known.extend(u for u in uris if u not in known)
        for name in ("default_equivalence_table", "bzra_atc_classes", "form_modifiers", "use_thresholds"):
            value = getattr(model, name)
            if value is not None:
                self.settings[name] = _Entry(value, _Origin(source, (name,)))
        for system, mapping in model.product_codes.items():
            self.product_codes[system] = _Entry(mapping, _Origin(source, ("product_codes", system)))
            for code, item in mapping.codes.items():
                origin = _Origin(source, ("product_codes", system, "codes", code))
                self.product_code_items[(system, code)] = _Entry(item, origin)

    # ---- checks -----------------------------------------------------------------------------

    def check(self) -> list[Problem]:
        problems: list[Problem] = []
        problems += self._check_sources()
        problems += self._check_tables()
        problems += self._check_drugs()
        problems += self._check_members()
        problems += self._check_conditions()
        problems += self._check_exemptions()
        problems += self._check_product_codes()
        return problems

    def _check_sources(self) -> list[Problem]:
        known = set(self.sections["sources"])
        problems = []
        for source in self.raw:
            if not isinstance(source.data, dict):
                continue
            for section, value in source.data.items():
                if section == "sources":
                    continue
                for loc, ref in _source_refs(value, (section,)):
                    if ref not in known:
                        problems.append(_Origin(source, loc).problem(f"unknown source '{ref}'"))
        return problems

    def _check_tables(self) -> list[Problem]:
        tables = self.sections["equivalence_tables"]
        problems = []
        default = self.settings.get("default_equivalence_table")
        if default is None:
            if tables:
                first = next(iter(tables.values()))
                problems.append(first.origin.problem("no default_equivalence_table is set"))
        elif default.value not in tables:
            problems.append(default.origin.problem(f"unknown equivalence table '{default.value}'"))
        for entry in tables.values():
            for i, fallback in enumerate(entry.value.fallback):
                if fallback not in tables:
                    problems.append(entry.origin.problem(f"unknown table '{fallback}'", "fallback", i))
        return problems

    def _check_drugs(self) -> list[Problem]:
        tables = self.sections["equivalence_tables"]
        forms = self.sections["dose_forms"]
        problems = []
        claimed: dict[tuple[str, str], str] = {}
        for drug_id, entry in self.sections["drugs"].items():
            drug, origin = entry.value, entry.origin
            for table_id in drug.eq10:
                if table_id not in tables:
                    problems.append(origin.problem(f"unknown equivalence table '{table_id}'", "eq10", table_id))
            for i, product in enumerate(drug.rxnorm_products):
                if product.form not in forms:
                    problems.append(origin.problem(f"unknown dose form '{product.form}'", "rxnorm_products", i))
                for other in product.combination_with:
                    if other not in self.sections["drugs"] and not self._is_member(other):
                        problems.append(
                            origin.problem(f"unknown ingredient '{other}'", "rxnorm_products", i, "combination_with")
                        )
            for i, strength in enumerate(drug.strengths):
                if strength.form not in forms:
                    problems.append(origin.problem(f"unknown dose form '{strength.form}'", "strengths", i))
            codes = [("atc", c, ("atc", i)) for i, c in enumerate(drug.atc)]
            codes += [("atc", c, ("atc_combinations", i)) for i, c in enumerate(drug.atc_combinations)]
            if drug.rxnorm_ingredient:
                codes.append(("rxnorm", drug.rxnorm_ingredient.code, ("rxnorm_ingredient",)))
            if drug.snomed_substance:
                codes.append(("snomed", drug.snomed_substance.code, ("snomed_substance",)))
            codes += [("rxnorm", p.code, ("rxnorm_products", i)) for i, p in enumerate(drug.rxnorm_products)]
            for system, code, loc in codes:
                owner = claimed.setdefault((system, code), drug_id)
                if owner != drug_id:
                    problems.append(origin.problem(f"{system} code {code} is already used by '{owner}'", *loc))
        return problems

    def _is_member(self, member_id: str) -> bool:
        return any(member_id in e.value.members for e in self.sections["comedication_classes"].values())

    def _check_members(self) -> list[Problem]:
        problems = []
        by_code: dict[str, str] = {}
        drug_codes = {
            e.value.rxnorm_ingredient.code: k for k, e in self.sections["drugs"].items() if e.value.rxnorm_ingredient
        }
        for entry in self.sections["comedication_classes"].values():
            for member_id, member in entry.value.members.items():
                if member_id in self.sections["drugs"]:
                    problems.append(entry.origin.problem("id is already a BZRA drug id", "members", member_id))
                if member.rxnorm is None:
                    continue
                code = member.rxnorm.code
                owner = by_code.setdefault(code, member_id)
                if owner != member_id or code in drug_codes:
                    other = drug_codes.get(code, owner)
                    problems.append(
                        entry.origin.problem(f"rxnorm code {code} is already used by '{other}'", "members", member_id)
                    )
        return problems

    def _check_conditions(self) -> list[Problem]:
        groups = self.sections["condition_groups"]
        return [
            e.origin.problem(f"unknown parent group '{e.value.parent}'", "parent")
            for e in groups.values()
            if e.value.parent is not None and e.value.parent not in groups
        ]

    def _check_exemptions(self) -> list[Problem]:
        groups = self.sections["condition_groups"]
        problems = [
            e.origin.problem(f"unknown condition group '{group}'", "condition_groups", i)
            for e in self.sections["exemptions"].values()
            for i, group in enumerate(e.value.condition_groups)
            if group not in groups
        ]
        if "use_thresholds" not in self.settings:
            where = str(self.raw[0].path) if self.raw else "knowledge"
            problems.append(Problem(where, None, None, "no use_thresholds are set (dependence, ongoing taper, course limits)"))
        return problems

    def _check_product_codes(self) -> list[Problem]:
        problems = []
        for entry in self.product_code_items.values():
            item = entry.value
            if item.ingredient not in self.sections["drugs"] and not self._is_member(item.ingredient):
                problems.append(entry.origin.problem(f"unknown ingredient '{item.ingredient}'", "ingredient"))
            if item.form is not None and item.form not in self.sections["dose_forms"]:
                problems.append(entry.origin.problem(f"unknown dose form '{item.form}'", "form"))
        return problems

    # ---- result -----------------------------------------------------------------------------

    def build(self, files: tuple[str, ...]) -> Knowledge:
        def values(name: str) -> dict[str, Any]:
            return {k: e.value for k, e in self.sections[name].items()}

        product_codes = {}
        for system, entry in self.product_codes.items():
            codes = {code: e.value for (s, code), e in self.product_code_items.items() if s == system}
            product_codes[system] = entry.value.model_copy(update={"codes": codes})
        default = self.settings.get("default_equivalence_table")
        atc_classes = self.settings.get("bzra_atc_classes")
        modifiers = self.settings.get("form_modifiers")
        thresholds = self.settings["use_thresholds"]  # required: see _check_exemptions
        return Knowledge(
            sources=values("sources"),
            code_systems={k: tuple(v) for k, v in self.code_systems.items()},
            default_equivalence_table=default.value if default else "",
            bzra_atc_classes=tuple(atc_classes.value) if atc_classes else (),
            dose_forms=values("dose_forms"),
            form_modifiers=modifiers.value if modifiers else FormModifiers(),
            equivalence_tables=values("equivalence_tables"),
            drugs=values("drugs"),
            comedication_classes=values("comedication_classes"),
            condition_groups=values("condition_groups"),
            product_codes=product_codes,
            use_thresholds=thresholds.value,
            exemptions=values("exemptions"),
            files=files,
        )


def _source_refs(value: Any, loc: tuple[str | int, ...]) -> Iterable[tuple[tuple[str | int, ...], str]]:
    """(path, id) for every `source: X` and `sources: [X, ...]` in raw YAML data."""
    if isinstance(value, dict):
        for key, child in value.items():
            if key == "source" and isinstance(child, str):
                yield loc + (key,), child
            elif key == "sources" and isinstance(child, list):
                for i, ref in enumerate(child):
                    if isinstance(ref, str):
                        yield loc + (key, i), ref
            else:
                yield from _source_refs(child, loc + (str(key),))
    elif isinstance(value, list):
        for i, child in enumerate(value):
            yield from _source_refs(child, loc + (i,))
