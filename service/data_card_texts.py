"""The words of the data-issue card, in English, Dutch (Flemish-friendly) and Belgian French.

Kept apart from `data_card` so that a translator reads and edits them in one place. Placeholders:
`{items}` a list, `{n}` a count, `{ids}` resource ids. Keys of `WHAT` are `DataIssue.data_key` values
(the prefetch keys, and the draft orders), filled with `DataIssue.values`; keys of `WHY` are
`DataIssue.reason` values.
"""

from __future__ import annotations

# What could not be checked: the data behind each prefetch key, in the prescriber's words.
WHAT: dict[str, dict[str, str]] = {
    "patient": {"en": "age", "nl": "leeftijd", "fr": "âge"},
    "medicationStatements": {
        "en": "medication history (statements)",
        "nl": "medicatiegebruik (medicatieoverzicht)",
        "fr": "historique des médicaments (déclarations)",
    },
    "medicationRequests": {"en": "earlier prescriptions", "nl": "eerdere voorschriften", "fr": "prescriptions antérieures"},
    "medicationDispenses": {
        "en": "dispensing history",
        "nl": "afleveringen door de apotheek",
        "fr": "historique des délivrances",
    },
    "conditions": {"en": "recorded conditions", "nl": "geregistreerde aandoeningen", "fr": "affections enregistrées"},
    # The draft orders of the request (`service.fhir.drafts`); {order} is the order's id, {fields} its elements.
    "draftOrders": {"en": "the draft orders", "nl": "de conceptvoorschriften", "fr": "les projets de prescription"},
    "draftOrder": {"en": "a draft order", "nl": "een conceptvoorschrift", "fr": "un projet de prescription"},
    "draftOrderNamed": {"en": "draft order {order}", "nl": "conceptvoorschrift {order}", "fr": "projet de prescription {order}"},
    "draftOrderPart": {
        "en": "{fields} of draft order {order}",
        "nl": "{fields} van conceptvoorschrift {order}",
        "fr": "{fields} du projet de prescription {order}",
    },
}

# Why: `DataIssue.reason`.
WHY: dict[str, dict[str, str]] = {
    "unauthorized": {
        "en": "the FHIR server refused the access token",
        "nl": "de FHIR-server weigerde het toegangstoken",
        "fr": "le serveur FHIR a refusé le jeton d'accès",
    },
    "timeout": {
        "en": "the FHIR server did not answer in time",
        "nl": "de FHIR-server antwoordde niet op tijd",
        "fr": "le serveur FHIR n'a pas répondu à temps",
    },
    "unreachable": {
        "en": "the FHIR server could not be reached",
        "nl": "de FHIR-server was niet bereikbaar",
        "fr": "le serveur FHIR était injoignable",
    },
    "too_large": {
        "en": "the FHIR server's answer was too large to read",
        "nl": "het antwoord van de FHIR-server was te groot om te lezen",
        "fr": "la réponse du serveur FHIR était trop volumineuse pour être lue",
    },
    "server_error": {
        "en": "the FHIR server reported an error",
        "nl": "de FHIR-server meldde een fout",
        "fr": "le serveur FHIR a signalé une erreur",
    },
    "not_fhir": {
        "en": "the FHIR server's answer could not be read",
        "nl": "het antwoord van de FHIR-server was onleesbaar",
        "fr": "la réponse du serveur FHIR était illisible",
    },
    "link_refused": {
        "en": "the FHIR server pointed to another address, which was not followed",
        "nl": "de FHIR-server verwees naar een ander adres, dat niet werd gevolgd",
        "fr": "le serveur FHIR renvoyait vers une autre adresse, qui n'a pas été suivie",
    },
    "pages_left": {
        "en": "more pages of results than may be read; the rest was left unread",
        "nl": "meer pagina's met resultaten dan er gelezen mogen worden; de rest bleef ongelezen",
        "fr": "plus de pages de résultats que la limite autorisée ; le reste n'a pas été lu",
    },
    "resource_limit": {
        "en": "more records than may be read; the rest was left out",
        "nl": "meer registraties dan er gelezen mogen worden; de rest werd weggelaten",
        "fr": "plus d'enregistrements que la limite autorisée ; le reste a été écarté",
    },
    "no_server": {
        "en": "not sent with the request, and no FHIR server was given to ask for it",
        "nl": "niet meegestuurd met de aanvraag, en er werd geen FHIR-server opgegeven om het op te vragen",
        "fr": "non transmis avec la demande, et aucun serveur FHIR n'était indiqué pour le demander",
    },
    "request_incomplete": {
        "en": "the request lacked what is needed to ask for it",
        "nl": "de aanvraag bevatte niet wat nodig is om het op te vragen",
        "fr": "la demande ne contenait pas ce qu'il faut pour le demander",
    },
    "server_not_allowed": {
        "en": "this service may not use the FHIR server named in the request",
        "nl": "deze dienst mag de FHIR-server uit de aanvraag niet gebruiken",
        "fr": "ce service ne peut pas utiliser le serveur FHIR indiqué dans la demande",
    },
    "not_a_resource": {
        "en": "an entry was not a FHIR resource and was left out",
        "nl": "een onderdeel was geen FHIR-resource en werd weggelaten",
        "fr": "un élément n'était pas une ressource FHIR et a été écarté",
    },
    "medication_unresolved": {
        "en": "referred to but not found; the entries that use it may be unidentified",
        "nl": "wordt naar verwezen maar werd niet gevonden; de registraties die het gebruiken, zijn mogelijk niet herkend",
        "fr": "référencé mais introuvable ; les enregistrements qui l'utilisent n'ont peut-être pas été identifiés",
    },
}

