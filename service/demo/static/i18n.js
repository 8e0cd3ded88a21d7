// Every word the demo page and the taper planner show, in English, Dutch and French.
// Elements carry data-i18n="key" (text) or data-i18n-attr="attribute:key;attribute:key".
// Wording is person-centred: "long-term use", never words that blame the patient.

export const LANGUAGES = ["en", "nl", "fr"];

const STRINGS = {
  en: {
    "app.language": "Language",
    "app.langName.en": "English",
    "app.langName.nl": "Nederlands",
    "app.langName.fr": "Français",
    "error.network": "The service could not be reached. Check the connection and try again.",
    "error.status": "The service answered with an error (HTTP {status}).",
    "error.unexpected": "Something went wrong: {message}",

    "demo.title": "bzra-cds demo: an order screen without an EHR",
    "demo.banner": "Demonstration with invented patients, in development mode: calls are not authenticated. Never enter real patient data.",
    "demo.plannerLink": "Taper planner",
    "demo.patients": "Demo patients",
    "demo.patientsIntro": "Pick a patient to open their record.",
    "demo.loadingPatients": "Loading the demo patients…",
    "demo.age": "{age} years",
    "demo.try": "Try this: {text}",
    "demo.choose": "Choose a patient on the left to start.",
    "demo.born": "born {date}",
    "gender.female": "woman",
    "gender.male": "man",
    "gender.other": "other",
    "gender.unknown": "gender unknown",
    "demo.record": "Record",
    "demo.meds": "Medication history",
    "demo.col.medicine": "Medicine",
    "demo.col.dose": "Dose",
    "demo.col.when": "When",
    "demo.col.source": "Source",
    "demo.source.MedicationStatement": "Medication review",
    "demo.source.MedicationRequest": "Prescription",
    "demo.source.MedicationDispense": "Pharmacy",
    "demo.when.since": "since {date}",
    "demo.when.period": "{start} – {end}",
    "demo.when.on": "on {date}",
    "demo.when.prescribed": "prescribed {date}",
    "demo.when.dispensed": "dispensed {date}",
    "demo.status.completed": "finished",
    "demo.status.stopped": "stopped",
    "demo.noMeds": "No medication recorded.",
    "demo.bzraTag": "BZRA",
    "demo.conditions": "Problems and diagnoses",
    "demo.noConditions": "None recorded.",
    "demo.order": "New prescription",
    "order.drug": "Medicine",
    "order.bzraGroup": "Benzodiazepines and Z-drugs",
    "order.otherGroup": "Other medicines",
    "order.strength": "Strength",
    "order.form.tablet": "tablet",
    "order.form.capsule": "capsule",
    "order.forms.tablet": "tablets",
    "order.forms.capsule": "capsules",
    "order.dose": "Dose instructions",
    "order.doseHint": "As you would write them, e.g. “1 tablet at night”.",
    "order.quantity": "Quantity",
    "order.repeats": "Repeats",
    "order.reason": "Reason",
    "reason.insomnia": "Insomnia",
    "reason.anxiety": "Anxiety",
    "reason.other": "Other",
    "order.sign": "Sign the prescription",
    "order.reset": "Back to the story's prescription",
    "order.err.dose": "Write the dose instructions, e.g. “1 tablet at night”.",
    "order.err.quantity": "Enter a quantity of 1 or more.",
    "order.err.repeats": "Enter 0 or more repeats.",
    "cards.heading": "Advice from bzra-cds",
    "cards.notSigned": "Sign a prescription to see the advice.",
    "cards.waiting": "Asking the service…",
    "cards.none": "No advice: as far as the service can tell, this prescription fits the guidance.",
    "cards.one": "1 card: {summaries}",
    "cards.many": "{n} cards: {summaries}",
    "cards.failed": "The advice could not be fetched: {message}",
    "cards.languageNote": "Cards come in the language of the request: sign again to see them in the new language.",
    "indicator.critical": "Critical",
    "indicator.warning": "Warning",
    "indicator.info": "Information",
    "card.source": "Source:",
    "card.suggestions": "Suggested changes",
    "card.recommended": "Recommended",
    "card.links": "More information",
    "card.override": "Not following this advice?",
    "card.reason": "Reason",
    "card.chooseReason": "Choose a reason…",
    "card.comment": "Comment (optional)",
    "card.overrideButton": "Dismiss with this reason",
    "card.needReason": "Choose a reason first.",
    "card.accepted": "Accepted: {label}",
    "card.overridden": "Dismissed: {reason}",
    "card.feedbackSent": "Feedback sent to the service.",
    "card.feedbackFailed": "The feedback could not be sent: {message}",
    "card.openPlanner": "Open the taper planner",
    "card.newWindow": "(opens in a new window)",
    "orders.heading": "Orders in this session",
    "orders.none": "No orders yet.",
    "orders.draft": "Draft, to be signed",
    "orders.changed": "Changed by an accepted suggestion",
    "orders.taper": "Taper plan, a new order",
    "orders.removed": "Removed by an accepted suggestion",
    "orders.quantity": "Quantity: {quantity} {unit}; repeats: {repeats}",
    "orders.supply": "Supply: {days} days",
    "orders.steps": "Steps",
    "orders.referrals": "Pending referrals",
    "orders.referralStatus": "draft referral, to discuss with the patient and send",
    "demo.exchange": "The CDS Hooks request and response (for integrators and rule authors)",
    "demo.request": "Request",
    "demo.response": "Response",

    "planner.title": "Taper planner",
    "planner.intro": "Make a gradual taper plan together with the patient: choose the pace, take more time at a step when needed, and print the plan.",
    "planner.form": "The plan's starting point",
    "planner.drug": "Medicine taken now",
    "planner.drugHint": "A benzodiazepine or Z-drug, e.g. lorazepam.",
    "planner.dose": "Daily dose now (mg a day)",
    "planner.doseHint": "In mg a day, e.g. 3 or 2.5.",
    "planner.pace": "Pace",
    "pace.standard": "Standard: about a quarter less every 2 weeks, smaller steps near the end",
    "pace.slow": "Slow: about a tenth less every 2 weeks, smaller steps near the end",
    "planner.switch": "Switch to diazepam first (long-acting; smaller steps are possible)",
    "planner.start": "First day of the plan",
    "planner.holds": "Extra time at a step",
    "planner.noHolds": "None. Use “More time at this dose” in the table.",
    "planner.holdList": "After step(s): {steps}",
    "planner.clearHolds": "Remove the extra time",
    "planner.make": "Make the plan",
    "planner.working": "Making the plan…",
    "planner.patient": "Patient: {patient}",
    "planner.result": "The plan",
    "planner.empty": "Enter the medicine and the daily dose to see a plan.",
    "planner.summary": "{drug} {dose} mg a day to zero in about {weeks} weeks, at the {pace} pace: {start} – first day without {taper}: {end}.",
    "paceName.standard": "standard",
    "paceName.slow": "slow",
    "planner.switched": "Switch to {drug} first.",
    "planner.chart": "Daily dose over time",
    "planner.chartDesc": "The daily dose goes from {from} mg to 0 between {start} and {end}.",
    "planner.axis": "mg {drug} a day",
    "planner.table": "The plan, step by step",
    "col.step": "Step",
    "col.what": "What",
    "col.from": "From",
    "col.to": "To",
    "col.dose": "Daily dose",
    "col.tablets": "Tablets a day",
    "col.actions": "Extra time",
    "kind.switch": "Switch",
    "kind.stabilise": "Settle",
    "kind.reduce": "Lower",
    "kind.hold": "More time",
    "kind.stop": "Stop",
    "planner.hold": "More time at this dose",
    "planner.holdLabel": "More time at step {step} ({dose} mg)",
    "planner.unhold": "Remove this extra time",
    "planner.unholdLabel": "Remove the extra time after step {step}",
    "planner.notes": "Notes",
    "planner.handout": "Patient handout (print)",
    "planner.write": "Write the plan to the EHR",
    "planner.writing": "Writing the plan to the EHR…",
    "planner.written": "The plan was written to the EHR as {id}.",
    "planner.writeFailed": "The plan could not be written to the EHR: {message}",
    "planner.holdsCleared": "The steps changed, so the extra time at steps was removed.",
    "planner.smart.launching": "Connecting to the EHR…",
    "planner.smart.connected": "Connected to the EHR for patient {patient}.",
    "planner.smart.noClient": "This service has no SMART client id (BZRA_SMART_CLIENT_ID), so it cannot connect to the EHR. The planner still works without it.",
    "planner.smart.failed": "The connection to the EHR failed: {message}",
    "planner.smart.denied": "The EHR did not give access: {message}",
    "planner.smart.demo": "Demo mode: the plan is shown here, not written to an EHR.",
    "field.drug": "Name a benzodiazepine or Z-drug this service knows.",
    "field.dose": "Enter the daily dose in mg, more than 0.",
    "field.pace": "Choose a pace.",
    "field.start": "Enter a valid date.",
    "field.holds": "The extra time must follow a step of the plan.",
    "field.switch_to": "Only a switch to diazepam is possible.",
    "field.language": "Choose English, Dutch or French.",
    "field.other": "Check this value.",
    "field.fromService": "Service: {message}",
  },

  nl: {
    "app.language": "Taal",
    "app.langName.en": "English",
    "app.langName.nl": "Nederlands",
    "app.langName.fr": "Français",
    "error.network": "De dienst is niet bereikbaar. Controleer de verbinding en probeer opnieuw.",
    "error.status": "De dienst antwoordde met een fout (HTTP {status}).",
    "error.unexpected": "Er ging iets mis: {message}",

    "demo.title": "bzra-cds demo: een voorschrijfscherm zonder EPD",
    "demo.banner": "Demonstratie met verzonnen patiënten, in ontwikkelmodus: oproepen worden niet geauthenticeerd. Voer nooit echte patiëntgegevens in.",
    "demo.plannerLink": "Afbouwplanner",
    "demo.patients": "Demopatiënten",
    "demo.patientsIntro": "Kies een patiënt om het dossier te openen.",
    "demo.loadingPatients": "De demopatiënten worden geladen…",
    "demo.age": "{age} jaar",
    "demo.try": "Probeer dit: {text}",
    "demo.choose": "Kies links een patiënt om te beginnen.",
    "demo.born": "geboren {date}",
    "gender.female": "vrouw",
    "gender.male": "man",
    "gender.other": "anders",
    "gender.unknown": "geslacht onbekend",
    "demo.record": "Dossier",
    "demo.meds": "Medicatiegeschiedenis",
    "demo.col.medicine": "Geneesmiddel",
    "demo.col.dose": "Dosering",
    "demo.col.when": "Wanneer",
    "demo.col.source": "Bron",
    "demo.source.MedicationStatement": "Medicatieoverzicht",
    "demo.source.MedicationRequest": "Voorschrift",
    "demo.source.MedicationDispense": "Apotheek",
    "demo.when.since": "sinds {date}",
    "demo.when.period": "{start} – {end}",
    "demo.when.on": "op {date}",
    "demo.when.prescribed": "voorgeschreven {date}",
    "demo.when.dispensed": "afgeleverd {date}",
    "demo.status.completed": "afgelopen",
    "demo.status.stopped": "gestopt",
    "demo.noMeds": "Geen medicatie geregistreerd.",
    "demo.bzraTag": "BZRA",
    "demo.conditions": "Problemen en diagnoses",
    "demo.noConditions": "Niets geregistreerd.",
    "demo.order": "Nieuw voorschrift",
    "order.drug": "Geneesmiddel",
    "order.bzraGroup": "Benzodiazepines en Z-drugs",
    "order.otherGroup": "Andere geneesmiddelen",
    "order.strength": "Sterkte",
    "order.form.tablet": "tablet",
    "order.form.capsule": "capsule",
    "order.forms.tablet": "tabletten",
    "order.forms.capsule": "capsules",
    "order.dose": "Gebruiksaanwijzing",
    "order.doseHint": "Zoals u ze zou schrijven, bv. “1 tablet voor het slapen”.",
    "order.quantity": "Hoeveelheid",
    "order.repeats": "Herhalingen",
    "order.reason": "Reden",
    "reason.insomnia": "Slapeloosheid",
    "reason.anxiety": "Angst",
    "reason.other": "Andere",
    "order.sign": "Voorschrift ondertekenen",
    "order.reset": "Terug naar het voorschrift uit het scenario",
    "order.err.dose": "Schrijf de gebruiksaanwijzing, bv. “1 tablet voor het slapen”.",
    "order.err.quantity": "Geef een hoeveelheid van 1 of meer.",
    "order.err.repeats": "Geef 0 of meer herhalingen.",
    "cards.heading": "Advies van bzra-cds",
    "cards.notSigned": "Onderteken een voorschrift om het advies te zien.",
    "cards.waiting": "De dienst wordt geraadpleegd…",
    "cards.none": "Geen advies: voor zover de dienst kan nagaan, past dit voorschrift bij de richtlijnen.",
    "cards.one": "1 kaart: {summaries}",
    "cards.many": "{n} kaarten: {summaries}",
    "cards.failed": "Het advies kon niet worden opgehaald: {message}",
    "cards.languageNote": "Kaarten komen in de taal van de aanvraag: onderteken opnieuw om ze in de nieuwe taal te zien.",
    "indicator.critical": "Dringend",
    "indicator.warning": "Waarschuwing",
    "indicator.info": "Informatie",
    "card.source": "Bron:",
    "card.suggestions": "Voorgestelde wijzigingen",
    "card.recommended": "Aanbevolen",
    "card.links": "Meer informatie",
    "card.override": "Volgt u dit advies niet?",
    "card.reason": "Reden",
    "card.chooseReason": "Kies een reden…",
    "card.comment": "Opmerking (optioneel)",
    "card.overrideButton": "Niet volgen, om deze reden",
    "card.needReason": "Kies eerst een reden.",
    "card.accepted": "Aanvaard: {label}",
    "card.overridden": "Niet gevolgd: {reason}",
    "card.feedbackSent": "Feedback naar de dienst verstuurd.",
    "card.feedbackFailed": "De feedback kon niet worden verstuurd: {message}",
    "card.openPlanner": "De afbouwplanner openen",
    "card.newWindow": "(opent in een nieuw venster)",
    "orders.heading": "Voorschriften in deze sessie",
    "orders.none": "Nog geen voorschriften.",
    "orders.draft": "Conceptvoorschrift, te ondertekenen",
    "orders.changed": "Gewijzigd door een aanvaard voorstel",
    "orders.taper": "Afbouwschema, een nieuw voorschrift",
    "orders.removed": "Verwijderd door een aanvaard voorstel",
    "orders.quantity": "Hoeveelheid: {quantity} {unit}; herhalingen: {repeats}",
    "orders.supply": "Voorraad: {days} dagen",
    "orders.steps": "Stappen",
    "orders.referrals": "Openstaande verwijzingen",
    "orders.referralStatus": "conceptverwijzing, te bespreken met de patiënt en daarna te versturen",
    "demo.exchange": "De CDS Hooks-aanvraag en het antwoord (voor integrators en regelauteurs)",
    "demo.request": "Aanvraag",
    "demo.response": "Antwoord",

    "planner.title": "Afbouwplanner",
    "planner.intro": "Maak samen met de patiënt een geleidelijk afbouwschema: kies het tempo, neem meer tijd bij een stap als dat nodig is, en druk het schema af.",
    "planner.form": "Het vertrekpunt van het schema",
    "planner.drug": "Geneesmiddel dat nu genomen wordt",
    "planner.drugHint": "Een benzodiazepine of Z-drug, bv. lorazepam.",
    "planner.dose": "Dagdosis nu (mg per dag)",
    "planner.doseHint": "In mg per dag, bv. 3 of 2,5.",
    "planner.pace": "Tempo",
    "pace.standard": "Standaard: ongeveer een kwart minder per 2 weken, kleinere stappen op het einde",
    "pace.slow": "Langzaam: ongeveer een tiende minder per 2 weken, kleinere stappen op het einde",
    "planner.switch": "Eerst overschakelen op diazepam (langwerkend; kleinere stappen mogelijk)",
    "planner.start": "Eerste dag van het schema",
    "planner.holds": "Meer tijd bij een stap",
    "planner.noHolds": "Geen. Gebruik “Meer tijd bij deze dosis” in de tabel.",
    "planner.holdList": "Na stap(pen): {steps}",
    "planner.clearHolds": "De extra tijd verwijderen",
    "planner.make": "Schema maken",
    "planner.working": "Het schema wordt gemaakt…",
    "planner.patient": "Patiënt: {patient}",
    "planner.result": "Het schema",
    "planner.empty": "Vul het geneesmiddel en de dagdosis in om een schema te zien.",
    "planner.summary": "{drug} {dose} mg per dag naar nul in ongeveer {weeks} weken, in {pace} tempo: {start} – eerste dag zonder {taper}: {end}.",
    "paceName.standard": "standaard",
    "paceName.slow": "langzaam",
    "planner.switched": "Eerst overschakelen op {drug}.",
    "planner.chart": "Dagdosis in de tijd",
    "planner.chartDesc": "De dagdosis gaat van {from} mg naar 0 tussen {start} en {end}.",
    "planner.axis": "mg {drug} per dag",
    "planner.table": "Het schema, stap voor stap",
    "col.step": "Stap",
    "col.what": "Wat",
    "col.from": "Van",
    "col.to": "Tot",
    "col.dose": "Dagdosis",
    "col.tablets": "Tabletten per dag",
    "col.actions": "Meer tijd",
    "kind.switch": "Overstap",
    "kind.stabilise": "Stabiliseren",
    "kind.reduce": "Verlagen",
    "kind.hold": "Meer tijd",
    "kind.stop": "Stoppen",
    "planner.hold": "Meer tijd bij deze dosis",
    "planner.holdLabel": "Meer tijd bij stap {step} ({dose} mg)",
    "planner.unhold": "Deze extra tijd verwijderen",
    "planner.unholdLabel": "De extra tijd na stap {step} verwijderen",
    "planner.notes": "Opmerkingen",
    "planner.handout": "Folder voor de patiënt (afdrukken)",
    "planner.write": "Het schema in het EPD schrijven",
    "planner.writing": "Het schema wordt in het EPD geschreven…",
    "planner.written": "Het schema staat in het EPD als {id}.",
    "planner.writeFailed": "Het schema kon niet in het EPD worden geschreven: {message}",
    "planner.holdsCleared": "De stappen zijn veranderd, daarom is de extra tijd bij stappen verwijderd.",
    "planner.smart.launching": "Verbinding maken met het EPD…",
    "planner.smart.connected": "Verbonden met het EPD voor patiënt {patient}.",
    "planner.smart.noClient": "Deze dienst heeft geen SMART-client-id (BZRA_SMART_CLIENT_ID) en kan dus geen verbinding maken met het EPD. De afbouwplanner werkt wel.",
    "planner.smart.failed": "De verbinding met het EPD is mislukt: {message}",
    "planner.smart.denied": "Het EPD gaf geen toegang: {message}",
    "planner.smart.demo": "Demomodus: het schema wordt hier getoond, niet in een EPD geschreven.",
    "field.drug": "Geef een benzodiazepine of Z-drug die deze dienst kent.",
    "field.dose": "Geef de dagdosis in mg, meer dan 0.",
    "field.pace": "Kies een tempo.",
    "field.start": "Geef een geldige datum.",
    "field.holds": "De extra tijd moet volgen op een stap van het schema.",
    "field.switch_to": "Alleen overschakelen op diazepam is mogelijk.",
    "field.language": "Kies Engels, Nederlands of Frans.",
    "field.other": "Controleer deze waarde.",
    "field.fromService": "Melding van de dienst: {message}",
  },

  fr: {
    "app.language": "Langue",
    "app.langName.en": "English",
    "app.langName.nl": "Nederlands",
    "app.langName.fr": "Français",
    "error.network": "Le service est injoignable. Vérifiez la connexion et réessayez.",
    "error.status": "Le service a répondu par une erreur (HTTP {status}).",
    "error.unexpected": "Un problème est survenu : {message}",

    "demo.title": "Démo bzra-cds : un écran de prescription sans DPI",
    "demo.banner": "Démonstration avec des patients inventés, en mode développement : les appels ne sont pas authentifiés. N'entrez jamais de vraies données de patients.",
    "demo.plannerLink": "Planificateur de diminution",
    "demo.patients": "Patients de démonstration",
    "demo.patientsIntro": "Choisissez un patient pour ouvrir son dossier.",
    "demo.loadingPatients": "Chargement des patients de démonstration…",
    "demo.age": "{age} ans",
    "demo.try": "À essayer : {text}",
    "demo.choose": "Choisissez un patient à gauche pour commencer.",
    "demo.born": "né(e) le {date}",
    "gender.female": "femme",
    "gender.male": "homme",
    "gender.other": "autre",
    "gender.unknown": "genre inconnu",
    "demo.record": "Dossier",
    "demo.meds": "Historique des médicaments",
    "demo.col.medicine": "Médicament",
    "demo.col.dose": "Posologie",
    "demo.col.when": "Quand",
    "demo.col.source": "Source",
    "demo.source.MedicationStatement": "Bilan médicamenteux",
    "demo.source.MedicationRequest": "Prescription",
    "demo.source.MedicationDispense": "Pharmacie",
    "demo.when.since": "depuis le {date}",
    "demo.when.period": "{start} – {end}",
    "demo.when.on": "le {date}",
    "demo.when.prescribed": "prescrit le {date}",
    "demo.when.dispensed": "délivré le {date}",
    "demo.status.completed": "terminé",
    "demo.status.stopped": "arrêté",
    "demo.noMeds": "Aucun médicament enregistré.",
    "demo.bzraTag": "BZRA",
    "demo.conditions": "Problèmes et diagnostics",
    "demo.noConditions": "Rien d'enregistré.",
    "demo.order": "Nouvelle prescription",
    "order.drug": "Médicament",
    "order.bzraGroup": "Benzodiazépines et apparentés",
    "order.otherGroup": "Autres médicaments",
    "order.strength": "Dosage",
    "order.form.tablet": "comprimé",
    "order.form.capsule": "gélule",
    "order.forms.tablet": "comprimés",
    "order.forms.capsule": "gélules",
    "order.dose": "Posologie",
    "order.doseHint": "Comme vous l'écririez, p. ex. « 1 comprimé au coucher ».",
    "order.quantity": "Quantité",
    "order.repeats": "Renouvellements",
    "order.reason": "Motif",
    "reason.insomnia": "Insomnie",
    "reason.anxiety": "Anxiété",
    "reason.other": "Autre",
    "order.sign": "Signer la prescription",
    "order.reset": "Revenir à la prescription du scénario",
    "order.err.dose": "Écrivez la posologie, p. ex. « 1 comprimé au coucher ».",
    "order.err.quantity": "Indiquez une quantité de 1 ou plus.",
    "order.err.repeats": "Indiquez 0 renouvellement ou plus.",
    "cards.heading": "Conseils de bzra-cds",
    "cards.notSigned": "Signez une prescription pour voir les conseils.",
    "cards.waiting": "Consultation du service…",
    "cards.none": "Aucun conseil : pour autant que le service puisse en juger, cette prescription suit les recommandations.",
    "cards.one": "1 carte : {summaries}",
    "cards.many": "{n} cartes : {summaries}",
    "cards.failed": "Les conseils n'ont pas pu être obtenus : {message}",
    "cards.languageNote": "Les cartes sont dans la langue de la demande : signez à nouveau pour les voir dans la nouvelle langue.",
    "indicator.critical": "Critique",
    "indicator.warning": "Avertissement",
    "indicator.info": "Information",
    "card.source": "Source :",
    "card.suggestions": "Modifications proposées",
    "card.recommended": "Recommandé",
    "card.links": "Pour en savoir plus",
    "card.override": "Vous ne suivez pas ce conseil ?",
    "card.reason": "Motif",
    "card.chooseReason": "Choisissez un motif…",
    "card.comment": "Commentaire (facultatif)",
    "card.overrideButton": "Écarter avec ce motif",
    "card.needReason": "Choisissez d'abord un motif.",
    "card.accepted": "Accepté : {label}",
    "card.overridden": "Écarté : {reason}",
    "card.feedbackSent": "Retour envoyé au service.",
    "card.feedbackFailed": "Le retour n'a pas pu être envoyé : {message}",
    "card.openPlanner": "Ouvrir le planificateur de diminution",
    "card.newWindow": "(s'ouvre dans une nouvelle fenêtre)",
    "orders.heading": "Prescriptions de cette session",
    "orders.none": "Pas encore de prescription.",
    "orders.draft": "Projet de prescription, à signer",
    "orders.changed": "Modifiée par une proposition acceptée",
    "orders.taper": "Schéma de diminution, une nouvelle prescription",
    "orders.removed": "Retirée par une proposition acceptée",
    "orders.quantity": "Quantité : {quantity} {unit} ; renouvellements : {repeats}",
    "orders.supply": "Durée : {days} jours",
    "orders.steps": "Paliers",
    "orders.referrals": "Orientations en attente",
    "orders.referralStatus": "projet d'orientation, à discuter avec le patient puis à envoyer",
    "demo.exchange": "La demande et la réponse CDS Hooks (pour les intégrateurs et les auteurs de règles)",
    "demo.request": "Demande",
    "demo.response": "Réponse",

    "planner.title": "Planificateur de diminution",
    "planner.intro": "Établissez avec le patient un schéma de diminution progressive : choisissez le rythme, prenez plus de temps à un palier si nécessaire, et imprimez le schéma.",
    "planner.form": "Le point de départ du schéma",
    "planner.drug": "Médicament pris actuellement",
    "planner.drugHint": "Une benzodiazépine ou un apparenté, p. ex. le lorazépam.",
    "planner.dose": "Dose quotidienne actuelle (mg par jour)",
    "planner.doseHint": "En mg par jour, p. ex. 3 ou 2,5.",
    "planner.pace": "Rythme",
    "pace.standard": "Standard : environ un quart de moins toutes les 2 semaines, paliers plus petits vers la fin",
    "pace.slow": "Lent : environ un dixième de moins toutes les 2 semaines, paliers plus petits vers la fin",
    "planner.switch": "Passer d'abord au diazépam (longue durée d'action ; paliers plus fins possibles)",
    "planner.start": "Premier jour du schéma",
    "planner.holds": "Plus de temps à un palier",
    "planner.noHolds": "Aucun. Utilisez « Plus de temps à cette dose » dans le tableau.",
    "planner.holdList": "Après le(s) palier(s) : {steps}",
    "planner.clearHolds": "Supprimer le temps supplémentaire",
    "planner.make": "Établir le schéma",
    "planner.working": "Calcul du schéma…",
    "planner.patient": "Patient : {patient}",
    "planner.result": "Le schéma",
    "planner.empty": "Indiquez le médicament et la dose quotidienne pour voir un schéma.",
    "planner.summary": "{drug} {dose} mg par jour jusqu'à zéro en environ {weeks} semaines, au rythme {pace} : {start} – premier jour sans {taper} : {end}.",
    "paceName.standard": "standard",
    "paceName.slow": "lent",
    "planner.switched": "Passer d'abord au {drug}.",
    "planner.chart": "Dose quotidienne au fil du temps",
    "planner.chartDesc": "La dose quotidienne passe de {from} mg à 0 entre le {start} et le {end}.",
    "planner.axis": "mg de {drug} par jour",
    "planner.table": "Le schéma, palier par palier",
    "col.step": "Palier",
    "col.what": "Quoi",
    "col.from": "Du",
    "col.to": "Au",
    "col.dose": "Dose quotidienne",
    "col.tablets": "Comprimés par jour",
    "col.actions": "Plus de temps",
    "kind.switch": "Relais",
    "kind.stabilise": "Stabiliser",
    "kind.reduce": "Diminuer",
    "kind.hold": "Plus de temps",
    "kind.stop": "Arrêt",
    "planner.hold": "Plus de temps à cette dose",
    "planner.holdLabel": "Plus de temps au palier {step} ({dose} mg)",
    "planner.unhold": "Supprimer ce temps supplémentaire",
    "planner.unholdLabel": "Supprimer le temps supplémentaire après le palier {step}",
    "planner.notes": "Remarques",
    "planner.handout": "Fiche pour le patient (imprimer)",
    "planner.write": "Enregistrer le schéma dans le DPI",
    "planner.writing": "Enregistrement du schéma dans le DPI…",
    "planner.written": "Le schéma est enregistré dans le DPI sous {id}.",
    "planner.writeFailed": "Le schéma n'a pas pu être enregistré dans le DPI : {message}",
    "planner.holdsCleared": "Les paliers ont changé : le temps supplémentaire aux paliers a été supprimé.",
    "planner.smart.launching": "Connexion au DPI…",
    "planner.smart.connected": "Connecté au DPI pour le patient {patient}.",
    "planner.smart.noClient": "Ce service n'a pas d'identifiant client SMART (BZRA_SMART_CLIENT_ID) et ne peut donc pas se connecter au DPI. Le planificateur fonctionne quand même.",
    "planner.smart.failed": "La connexion au DPI a échoué : {message}",
    "planner.smart.denied": "Le DPI n'a pas donné l'accès : {message}",
    "planner.smart.demo": "Mode démo : le schéma est affiché ici, pas enregistré dans un DPI.",
    "field.drug": "Indiquez une benzodiazépine ou un apparenté connu de ce service.",
    "field.dose": "Indiquez la dose quotidienne en mg, plus de 0.",
    "field.pace": "Choisissez un rythme.",
    "field.start": "Indiquez une date valide.",
    "field.holds": "Le temps supplémentaire doit suivre un palier du schéma.",
    "field.switch_to": "Seul un passage au diazépam est possible.",
    "field.language": "Choisissez l'anglais, le néerlandais ou le français.",
    "field.other": "Vérifiez cette valeur.",
    "field.fromService": "Message du service : {message}",
  },
};

