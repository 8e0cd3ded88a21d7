"""The demo's patients and the small formulary of its order screen.

Each patient is a FHIR R4 bundle in `patients/{id}.json` (see `dates.py` for how its dates stay
current) plus, here, the one-line story the picker shows and the prescription the order screen
starts with, in English, Dutch and French. All names and histories are invented.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

PATIENTS_DIR = Path(__file__).resolve().parent / "patients"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
ATC = "http://www.whocc.no/atc"

Text = dict[str, str]  # {"en": ..., "nl": ..., "fr": ...}


@dataclass(frozen=True)
class Product:
    """A product the demo order screen can prescribe, coded the way EHRs code it."""

    id: str
    name: Text  # the ingredient, per language
    strength_mg: float
    form: str  # tablet or capsule
    atc: str
    rxnorm: str | None = None  # RxNorm clinical drug (SCD), when one exists
    rxnorm_display: str | None = None
    bzra: bool = True

    def wire(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "strengthMg": self.strength_mg,
            "form": self.form,
            "atc": self.atc,
            "rxnorm": self.rxnorm,
            "rxnormDisplay": self.rxnorm_display,
            "bzra": self.bzra,
        }


def _n(en: str, nl: str | None = None, fr: str | None = None) -> Text:
    return {"en": en, "nl": nl or en, "fr": fr or en}


FORMULARY: tuple[Product, ...] = (
    Product("alprazolam-0.25", _n("alprazolam"), 0.25, "tablet", "N05BA12", "308047", "alprazolam 0.25 MG Oral Tablet"),
    Product("alprazolam-0.5", _n("alprazolam"), 0.5, "tablet", "N05BA12", "308048", "alprazolam 0.5 MG Oral Tablet"),
    Product("clonazepam-0.5", _n("clonazepam", "clonazepam", "clonazépam"), 0.5, "tablet", "N03AE01", "197527", "clonazepam 0.5 MG Oral Tablet"),
    Product("diazepam-2", _n("diazepam", "diazepam", "diazépam"), 2, "tablet", "N05BA01", "197590", "diazepam 2 MG Oral Tablet"),
    Product("diazepam-5", _n("diazepam", "diazepam", "diazépam"), 5, "tablet", "N05BA01", "197591", "diazepam 5 MG Oral Tablet"),
    Product("diazepam-10", _n("diazepam", "diazepam", "diazépam"), 10, "tablet", "N05BA01", "197589", "diazepam 10 MG Oral Tablet"),
    Product("lorazepam-0.5", _n("lorazepam", "lorazepam", "lorazépam"), 0.5, "tablet", "N05BA06", "197900", "lorazepam 0.5 MG Oral Tablet"),
    Product("lorazepam-1", _n("lorazepam", "lorazepam", "lorazépam"), 1, "tablet", "N05BA06", "197901", "lorazepam 1 MG Oral Tablet"),
    Product("lorazepam-2.5", _n("lorazepam", "lorazepam", "lorazépam"), 2.5, "tablet", "N05BA06", "199275", "lorazepam 2.5 MG Oral Tablet"),
    Product("lormetazepam-1", _n("lormetazepam", "lormetazepam", "lormétazépam"), 1, "tablet", "N05CD06", "199763", "lormetazepam 1 MG Oral Tablet"),
    Product("oxazepam-10", _n("oxazepam", "oxazepam", "oxazépam"), 10, "tablet", "N05BA04", "312133", "oxazepam 10 MG Oral Tablet"),
    Product("temazepam-10", _n("temazepam", "temazepam", "témazépam"), 10, "tablet", "N05CD07", "199975", "temazepam 10 MG Oral Tablet"),
    Product("zolpidem-5", _n("zolpidem"), 5, "tablet", "N05CF02", "854876", "zolpidem tartrate 5 MG Oral Tablet"),
    Product("zolpidem-10", _n("zolpidem"), 10, "tablet", "N05CF02", "854873", "zolpidem tartrate 10 MG Oral Tablet"),
    Product("zopiclone-7.5", _n("zopiclone", "zopiclon", "zopiclone"), 7.5, "tablet", "N05CF01"),
    Product("oxycodone-5", _n("oxycodone", "oxycodon", "oxycodone"), 5, "tablet", "N02AA05", bzra=False),
    Product("pregabalin-75", _n("pregabalin", "pregabaline", "prégabaline"), 75, "capsule", "N02BF02", bzra=False),
    Product("quetiapine-25", _n("quetiapine", "quetiapine", "quétiapine"), 25, "tablet", "N05AH04", bzra=False),
    Product("sertraline-50", _n("sertraline", "sertraline", "sertraline"), 50, "tablet", "N06AB06", bzra=False),
    Product("tramadol-50", _n("tramadol"), 50, "capsule", "N02AX02", bzra=False),
)
PRODUCTS = {product.id: product for product in FORMULARY}


@dataclass(frozen=True)
class Draft:
    """The prescription the order screen starts with for a patient (the user may change it)."""

    product: str
    dose: Text
    quantity: int
    repeats: int = 0
    reason: str = "other"  # insomnia, anxiety or other

    def wire(self) -> dict[str, Any]:
        return {"product": self.product, "dose": self.dose, "quantity": self.quantity, "repeats": self.repeats, "reason": self.reason}


@dataclass(frozen=True)
class DemoPatient:
    id: str
    story: Text
    draft: Draft
    try_this: Text = field(default_factory=dict)


AT_NIGHT = _n("1 tablet at night", "1 tablet voor het slapen", "1 comprimé au coucher")
TWICE = _n("1 tablet twice a day", "1 tablet 2 maal daags", "1 comprimé 2 fois par jour")
THREE_TIMES = _n("1 tablet three times a day", "1 tablet 3 maal daags", "1 comprimé 3 fois par jour")

PATIENTS: tuple[DemoPatient, ...] = (
    DemoPatient(
        "sofie-janssens",
        _n(
            "Sleeping badly since her father died three weeks ago; has taken temazepam for 9 nights and asks for a few more.",
            "Slaapt slecht sinds haar vader drie weken geleden overleed; nam 9 nachten temazepam en vraagt er nog enkele.",
            "Dort mal depuis le décès de son père il y a trois semaines ; a pris du témazépam 9 nuits et en demande encore quelques-uns.",
        ),
        Draft("temazepam-10", AT_NIGHT, 5, 0, "insomnia"),
        _n(
            "A short course within the guideline: the service stays quiet. Raise the quantity to 30 and sign again.",
            "Een korte kuur binnen de richtlijn: de service blijft stil. Verhoog de hoeveelheid naar 30 en onderteken opnieuw.",
            "Un traitement court conforme à la recommandation : le service reste discret. Passez la quantité à 30 et signez à nouveau.",
        ),
    ),
    DemoPatient(
        "marc-peeters",
        _n(
            "Zolpidem 10 mg every night for over a year, since a busy period at work; comes for his repeat prescription.",
            "Elke nacht zolpidem 10 mg, al meer dan een jaar, sinds een drukke periode op het werk; komt voor zijn herhaalvoorschrift.",
            "Zolpidem 10 mg chaque soir depuis plus d'un an, depuis une période chargée au travail ; vient pour son renouvellement.",
        ),
        Draft("zolpidem-10", AT_NIGHT, 30, 2, "insomnia"),
        _n(
            "Accept the smaller pack, or open the taper planner and try the slow pace.",
            "Aanvaard de kleinere verpakking, of open de afbouwplanner en probeer het trage tempo.",
            "Acceptez le plus petit conditionnement, ou ouvrez le planificateur et essayez le rythme lent.",
        ),
    ),
    DemoPatient(
        "ingrid-vos",
        _n(
            "Lorazepam 1 mg three times a day for anxiety for about three years; feels it helps less than it used to.",
            "Al ongeveer drie jaar lorazepam 1 mg 3 maal daags voor angst; vindt dat het minder helpt dan vroeger.",
            "Lorazépam 1 mg 3 fois par jour pour l'anxiété depuis environ trois ans ; trouve qu'il l'aide moins qu'avant.",
        ),
        Draft("lorazepam-1", THREE_TIMES, 90, 0, "anxiety"),
        _n(
            "A high dose: look at the taper plan with a switch to diazepam, and the referral.",
            "Een hoge dosis: bekijk het afbouwschema met omzetten naar diazepam, en de verwijzing.",
            "Une dose élevée : regardez le schéma avec passage au diazépam, et l'orientation.",
        ),
    ),
    DemoPatient(
        "jan-de-groot",
        _n(
            "Oxycodone for back pain since spinal surgery in the autumn; now anxious and not sleeping, diazepam is being considered.",
            "Oxycodon voor rugpijn sinds een rugoperatie in het najaar; nu angstig en slaapt niet, diazepam wordt overwogen.",
            "Oxycodone pour des douleurs dorsales depuis une opération du dos à l'automne ; anxieux et sans sommeil, le diazépam est envisagé.",
        ),
        Draft("diazepam-5", TWICE, 28, 0, "anxiety"),
        _n(
            "An opioid with a benzodiazepine: a critical card. Override it with a reason to see the feedback.",
            "Een opioïd met een benzodiazepine: een kritieke kaart. Negeer ze met een reden om de feedback te zien.",
            "Un opioïde avec une benzodiazépine : une carte critique. Passez outre avec un motif pour voir le retour.",
        ),
    ),
    DemoPatient(
        "maria-claes",
        _n(
            "Lives alone; zolpidem 5 mg at night for six weeks since a hospital stay, and fell in her kitchen last month.",
            "Woont alleen; neemt zolpidem 5 mg 's avonds sinds een ziekenhuisopname zes weken geleden, en viel vorige maand in haar keuken.",
            "Vit seule ; prend du zolpidem 5 mg le soir depuis une hospitalisation il y a six semaines, et a chuté dans sa cuisine le mois dernier.",
        ),
        Draft("zolpidem-5", AT_NIGHT, 30, 0, "insomnia"),
        _n(
            "Age, duration and pack size come together in one card.",
            "Leeftijd, duur en verpakkingsgrootte komen samen in één kaart.",
            "L'âge, la durée et la taille du conditionnement sont réunis dans une seule carte.",
        ),
    ),
    DemoPatient(
        "ahmed-el-amrani",
        _n(
            "Oxazepam twice a day for ten days during a stressful move; now asks for something to sleep.",
            "Sinds tien dagen oxazepam 2 maal daags tijdens een stressvolle verhuis; vraagt nu iets om te slapen.",
            "Oxazépam 2 fois par jour depuis dix jours pendant un déménagement stressant ; demande maintenant quelque chose pour dormir.",
        ),
        Draft("zolpidem-10", AT_NIGHT, 7, 0, "insomnia"),
        _n(
            "Two benzodiazepines/Z-drugs at once; the history is a text-only medication statement.",
            "Twee benzodiazepines/Z-drugs tegelijk; de voorgeschiedenis is een medicatieoverzicht in vrije tekst.",
            "Deux benzodiazépines/Z-drugs en même temps ; l'historique est une déclaration en texte libre.",
        ),
    ),
    DemoPatient(
        "peter-wouters",
        _n(
            "Stopped drinking four months ago with the addiction clinic and takes acamprosate; anxious at night, asks for diazepam.",
            "Stopte vier maanden geleden met drinken met hulp van de verslavingszorg en neemt acamprosaat; 's nachts angstig, vraagt diazepam.",
            "A arrêté de boire il y a quatre mois avec l'aide d'un service d'alcoologie et prend de l'acamprosate ; anxieux la nuit, demande du diazépam.",
        ),
        Draft("diazepam-5", TWICE, 10, 0, "anxiety"),
        _n(
            "Accept the referral: it appears as a pending referral.",
            "Aanvaard de verwijzing: ze verschijnt als openstaande verwijzing.",
            "Acceptez l'orientation : elle apparaît comme orientation en attente.",
        ),
    ),
    DemoPatient(
        "hilde-maes",
        _n(
            "Took lorazepam for years; switched to diazepam six weeks ago and is tapering with her GP, going well; needs her next supply.",
            "Nam jarenlang lorazepam; stapte zes weken geleden over op diazepam en bouwt af met haar huisarts, het gaat goed; heeft een nieuwe voorraad nodig.",
            "A pris du lorazépam pendant des années ; est passée au diazépam il y a six semaines et diminue avec son médecin, tout va bien ; a besoin de la suite.",
        ),
        Draft("diazepam-5", _n("1 tablet a day", "1 tablet per dag", "1 comprimé par jour"), 14, 0, "other"),
        _n(
            "The service reads her written plan: an encouraging card with her current and next step, never “start a taper”.",
            "De service leest haar afbouwschema: een bemoedigende kaart met haar huidige en volgende stap, nooit “start met afbouwen”.",
            "Le service lit son schéma écrit : une carte encourageante avec son palier actuel et le suivant, jamais « commencer une diminution ».",
        ),
    ),
    DemoPatient(
        "lucas-dubois",
        _n(
            "Depression, doing better on sertraline; comes for a renewal. No sleeping pills or tranquillisers.",
            "Depressie, gaat beter met sertraline; komt voor een hernieuwing. Geen slaap- of kalmeermiddelen.",
            "Dépression, va mieux sous sertraline ; vient pour un renouvellement. Aucun somnifère ni calmant.",
        ),
        Draft("sertraline-50", _n("1 tablet in the morning", "1 tablet 's ochtends", "1 comprimé le matin"), 30, 2, "other"),
        _n(
            "No benzodiazepine or Z-drug: no cards at all.",
            "Geen benzodiazepine of Z-drug: helemaal geen kaarten.",
            "Pas de benzodiazépine ni de Z-drug : aucune carte.",
        ),
    ),
    DemoPatient(
        "els-jacobs",
        _n(
            "Pregabalin for nerve pain after shingles; worried and sleeping poorly, asks for lorazepam.",
            "Pregabaline voor zenuwpijn na gordelroos; ongerust en slaapt slecht, vraagt lorazepam.",
            "Prégabaline pour des douleurs nerveuses après un zona ; inquiète et dort mal, demande du lorazépam.",
        ),
        Draft("lorazepam-1", AT_NIGHT, 7, 0, "anxiety"),
        _n(
            "A gabapentinoid with a benzodiazepine adds to drowsiness and breathing problems.",
            "Een gabapentinoïde met een benzodiazepine geeft meer sufheid en ademhalingsproblemen.",
            "Un gabapentinoïde avec une benzodiazépine augmente la somnolence et les problèmes respiratoires.",
        ),
    ),
    DemoPatient(
        "tom-hermans",
        _n(
            "Panic attacks since a car accident two weeks ago; a first, short course of oxazepam while therapy starts.",
            "Paniekaanvallen sinds een auto-ongeval twee weken geleden; een eerste, korte kuur oxazepam tot de therapie start.",
            "Attaques de panique depuis un accident de voiture il y a deux semaines ; un premier traitement court d'oxazépam en attendant la thérapie.",
        ),
        Draft("oxazepam-10", THREE_TIMES, 90, 0, "anxiety"),
        _n(
            "The order covers 30 days: accept the smaller pack and see the order change.",
            "Het voorschrift dekt 30 dagen: aanvaard de kleinere verpakking en zie het voorschrift veranderen.",
            "La prescription couvre 30 jours : acceptez le plus petit conditionnement et voyez la prescription changer.",
        ),
    ),
    DemoPatient(
        "georges-lambert",
        _n(
            "Palliative care at home for lung cancer; lorazepam when short of breath and anxious, with morphine.",
            "Palliatieve zorg thuis voor longkanker; lorazepam bij kortademigheid en angst, samen met morfine.",
            "Soins palliatifs à domicile pour un cancer du poumon ; lorazépam en cas d'essoufflement et d'angoisse, avec de la morphine.",
        ),
        Draft(
            "lorazepam-1",
            _n(
                "1 tablet up to three times a day when needed",
                "1 tablet tot 3 maal daags zo nodig",
                "1 comprimé jusqu'à 3 fois par jour si besoin",
            ),
            30,
            0,
            "other",
        ),
        _n(
            "The rules hold back in palliative care: no cards.",
            "De regels houden zich in bij palliatieve zorg: geen kaarten.",
            "Les règles se retiennent en soins palliatifs : aucune carte.",
        ),
    ),
    DemoPatient(
        "nadia-haddad",
        _n(
            "Clonazepam from her psychiatrist for years; had a wisdom tooth out and the dentist wants to prescribe tramadol.",
            "Neemt al jaren clonazepam van haar psychiater; liet een verstandskies trekken en de tandarts wil tramadol voorschrijven.",
            "Prend du clonazépam prescrit par son psychiatre depuis des années ; s'est fait retirer une dent de sagesse et le dentiste veut prescrire du tramadol.",
        ),
        Draft(
            "tramadol-50",
            _n(
                "1 capsule up to 4 times a day as needed",
                "1 capsule tot 4 maal daags zo nodig",
                "1 gélule jusqu'à 4 fois par jour si besoin",
            ),
            20,
            0,
            "other",
        ),
        _n(
            "The opioid is the new order here: the card still warns about the benzodiazepine in use.",
            "Hier is het opioïd het nieuwe voorschrift: de kaart waarschuwt toch voor de benzodiazepine in gebruik.",
            "Ici, l'opioïde est la nouvelle prescription : la carte avertit quand même de la benzodiazépine en cours.",
        ),
    ),
)
PATIENTS_BY_ID = {patient.id: patient for patient in PATIENTS}


@lru_cache(maxsize=None)
def _raw_bundle(patient_id: str) -> str:
    return (PATIENTS_DIR / f"{patient_id}.json").read_text(encoding="utf-8")


def load_bundle(patient_id: str) -> dict[str, Any]:
    """The bundle as stored (dates as of its reference day); a fresh copy on every call."""
    if patient_id not in PATIENTS_BY_ID:
        raise KeyError(patient_id)
    return json.loads(_raw_bundle(patient_id))


def patient_resource(bundle: dict[str, Any]) -> dict[str, Any]:
    return next(e["resource"] for e in bundle.get("entry", []) if e.get("resource", {}).get("resourceType") == "Patient")