PHRASES: dict[str, dict[str, str]] = {
    "line": {"en": "{what}: {why}", "nl": "{what}: {why}", "fr": "{what} : {why}"},
    "summary_not_checked": {
        "en": "Not all data could be checked: {items}",
        "nl": "Niet alle gegevens konden worden nagekeken: {items}",
        "fr": "Toutes les données n'ont pas pu être vérifiées : {items}",
    },
    "summary_not_read": {
        "en": "Some records could not be read",
        "nl": "Sommige gegevens konden niet worden gelezen",
        "fr": "Certaines données n'ont pas pu être lues",
    },
    "summary_partly_read": {
        "en": "Some data was read only in part",
        "nl": "Sommige gegevens werden slechts gedeeltelijk gelezen",
        "fr": "Certaines données n'ont été lues qu'en partie",
    },
    "summary_not_completed": {
        "en": "Some checks could not be completed",
        "nl": "Sommige controles konden niet worden afgerond",
        "fr": "Certaines vérifications n'ont pas pu être effectuées",
    },
    "summary_short": {
        "en": "Not all medication data could be checked",
        "nl": "Niet alle medicatiegegevens konden worden nagekeken",
        "fr": "Toutes les données de médication n'ont pas pu être vérifiées",
    },
    "not_checked": {
        "en": "Not checked, because the data was not available: {items}.",
        "nl": "Niet nagekeken, omdat de gegevens niet beschikbaar waren: {items}.",
        "fr": "Non vérifié, car les données n'étaient pas disponibles : {items}.",
    },
    "partly_read": {
        "en": "Read only in part:",
        "nl": "Slechts gedeeltelijk gelezen:",
        "fr": "Lu en partie seulement :",
    },
    "skipped_one": {
        "en": "1 record in the history could not be read and was left out ({ids}).",
        "nl": "1 registratie uit de voorgeschiedenis kon niet worden gelezen en werd weggelaten ({ids}).",
        "fr": "1 enregistrement de l'historique n'a pas pu être lu et a été écarté ({ids}).",
    },
    "skipped_many": {
        "en": "{n} records in the history could not be read and were left out ({ids}).",
        "nl": "{n} registraties uit de voorgeschiedenis konden niet worden gelezen en werden weggelaten ({ids}).",
        "fr": "{n} enregistrements de l'historique n'ont pas pu être lus et ont été écartés ({ids}).",
    },
    "other_problems": {
        "en": "Other problems with the data: {n}; the details are in the answer's technical data.",
        "nl": "Andere problemen met de gegevens: {n}; de details staan in de technische gegevens van het antwoord.",
        "fr": "Autres problèmes avec les données : {n} ; le détail figure dans les données techniques de la réponse.",
    },
    "not_worked_out": {
        "en": "Could not be worked out:",
        "nl": "Kon niet worden berekend:",
        "fr": "N'a pas pu être calculé :",
    },
    "source": {
        "en": "bzra-cds data check",
        "nl": "bzra-cds, controle van de gegevens",
        "fr": "bzra-cds, contrôle des données",
    },
    "internal_error_summary": {
        "en": "bzra-cds could not check this prescription",
        "nl": "bzra-cds kon dit voorschrift niet nakijken",
        "fr": "bzra-cds n'a pas pu vérifier cette prescription",
    },
    "internal_error_detail": {
        "en": "An internal error stopped the check. Prescribing is not affected; the error has been logged for the service's maintainers.",
        "nl": "Een interne fout heeft de controle onderbroken. Voorschrijven kan gewoon verder; de fout is gelogd voor de beheerders van de dienst.",
        "fr": "Une erreur interne a interrompu la vérification. La prescription n'est pas bloquée ; l'erreur a été enregistrée pour les responsables du service.",
    },
    "closing": {
        "en": "The advice shown is based on the data that could be read.",
        "nl": "Het getoonde advies steunt op de gegevens die wel konden worden gelezen.",
        "fr": "Les conseils affichés reposent sur les données qui ont pu être lues.",
    },
}
