"""The end user's language: the catalogues cover every text, and a language without one, or a
text missing from one, is English."""

from __future__ import annotations

import re
from io import BytesIO

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from botkit import i18n, messages

PLACEHOLDER = re.compile(r"\{\w+\}")


def source_texts() -> set[str]:
    """Every text the bot's code marks for translation, as pybabel extract finds them."""
    found = extract_from_dir(str(i18n.LOCALE_DIR.parent), method_map=[("**.py", "python")])
    return {message for _, _, message, *_ in found if isinstance(message, str)}


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_each_catalogue_translates_every_text_with_the_same_placeholders(lang):
    path = i18n.LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po"
    catalog = read_po(BytesIO(path.read_bytes()), locale=lang)
    translated = {m.id: m.string for m in catalog if m.id and m.string and not m.fuzzy}
    texts = source_texts()
    assert texts - translated.keys() == set()  # a new English text needs its translations
    for text in texts:
        assert sorted(PLACEHOLDER.findall(translated[text])) == sorted(PLACEHOLDER.findall(text))
        # The same markup, so Telegram's HTML parser takes every language.
        assert re.findall(r"</?\w+>", translated[text]) == re.findall(r"</?\w+>", text), text


@pytest.mark.parametrize(
    ("code", "lang"),
    [("de", "de"), ("de-AT", "de"), ("pt-br", "en"), ("UK", "uk"), (None, "en"), ("", "en")],
)
def test_a_telegram_language_code_picks_its_catalogue_or_english(code, lang):
    assert i18n.language(code) == lang


def test_what_a_german_user_reads_and_what_has_no_translation():
    ticket = {"number": 12, "escalation_level": 1, "language_code": "de"}
    assert messages.ticket_filed(ticket) == (
        "✅ Ticket <b>#12</b> erfasst. Das Bereitschaftsteam ist benachrichtigt und antwortet "
        "hier. Antworten Sie auf diese Nachricht, um Details hinzuzufügen."
    )
    assert messages.ticket_filed(ticket | {"language_code": "fr"}).startswith(
        "✅ Ticket <b>#12</b> filed."
    )
    assert i18n.translator("de")("A text no catalogue has") == "A text no catalogue has"
    delivery = {"author": "Bob", "ticket_number": 12, "text": "Hallo", "part": 2, "parts": 3}
    assert messages.answer(delivery | {"language_code": "ru"}).startswith(
        "💬 <b>\u2068Bob\u2069</b> · заявка #12 · часть 2 из 3"
    )
