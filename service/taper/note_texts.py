"""The plan's notes for prescribers, in English, Dutch and French, filled from each note's values.

Dutch is Flemish-friendly, French is Belgian; the team glossary holds (afbouwen, afbouwschema, stap;
diminution progressive, schéma de diminution, palier). A note names a switch whenever the plan makes
one, and never promises a period at a dose that the table does not have.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from service.taper.wording import fill

__all__ = ["NOTES", "note_text"]

NOTES: dict[str, dict[str, str]] = {
    "already_target": {
        "en": "{drug} is already the long-acting drug a switch would go to; the plan tapers it directly.",
        "nl": "{drug} is al het langwerkende middel waarop zou worden overgeschakeld; het schema bouwt het rechtstreeks af.",
        "fr": "{drug} : c'est déjà le médicament à longue durée d'action vers lequel se ferait le relais ; le schéma le diminue directement.",
    },
    "switch_requested": {
        "en": "Switch to {target} first, as asked, so the dose can come down in small steps.",
        "nl": "Eerst overschakelen op {target}, zoals gevraagd, zodat de dosis in kleine stappen kan dalen.",
        "fr": "D'abord un relais par le {target}, comme demandé, pour que la dose puisse baisser par petits paliers.",
    },
    "switch_protocol": {
        "en": "The protocol tapers via {target}: first a switch from {drugs} a day to {target}.",
        "nl": "Het protocol bouwt af via {target}: eerst overschakelen van {drugs} per dag op {target}.",
        "fr": "Le protocole passe par le {target} : d'abord un relais de {drugs} par jour par le {target}.",
    },
    "switch_listed": {
        "en": "The protocol switches {drug} to {target} first (a short-acting drug, or tablets that do not allow small steps).",
        "nl": "Het protocol schakelt {drug} eerst over op {target} (kortwerkend, of tabletten die geen kleine stappen toelaten).",
        "fr": "Le protocole prévoit d'abord un relais de {drug} par le {target} (action courte, ou comprimés qui ne permettent pas de petits paliers).",
    },
    "switch_no_products": {
        "en": "No {drug} product is listed {in_market}: the plan switches to {target} on day 1.",
        "nl": "Er is geen product met {drug} {in_market}: het schema schakelt op dag 1 over op {target}.",
        "fr": "Aucun produit de {drug} n'est répertorié {in_market} : le schéma passe au {target} dès le jour 1.",
    },
    "switch_several": {
        "en": "Several BZRAs in use ({drugs}) are counted together and switched to {target} on day 1.",
        "nl": "Meerdere BZRA's in gebruik ({drugs}) worden samengeteld en op dag 1 omgezet naar {target}.",
        "fr": "Plusieurs BZRA en cours ({drugs}) sont additionnées et remplacées par le {target} dès le jour 1.",
    },
    "conversion": {
        "en": "{dose} mg {drug} a day = {de} mg diazepam-equivalent ({table} table: {eq10} mg {drug} ≈ 10 mg diazepam). Equivalence tables are approximate: adjust to how the patient feels.",
        "nl": "{dose} mg {drug} per dag = {de} mg diazepam-equivalent (tabel {table}: {eq10} mg {drug} ≈ 10 mg diazepam). Omrekentabellen zijn bij benadering: stem af op hoe de patiënt zich voelt.",
        "fr": "{dose} mg de {drug} par jour = {de} mg d'équivalent diazépam (table {table} : {eq10} mg de {drug} ≈ 10 mg de diazépam). Les tables d'équivalence sont approximatives : adaptez selon le ressenti du patient.",
    },
    "table_fallback": {
        "en": "The {table} table has no figure for {drug}; the {used} table was used.",
        "nl": "De tabel {table} geeft geen waarde voor {drug}; de tabel {used} is gebruikt.",
        "fr": "La table {table} ne donne pas de valeur pour {drug} ; la table {used} a été utilisée.",
    },
    "stabilise": {
        "en": "Step 1 is the switch: {target_dose} mg {target} a day for {days} days (rounded up to what the forms allow) before the first reduction; review 5 to 7 days after the switch.",
        "nl": "Stap 1 is de overschakeling: {target_dose} mg {target} per dag gedurende {days} dagen (naar boven afgerond op wat de vormen toelaten) vóór de eerste verlaging; evalueer 5 tot 7 dagen na de overschakeling.",
        "fr": "Le palier 1 est le relais : {target_dose} mg de {target} par jour pendant {days} jours (arrondi vers le haut selon les formes disponibles) avant la première diminution ; réévaluer 5 à 7 jours après le relais.",
    },
    "cross_taper": {
        "en": "The switch is a cross-taper over {weeks} week(s): first part of the {drug} dose is replaced by {target}, then all of it; the last week on {target} alone comes before the first reduction.",
        "nl": "De overschakeling is geleidelijk, over {weeks} week/weken: eerst wordt een deel van de dosis {drug} vervangen door {target}, daarna alles; de laatste week op enkel {target} gaat vooraf aan de eerste verlaging.",
        "fr": "Le relais est progressif, sur {weeks} semaine(s) : d'abord une partie de la dose de {drug} est remplacée par le {target}, puis toute la dose ; la dernière semaine sous {target} seul précède la première diminution.",
    },
    "recommend_switch": {
        "en": "{drug} is short-acting: a switch to {target} first may be considered (ask for the plan with a switch); this plan tapers {drug} itself.",
        "nl": "{drug} werkt kort: eerst overschakelen op {target} kan worden overwogen (vraag het schema met overschakeling); dit schema bouwt {drug} zelf af.",
        "fr": "{drug} : action courte ; un relais par le {target} peut être envisagé (demandez le schéma avec relais) ; ce schéma-ci se fait sans relais.",
    },
    "epilepsy": {
        "en": "If {drug} is taken for epilepsy, do not switch or taper it without specialist advice.",
        "nl": "Als {drug} voor epilepsie wordt gebruikt: niet overschakelen of afbouwen zonder advies van een specialist.",
        "fr": "En cas d'épilepsie traitée par {drug} : pas de relais ni de diminution sans avis spécialisé.",
    },
    "protocol_fraction_of_current": {
        "en": "{protocol}, {pace} pace: {pct}% of the current dose every {days} days; at or below a quarter of the start, {near_pct}%; the last dose before stopping is at most {last_pct}% of the start, or the smallest the forms allow.",
        "nl": "{protocol}, tempo {pace}: {pct}% van de huidige dosis om de {days} dagen; vanaf een kwart van de startdosis {near_pct}%; de laatste dosis vóór het stoppen is hoogstens {last_pct}% van de startdosis, of de kleinste die de vormen toelaten.",
        "fr": "{protocol}, rythme {pace} : {pct} % de la dose actuelle tous les {days} jours ; à partir d'un quart de la dose de départ, {near_pct} % ; la dernière dose avant l'arrêt est d'au plus {last_pct} % de la dose de départ, ou la plus petite que les formes permettent.",
    },
    "protocol_bands": {
        "en": "{protocol}, {pace} pace: fixed steps of diazepam that get smaller as the dose falls (above 20 mg: 4 mg; 20 to 10 mg: 2 mg; below 10 mg: 1 mg), each held {days} days.",
        "nl": "{protocol}, tempo {pace}: vaste stappen diazepam die kleiner worden naarmate de dosis daalt (boven 20 mg: 4 mg; van 20 tot 10 mg: 2 mg; onder 10 mg: 1 mg), telkens {days} dagen.",
        "fr": "{protocol}, rythme {pace} : paliers fixes de diazépam qui diminuent avec la dose (au-dessus de 20 mg : 4 mg ; de 20 à 10 mg : 2 mg ; sous 10 mg : 1 mg), chacun pendant {days} jours.",
    },
    "protocol_fraction_of_start": {
        "en": "{protocol}, {pace} pace: {fractions}% of the starting dose, one step every {days} days, rounded up to what the forms allow; then stop.",
        "nl": "{protocol}, tempo {pace}: {fractions}% van de startdosis, één stap om de {days} dagen, naar boven afgerond op wat de vormen toelaten; daarna stoppen.",
        "fr": "{protocol}, rythme {pace} : {fractions} % de la dose de départ, un palier tous les {days} jours, arrondi vers le haut selon les formes disponibles ; puis arrêt.",
    },
    "protocol_fixed_steps": {
        "en": "{protocol}, {pace} pace: {steps} steps of {days} days, from {first_pct}% to {last_pct}% of the starting dose (equal reductions of the current dose); then stop.",
        "nl": "{protocol}, tempo {pace}: {steps} stappen van {days} dagen, van {first_pct}% tot {last_pct}% van de startdosis (gelijke verlagingen van de huidige dosis); daarna stoppen.",
        "fr": "{protocol}, rythme {pace} : {steps} paliers de {days} jours, de {first_pct} % à {last_pct} % de la dose de départ (réductions égales de la dose actuelle) ; puis arrêt.",
    },
    "mixed_days": {
        "en": "The tablets do not make every step as a daily dose: step(s) {steps} take a lower dose on some days of the week, so no step is larger than planned.",
        "nl": "De tabletten laten niet elke stap als dagdosis toe: stap(pen) {steps} nemen op sommige dagen van de week een lagere dosis, zodat geen stap groter is dan gepland.",
        "fr": "Les comprimés ne permettent pas chaque palier en dose journalière : le(s) palier(s) {steps} prévoient une dose plus faible certains jours de la semaine, pour qu'aucun palier ne soit plus grand que prévu.",
    },
    "drug_free_days": {
        "en": "At the lowest dose the tablets make, step(s) {steps} have planned drug-free days; choose the days with the patient in advance and spread them over the week.",
        "nl": "Op de laagste dosis die de tabletten toelaten, hebben stap(pen) {steps} geplande dagen zonder middel; kies die dagen vooraf samen met de patiënt en spreid ze over de week.",
        "fr": "À la plus petite dose que permettent les comprimés, le(s) palier(s) {steps} comportent des jours sans médicament planifiés ; choisissez ces jours à l'avance avec le patient et répartissez-les sur la semaine.",
    },
    "large_steps": {
        "en": "Step(s) {steps} take off more than {max}% of the current dose because the forms allow no smaller step; staying longer at a dose is always possible.",
        "nl": "Stap(pen) {steps} verlagen met meer dan {max}% van de huidige dosis omdat de vormen geen kleinere stap toelaten; langer op een dosis blijven kan altijd.",
        "fr": "Le(s) palier(s) {steps} réduisent de plus de {max} % de la dose actuelle car les formes ne permettent pas de palier plus petit ; rester plus longtemps à une dose est toujours possible.",
    },
    "cap_not_followed": {
        "en": "As published, this protocol's steps take up to half of the current dose in a week (step(s) {steps}); ASAM 2025 advises typically no more than 25% per 2 weeks. For a slower plan, choose the slow pace or another protocol.",
        "nl": "Zoals gepubliceerd nemen de stappen van dit protocol tot de helft van de huidige dosis weg in één week (stap(pen) {steps}); ASAM 2025 raadt doorgaans niet meer dan 25% per 2 weken aan. Kies voor een trager schema het trage tempo of een ander protocol.",
        "fr": "Tel que publié, ce protocole retire jusqu'à la moitié de la dose actuelle en une semaine (palier(s) {steps}) ; l'ASAM 2025 conseille en général pas plus de 25 % par 2 semaines. Pour un schéma plus lent, choisissez le rythme lent ou un autre protocole.",
    },
    "holds": {
        "en": "Step(s) {steps} keep the dose for another period, as agreed.",
        "nl": "Stap(pen) {steps} houden de dosis een extra periode gelijk, zoals afgesproken.",
        "fr": "Le(s) palier(s) {steps} maintiennent la dose une période de plus, comme convenu.",
    },
    "market": {
        "en": "Products used (market: {market}): {products}.",
        "nl": "Gebruikte producten (markt: {market}): {products}.",
        "fr": "Produits utilisés (marché : {market}) : {products}.",
    },
    "unconfirmed": {
        "en": "The plan uses {drug} products that only older or uncertain sources place {in_market} (they make the dose taken now, or no confirmed product exists): check that the pharmacy can supply them.",
        "nl": "Het schema gebruikt producten met {drug} die alleen oudere of onzekere bronnen {in_market} vermelden (ze maken de huidige dosis mogelijk, of er is geen bevestigd product): ga na of de apotheek ze kan leveren.",
        "fr": "Le schéma utilise des produits de {drug} que seules des sources anciennes ou incertaines situent {in_market} (ils permettent la dose actuelle, ou aucun produit confirmé n'existe) : vérifiez que la pharmacie peut les fournir.",
    },
    "start_not_achievable": {
        "en": "{dose} mg a day cannot be made with the forms used; the first step goes to {first} mg a day on average.",
        "nl": "{dose} mg per dag is niet te maken met de gebruikte vormen; de eerste stap gaat naar gemiddeld {first} mg per dag.",
        "fr": "{dose} mg par jour ne peut pas être obtenu avec les formes utilisées ; le premier palier passe à {first} mg par jour en moyenne.",
    },
    "magistral": {
        "en": "Magistral capsules (RIZIV/INAMI programme): one prescription per step, at most two steps per consultation, a tripartite agreement signed by patient, doctor and pharmacist, and the same pharmacy throughout. Reimbursed for adults at home taking one BZRA once a day, for at least 3 months, at no more than 3 DDD.",
        "nl": "Magistrale capsules (afbouwprogramma RIZIV): één voorschrift per stap, hoogstens twee stappen per consult, een driepartijenovereenkomst ondertekend door patiënt, arts en apotheker, en steeds dezelfde apotheek. Terugbetaald voor volwassenen thuis die één BZRA eenmaal per dag nemen, sinds minstens 3 maanden, aan hoogstens 3 DDD.",
        "fr": "Gélules magistrales (programme INAMI) : une prescription par palier, au plus deux paliers par consultation, une convention tripartite signée par le patient, le médecin et le pharmacien, et toujours la même pharmacie. Remboursées pour les adultes à domicile qui prennent une seule BZRA une fois par jour, depuis au moins 3 mois, à 3 DDD au plus.",
    },
    "strips": {
        "en": "Tapering strips: the signed order form is the prescription; give each 28-day strip's first and last pouch as below. Reimbursement varies by insurer: check before ordering.",
        "nl": "Taperingstrips: het ondertekende bestelformulier is het recept; vermeld per strip van 28 dagen het eerste en laatste zakje zoals hieronder. De vergoeding verschilt per verzekeraar: ga dat na vóór het bestellen.",
        "fr": "Bandes de diminution (taperingstrips) : le bon de commande signé tient lieu d'ordonnance ; indiquez pour chaque bande de 28 jours le premier et le dernier sachet comme ci-dessous. Le remboursement dépend de l'assureur : vérifiez avant de commander.",
    },
}


def note_text(code: str, values: Mapping[str, Any], language: str = "en") -> str:
    """The text of a plan note in a language; an unknown code is shown as the code."""
    templates = NOTES.get(code)
    return fill(templates, values, language) if templates else code