const STORAGE_KEY = "bzra-cds.language";
const listeners = new Set();
let current = "en";

function normalise(value) {
  const short = String(value || "").slice(0, 2).toLowerCase();
  return LANGUAGES.includes(short) ? short : null;
}

/** The first of: ?language=, a saved choice, the browser's languages, English. */
export function initialLanguage(preferred) {
  const fromUrl = normalise(new URLSearchParams(window.location.search).get("language"));
  let saved = null;
  try {
    saved = normalise(window.localStorage.getItem(STORAGE_KEY));
  } catch {
    saved = null; // storage may be blocked; the choice is simply not remembered
  }
  const browser = (navigator.languages || [navigator.language]).map(normalise).find(Boolean);
  return normalise(preferred) || fromUrl || saved || browser || "en";
}

export function language() {
  return current;
}

export function t(key, values = {}) {
  const text = STRINGS[current][key] ?? STRINGS.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (match, name) => (name in values ? String(values[name]) : match));
}

/** Whether every language has every key (used by the tests). */
export function missingKeys() {
  const keys = new Set(Object.values(STRINGS).flatMap((table) => Object.keys(table)));
  const missing = [];
  for (const lang of LANGUAGES) for (const key of keys) if (!(key in STRINGS[lang])) missing.push(`${lang}:${key}`);
  return missing;
}

