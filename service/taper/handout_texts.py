"""Every word the taper renderings print, in English, Dutch and French, in one place for translators.

Three groups: plan notes (for prescribers, filled from a note's values), labels for the prescriber's
text and table renderings, and the patient handout.  The handout is written in plain, respectful,
person-centred words ("long-term use", never "abuse" or "addict"); the patient's pace comes first.
Numbers are formatted per language (decimal comma in nl and fr), dates with local month names.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

__all__ = [
    "HANDOUT",
    "LABELS",
    "LANGUAGES",
    "NOTES",
    "fmt_date",
    "fmt_number",
    "language_or_default",
    "note_text",
    "tablet_words",
]

LANGUAGES = ("en", "nl", "fr")

NOTES: dict[str, dict[str, str]] = {
    "en": {
        "already_target": "{drug} is already the long-acting drug used for a switch; the plan tapers it directly.",
        "switch_requested": "Switched to {target} as requested, so the dose can come down in small steps.",
        "switch_no_strengths": "{drug} has no marketed oral strengths{where}; the plan switches to {target} so the dose can be reduced.",
        "switch_no_smaller_dose": "The marketed strengths of {drug}{where} allow no dose below {dose} mg a day; the plan switches to {target}, which allows small steps.",
        "conversion": "{dose} mg {drug} a day = {de} mg diazepam-equivalent ({table} table: {eq10} mg {drug} ≈ 10 mg diazepam), rounded up to {target_dose} mg {target} a day, a dose the tablets allow. Equivalence tables are approximate: adjust to how the patient feels.",
        "table_fallback": "The {table} table has no figure for {drug}; the {used} table was used.",
        "stabilise": "Stay on {target_dose} mg {target} a day for {days} days before the first reduction; review {low} to {high} days after the switch.",
        "recommend_switch": "{drug} is short-acting: guidelines suggest considering a switch to {target} first, which leaves the body slowly and allows smaller steps (ask for the plan with a switch to {target}).",
        "epilepsy": "If {drug} is taken for epilepsy, do not switch or taper it without specialist advice.",
        "start_not_achievable": "{dose} mg a day cannot be made with the marketed tablets; the first step goes to {first} mg.",
        "pace": "Pace ({pace}): {pct}% of the current dose every {days} days; at {threshold} mg {drug} a day or less, {near_pct}% or the smallest step the tablets allow ({unit} mg).",
        "large_steps": "Step(s) {steps} take off more than {max}% of the dose because the tablets allow no smaller step; staying longer at a dose is fine.",
        "holds": "Step(s) {steps} keep the dose for {days} more days, as agreed.",
        "markets": "Only strengths marketed in {markets} were used.",
    },
    "nl": {
        "already_target": "{drug} is al het langwerkende middel waarop wordt overgestapt; het plan bouwt het direct af.",
        "switch_requested": "Overgestapt op {target} zoals gevraagd, zodat de dosis in kleine stappen omlaag kan.",
        "switch_no_strengths": "{drug} heeft geen orale sterkten in de handel{where}; het plan stapt over op {target} zodat de dosis omlaag kan.",
        "switch_no_smaller_dose": "Met de sterkten van {drug} in de handel{where} kan de dosis niet onder {dose} mg per dag; het plan stapt over op {target}, dat kleine stappen toelaat.",
        "conversion": "{dose} mg {drug} per dag = {de} mg diazepam-equivalent (tabel {table}: {eq10} mg {drug} ≈ 10 mg diazepam), naar boven afgerond op {target_dose} mg {target} per dag, een dosis die met de tabletten kan. Omrekentabellen zijn bij benadering: stem af op hoe de patiënt zich voelt.",
        "table_fallback": "De tabel {table} geeft geen waarde voor {drug}; de tabel {used} is gebruikt.",
        "stabilise": "Blijf {days} dagen op {target_dose} mg {target} per dag voor de eerste verlaging; evalueer {low} tot {high} dagen na de overstap.",
        "recommend_switch": "{drug} werkt kort: richtlijnen raden aan eerst overstappen op {target} te overwegen; dat verdwijnt langzaam uit het lichaam en laat kleinere stappen toe (vraag het plan met overstap op {target}).",
        "epilepsy": "Als {drug} voor epilepsie wordt gebruikt: niet overstappen of afbouwen zonder advies van een specialist.",
        "start_not_achievable": "{dose} mg per dag is niet te maken met de tabletten in de handel; de eerste stap gaat naar {first} mg.",
        "pace": "Tempo {pace}: {pct}% van de huidige dosis elke {days} dagen; bij {threshold} mg {drug} per dag of minder {near_pct}% of de kleinste stap die de tabletten toelaten ({unit} mg).",
        "large_steps": "Stap(pen) {steps} verlagen met meer dan {max}% omdat de tabletten geen kleinere stap toelaten; langer op een dosis blijven mag altijd.",
        "holds": "Stap(pen) {steps} houden de dosis {days} dagen langer gelijk, zoals afgesproken.",
        "markets": "Alleen sterkten in de handel in {markets} zijn gebruikt.",
    },
    "fr": {
        "already_target": "{drug} est déjà le médicament à longue durée d'action utilisé pour un relais ; le plan le diminue directement.",
        "switch_requested": "Relais par {target} comme demandé, pour que la dose puisse baisser par petites étapes.",
        "switch_no_strengths": "{drug} n'a pas de dosage oral commercialisé{where} ; le plan passe au {target} pour pouvoir réduire la dose.",
        "switch_no_smaller_dose": "Les dosages commercialisés de {drug}{where} ne permettent pas de descendre sous {dose} mg par jour ; le plan passe au {target}, qui permet de petites étapes.",
        "conversion": "{dose} mg de {drug} par jour = {de} mg d'équivalent diazépam (table {table} : {eq10} mg de {drug} ≈ 10 mg de diazépam), arrondi vers le haut à {target_dose} mg de {target} par jour, une dose possible avec les comprimés. Les tables d'équivalence sont approximatives : ajustez selon le ressenti du patient.",
        "table_fallback": "La table {table} ne donne pas de valeur pour {drug} ; la table {used} a été utilisée.",
        "stabilise": "Rester {days} jours à {target_dose} mg de {target} par jour avant la première diminution ; réévaluer {low} à {high} jours après le relais.",
        "recommend_switch": "{drug} a une action courte : les recommandations proposent d'envisager d'abord un relais par {target}, qui quitte le corps lentement et permet de plus petites étapes (demandez le plan avec relais par {target}).",
        "epilepsy": "Si {drug} est pris pour une épilepsie, ne pas faire de relais ni diminuer sans avis spécialisé.",
        "start_not_achievable": "{dose} mg par jour ne peut pas être obtenu avec les comprimés commercialisés ; la première étape passe à {first} mg.",
        "pace": "Rythme {pace} : {pct} % de la dose actuelle tous les {days} jours ; à {threshold} mg de {drug} par jour ou moins, {near_pct} % ou la plus petite étape permise par les comprimés ({unit} mg).",
        "large_steps": "L'étape ou les étapes {steps} réduisent de plus de {max} % car les comprimés ne permettent pas une étape plus petite ; rester plus longtemps à une dose est toujours possible.",
        "holds": "L'étape ou les étapes {steps} gardent la dose {days} jours de plus, comme convenu.",
        "markets": "Seuls les dosages commercialisés en {markets} ont été utilisés.",
    },
}

LABELS: dict[str, dict[str, Any]] = {
    "en": {
        "title": "Taper plan",
        "colon": ": ",
        "pace": "pace",
        "step": "Step",
        "from": "From",
        "to": "To",
        "dose": "Daily dose",
        "tablets": "Tablets a day",
        "per_day": "a day",
        "stop": "stop",
        "days": "days",
        "first_free_day": "first day without",
        "switched_to": "switched to",
        "notes": "Notes",
        "sources": "Sources",
        "kinds": {"switch": "switch", "stabilise": "stabilise", "reduce": "reduce", "hold": "hold", "stop": "stop"},
    },
    "nl": {
        "title": "Afbouwschema",
        "colon": ": ",
        "pace": "tempo",
        "step": "Stap",
        "from": "Van",
        "to": "Tot en met",
        "dose": "Dosis per dag",
        "tablets": "Tabletten per dag",
        "per_day": "per dag",
        "stop": "stoppen",
        "days": "dagen",
        "first_free_day": "eerste dag zonder",
        "switched_to": "overgestapt op",
        "notes": "Opmerkingen",
        "sources": "Bronnen",
        "kinds": {"switch": "overstap", "stabilise": "stabiliseren", "reduce": "verlagen", "hold": "pauze", "stop": "stoppen"},
    },
    "fr": {
        "title": "Plan de diminution",
        "colon": " : ",
        "pace": "rythme",
        "step": "Étape",
        "from": "Du",
        "to": "Au",
        "dose": "Dose par jour",
        "tablets": "Comprimés par jour",
        "per_day": "par jour",
        "stop": "arrêt",
        "days": "jours",
        "first_free_day": "premier jour sans",
        "switched_to": "relais par",
        "notes": "Remarques",
        "sources": "Sources",
        "kinds": {"switch": "relais", "stabilise": "stabiliser", "reduce": "diminuer", "hold": "pause", "stop": "arrêt"},
    },
}

HANDOUT: dict[str, dict[str, Any]] = {
    "en": {
        "title": "Your plan to reduce {drug} step by step",
        "intro": "This plan was made together with you. It lowers your dose a little at a time, so your body can get used to each step. Your pace comes first: the plan can always be made slower.",
        "switch": "First you change to {target}, a similar medicine that leaves the body slowly. This makes the steps smaller and gentler. Stay on the first dose for {days} days before the first step down.",
        "schedule": "Your schedule",
        "cols": ["Step", "From", "To", "Each day", "Which tablets", "Done"],
        "row_switch": "Change to {target}",
        "row_hold": "Stay at this dose",
        "row_stop": "Stop: no more {drug}",
        "expect": "What to expect",
        "expect_items": [
            "Some people notice withdrawal symptoms after a step, such as feeling restless or anxious, headaches or aching muscles. They are usually mild and pass within days to a few weeks.",
            "Your sleep may be worse for a while. This is common and usually gets better.",
            "Many people feel clearer and more alert once they have reduced.",
        ],
        "hard": "If it gets hard",
        "hard_items": [
            "You can stay at your current dose longer before the next step. A pause (a hold) is fine and does not mean the plan has failed.",
            "Please do not go back up to a higher dose without talking to your prescriber first.",
            "Tell your prescriber or pharmacist how it is going; the plan can be changed to suit you.",
        ],
        "never": "Please do not stop suddenly",
        "never_text": "Stopping all at once can cause strong withdrawal symptoms and, rarely, seizures. Follow the steps, and take your tablets at the same times of day as before unless you agreed otherwise.",
        "contacts": "Who to call",
        "contacts_empty": "Your prescriber or pharmacist. Write their phone number here: ____________",
        "footer": "Plan made on {date}. Keep this page with your medicines.",
    },
    "nl": {
        "title": "Uw plan om {drug} stap voor stap af te bouwen",
        "intro": "Dit plan is samen met u gemaakt. Uw dosis gaat steeds een klein beetje omlaag, zodat uw lichaam aan elke stap kan wennen. Uw tempo staat voorop: het plan kan altijd langzamer.",
        "switch": "Eerst stapt u over op {target}, een vergelijkbaar middel dat langzaam uit het lichaam verdwijnt. Daardoor worden de stappen kleiner en rustiger. Blijf {days} dagen op de eerste dosis voordat u de eerste stap omlaag zet.",
        "schedule": "Uw schema",
        "cols": ["Stap", "Van", "Tot en met", "Per dag", "Welke tabletten", "Gedaan"],
        "row_switch": "Overstappen op {target}",
        "row_hold": "Op deze dosis blijven",
        "row_stop": "Stoppen: geen {drug} meer",
        "expect": "Wat kunt u verwachten",
        "expect_items": [
            "Na een stap merken sommige mensen ontwenningsverschijnselen, zoals onrust, angst, hoofdpijn of spierpijn. Die zijn meestal mild en gaan binnen enkele dagen tot weken over.",
            "U kunt een tijdje slechter slapen. Dat komt vaak voor en wordt meestal weer beter.",
            "Veel mensen voelen zich na het afbouwen helderder en alerter.",
        ],
        "hard": "Als het zwaar wordt",
        "hard_items": [
            "U kunt langer op uw huidige dosis blijven voordat u de volgende stap zet. Een pauze is prima en betekent niet dat het plan mislukt is.",
            "Ga niet terug naar een hogere dosis zonder eerst met uw voorschrijver te overleggen.",
            "Vertel uw voorschrijver of apotheker hoe het gaat; het plan kan worden aangepast aan wat voor u werkt.",
        ],
        "never": "Stop niet plotseling",
        "never_text": "In één keer stoppen kan hevige ontwenningsverschijnselen geven en, zelden, een epileptische aanval. Volg de stappen en neem uw tabletten op dezelfde momenten van de dag als voorheen, tenzij u iets anders hebt afgesproken.",
        "contacts": "Wie kunt u bellen",
        "contacts_empty": "Uw voorschrijver of apotheker. Schrijf hier het telefoonnummer: ____________",
        "footer": "Plan gemaakt op {date}. Bewaar dit blad bij uw medicijnen.",
    },
    "fr": {
        "title": "Votre plan de diminution pas à pas : {drug}",
        "intro": "Ce plan a été établi avec vous. Votre dose baisse un peu à la fois, pour que votre corps puisse s'habituer à chaque étape. Votre rythme passe en premier : le plan peut toujours être ralenti.",
        "switch": "D'abord, vous passez au {target}, un médicament semblable qui quitte le corps lentement. Les étapes sont ainsi plus petites et plus douces. Restez {days} jours à la première dose avant la première diminution.",
        "schedule": "Votre calendrier",
        "cols": ["Étape", "Du", "Au", "Par jour", "Quels comprimés", "Fait"],
        "row_switch": "Passer au {target}",
        "row_hold": "Rester à cette dose",
        "row_stop": "Arrêt : plus de {drug}",
        "expect": "À quoi vous attendre",
        "expect_items": [
            "Après une étape, certaines personnes ressentent des symptômes de sevrage, comme de l'agitation, de l'anxiété, des maux de tête ou des douleurs musculaires. Ils sont en général légers et passent en quelques jours à quelques semaines.",
            "Le sommeil peut être moins bon pendant un temps. C'est fréquent et cela s'améliore en général.",
            "Beaucoup de personnes se sentent plus claires et plus alertes après la diminution.",
        ],
        "hard": "Si c'est difficile",
        "hard_items": [
            "Vous pouvez rester plus longtemps à votre dose actuelle avant l'étape suivante. Une pause est tout à fait possible et ne veut pas dire que le plan a échoué.",
            "Ne remontez pas à une dose plus élevée sans en parler d'abord à votre prescripteur.",
            "Dites à votre prescripteur ou à votre pharmacien comment cela se passe ; le plan peut être adapté à vos besoins.",
        ],
        "never": "N'arrêtez pas brusquement",
        "never_text": "Un arrêt brutal peut provoquer de forts symptômes de sevrage et, rarement, des crises d'épilepsie. Suivez les étapes et prenez vos comprimés aux mêmes moments de la journée qu'avant, sauf si vous avez convenu autre chose.",
        "contacts": "Qui appeler",
        "contacts_empty": "Votre prescripteur ou votre pharmacien. Notez ici son numéro : ____________",
        "footer": "Plan établi le {date}. Gardez cette page avec vos médicaments.",
    },
}

_MONTHS = {
    "en": ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
    "nl": ["jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec"],
    "fr": ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."],
}

# (singular, plural) of each dose form, and how "half a unit" is said.
_FORMS = {
    "en": {"tablet": ("tablet", "tablets"), "capsule": ("capsule", "capsules"), "oral_film": ("film", "films")},
    "nl": {"tablet": ("tablet", "tabletten"), "capsule": ("capsule", "capsules"), "oral_film": ("film", "films")},
    "fr": {"tablet": ("comprimé", "comprimés"), "capsule": ("gélule", "gélules"), "oral_film": ("film", "films")},
}
_UNIT_OF = {"en": "{count} {form} of {strength} mg", "nl": "{count} {form} van {strength} mg", "fr": "{count} {form} de {strength} mg"}
_HALF = {"en": "half a {form} of {strength} mg", "nl": "een halve {form} van {strength} mg", "fr": "un demi-{form} de {strength} mg"}
_WHERE = {"en": " in {markets}", "nl": " in {markets}", "fr": " en {markets}"}


def language_or_default(language: str | None) -> str:
    return language if language in LANGUAGES else "en"


def fmt_number(value: float, language: str = "en") -> str:
    """2.5 -> '2.5' (en) or '2,5' (nl, fr); no trailing zeros."""
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return text.replace(".", ",") if language in ("nl", "fr") else text


def fmt_date(day: date, language: str = "en") -> str:
    return f"{day.day} {_MONTHS[language_or_default(language)][day.month - 1]} {day.year}"


def _count(count: float) -> str:
    whole = int(count)
    return f"{whole}½" if count - whole else str(whole)


def tablet_words(
    tablets: tuple[tuple[float, float], ...], forms: Mapping[float, str], language: str = "en"
) -> str:
    """'1 tablet of 2.5 mg + half a tablet of 2 mg', in the language; '' for no tablets."""
    language = language_or_default(language)
    parts = []
    for strength, count in tablets:
        form = forms.get(strength, "tablet")
        singular, plural = _FORMS[language].get(form, _FORMS[language]["tablet"])
        amount = fmt_number(strength, language)
        if count == 0.5:
            parts.append(_HALF[language].format(form=singular, strength=amount))
        else:
            noun = singular if count <= 1 or (language != "en" and count < 2) else plural
            parts.append(_UNIT_OF[language].format(count=_count(count), form=noun, strength=amount))
    return " + ".join(parts)


def _value(value: Any, language: str) -> str:
    if isinstance(value, Mapping):
        return str(value.get(language) or value.get("en") or next(iter(value.values()), ""))
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return fmt_number(value, language)
    return str(value)


def note_text(code: str, values: Mapping[str, Any], language: str = "en") -> str:
    """The text of a plan note in a language; unknown codes fall back to English, then to the code."""
    language = language_or_default(language)
    template = NOTES[language].get(code) or NOTES["en"].get(code)
    if template is None:
        return code
    filled = {key: _value(value, language) for key, value in values.items()}
    markets = values.get("markets")
    filled["where"] = _WHERE[language].format(markets=markets) if markets else ""
    return template.format_map(_Missing(filled))


class _Missing(dict[str, str]):
    """Leaves an unknown placeholder visible instead of failing a rendering."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"
