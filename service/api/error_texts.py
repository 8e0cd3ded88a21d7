"""Error messages a person reads, in the language the request names.

The `error` code and `fields` stay as they are, for programs; the `message` is said in Dutch or French
when the request asks for it (`?language=nl`, or the hook request's `extension["bzra-cds.language"]`,
which the hook endpoint keeps in `request.state.language`), else in the deployment's language. English
keeps the exact technical message.
"""

from __future__ import annotations

from fastapi import Request

from service.rules.texts import pick_language

MESSAGES: dict[str, dict[str, str]] = {
    "malformed_json": {
        "nl": "De aanvraag is geen geldig JSON-object.",
        "fr": "La demande n'est pas un objet JSON valide.",
    },
    "invalid_request": {
        "nl": "Ongeldige of ontbrekende gegevens in de aanvraag: {fields}.",
        "fr": "Données invalides ou manquantes dans la demande : {fields}.",
    },
    "invalid_context": {
        "nl": "Ongeldige of ontbrekende context van de hook: {fields}.",
        "fr": "Contexte du hook invalide ou incomplet : {fields}.",
    },
    "invalid_draft_order": {
        "nl": "Het conceptvoorschrift kon niet worden gelezen: {fields}.",
        "fr": "Le projet de prescription n'a pas pu être lu : {fields}.",
    },
    "wrong_hook": {
        "nl": "Deze dienst beantwoordt een andere hook dan die van de aanvraag.",
        "fr": "Ce service répond à un autre hook que celui de la demande.",
    },
    "missing_data": {
        "nl": "Nodige gegevens werden niet meegestuurd en er is geen FHIR-server om ze op te vragen: {fields}.",
        "fr": "Des données nécessaires n'ont pas été transmises et aucun serveur FHIR ne permet de les demander : {fields}.",
    },
    "unknown_service": {
        "nl": "Deze dienst bestaat hier niet.",
        "fr": "Ce service n'existe pas ici.",
    },
    "unauthorized": {
        "nl": "Deze oproep is niet toegestaan: een geldig token van een vertrouwde CDS-client is nodig.",
        "fr": "Cet appel n'est pas autorisé : un jeton valide d'un client CDS de confiance est nécessaire.",
    },
}


def request_language(request: Request) -> str:
    """The language the request names (the hook endpoint's choice when it made one), else the deployment's."""
    chosen = getattr(request.state, "language", None)
    if isinstance(chosen, str):
        return chosen
    default = getattr(getattr(request.app.state, "settings", None), "language", "en")
    return pick_language(request.query_params.get("language"), default)


def localised(request: Request, error: str, message: str, fields: list[dict[str, str]] | None = None) -> str:
    """`message` in the request's language; unchanged in English or for an error without a translation."""
    language = request_language(request)
    template = MESSAGES.get(error, {}).get(language)
    if template is None:
        return message
    return template.format(fields=", ".join(f["field"] for f in fields or []) or "body")