export function applyTranslations(root = document) {
  root.querySelectorAll("[data-i18n]").forEach((element) => {
    element.textContent = t(element.dataset.i18n);
  });
  root.querySelectorAll("[data-i18n-attr]").forEach((element) => {
    for (const pair of element.dataset.i18nAttr.split(";")) {
      const [attribute, key] = pair.split(":").map((part) => part.trim());
      if (attribute && key) element.setAttribute(attribute, t(key));
    }
  });
}

export function setLanguage(lang, { remember = true } = {}) {
  current = normalise(lang) || "en";
  document.documentElement.lang = current;
  if (remember) {
    try {
      window.localStorage.setItem(STORAGE_KEY, current);
    } catch {
      // not remembered; nothing else depends on it
    }
  }
  applyTranslations();
  listeners.forEach((listener) => listener(current));
}

export function onLanguageChange(listener) {
  listeners.add(listener);
}

/** Fill a <select> with the three languages and keep it in step with the page. */
export function bindLanguageSelect(select) {
  select.replaceChildren(
    ...LANGUAGES.map((lang) => {
      const option = document.createElement("option");
      option.value = lang;
      option.lang = lang;
      option.textContent = STRINGS.en[`app.langName.${lang}`];
      return option;
    }),
  );
  select.value = current;
  select.addEventListener("change", () => setLanguage(select.value));
  onLanguageChange((lang) => {
    select.value = lang;
  });
}

