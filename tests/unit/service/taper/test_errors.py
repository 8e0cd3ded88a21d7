"""Every error and note of the taper generator exists in three languages."""

from __future__ import annotations

import re

from service.taper.errors import ERRORS
from service.taper.note_texts import NOTES


def test_every_error_and_note_text_exists_in_three_languages():
    for table in (ERRORS, NOTES):
        for code, texts in table.items():
            assert set(texts) == {"en", "nl", "fr"}, code
            placeholders = {language: set(re.findall(r"\{(\w+)\}", text)) for language, text in texts.items()}
            assert placeholders["nl"] == placeholders["en"] == placeholders["fr"], code