// Numbers in the language's style (a decimal comma in Dutch and French). Dates are written as the
// service writes them (service/language.py, MONTHS; a test holds the two to the same months).
const LOCALES = { en: "en-GB", nl: "nl-BE", fr: "fr-BE" };
const MONTHS = {
  en: ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
  nl: ["jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec"],
  fr: ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."],
};

export function formatNumber(value, maximumFractionDigits = 2) {
  return new Intl.NumberFormat(LOCALES[current], { maximumFractionDigits }).format(value);
}

function dayMonth(iso) {
  const match = /^(\d{4})-(\d{2})-(\d{2})/.exec(iso || "");
  return match ? { year: match[1], text: `${Number(match[3])} ${MONTHS[current][Number(match[2]) - 1]}` } : null;
}

/** "2 Oct 2026", "2 okt 2026", "2 oct. 2026" for an ISO date or dateTime (the date as written, no time zone shift). */
export function formatDate(iso) {
  if (!iso) return "";
  const day = dayMonth(iso);
  return day ? `${day.text} ${day.year}` : iso;
}

/** "23 Nov" (with the year when `withYear`), for chart axes. */
export function formatShortDate(iso, withYear = false) {
  const day = dayMonth(iso);
  if (!day) return iso || "";
  return withYear ? `${day.text} ${day.year}` : day.text;
}
