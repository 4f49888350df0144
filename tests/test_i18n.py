"""The end user's language: the catalogues cover every text, and a language without one, or a
text missing from one, is English."""

from __future__ import annotations

import re
from io import BytesIO

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from botkit import i18n, messages, team_messages

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
    # An entry no code asks for: its text changed, or extraction no longer finds where it is
    # used (and the next `pybabel update` would drop it, English showing instead).
    assert translated.keys() - texts == set()
    for text in texts:
        assert sorted(PLACEHOLDER.findall(translated[text])) == sorted(PLACEHOLDER.findall(text))
        # The same markup, so Telegram's HTML parser takes every language.
        assert re.findall(r"</?\w+>", translated[text]) == re.findall(r"</?\w+>", text), text


def test_every_translated_text_is_where_pybabel_extract_finds_it():
    """`_("...")` as a call of its own: pybabel extract misses a literal passed straight to
    `translator(lang)("...")` and (before Python 3.12) a `_()` inside an f-string."""
    hidden = re.compile(r"""translator\([^()]*\)\(\s*["']|\{_\(""")
    for path in i18n.LOCALE_DIR.parent.glob("*.py"):
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            assert not hidden.search(line), f"{path.name}:{number}: {line.strip()}"


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


# What techs read is in the team's language (TEAM_LANGUAGE), whatever the user's.
TEAM_TICKET = {
    "id": 7,
    "number": 7,
    "status": "open",
    "priority": "urgent",
    "sender_name": "Алиса",
    "username": None,
    "user_id": 555,
    "text": "почта не работает",
    "escalation_level": 1,
    "assignee": None,
    "acknowledged_by": None,
    "language_code": "ru",
}


def test_a_page_to_a_german_team_is_german_about_a_russian_users_ticket():
    page = {"id": 1, "kind": "page", "level": 2, "round": 0, "repeat": True}
    text = team_messages.outbox_text(page, TEAM_TICKET, "http://desk", lang="de")
    lines = text.splitlines()
    assert lines[0].startswith("🔁 <b>Wiederholung</b>:")
    assert lines[1] == (
        "<b>🚨 Eskaliertes Ticket (Stufe 2): der vorherige Techniker hat nicht reagiert</b>"
    )
    assert lines[2] == "Ticket <b>#7</b> · Priorität dringend"
    assert lines[3] == "Von: \u2068Алиса\u2069, id 555"
    assert '<a href="http://desk/tickets/7">Im Dashboard öffnen</a>' in text
    labels = [b.text for b in team_messages.buttons(TEAM_TICKET, "de").inline_keyboard[0]]
    assert labels == ["👀 Bestätigen", "🙋 Übernehmen", "✔️ Lösen"]
    taken = TEAM_TICKET | {"assignee": {"name": "Ann"}}
    assert team_messages.handled_line(taken, "de") == "👤 <b>Übernommen von \u2068Ann\u2069</b>"
    assert team_messages.action_done("take", taken, "de") == "Ticket #7 gehört jetzt Ihnen."
    # The user's own confirmation of the same ticket, repeated, stays in their language.
    confirmation = {"id": 2, "kind": "confirmation", "level": 0, "round": 0, "repeat": True}
    told = team_messages.outbox_text(confirmation, TEAM_TICKET, "http://desk", lang="de")
    assert told.startswith("🔁 <b>Повтор</b>:") and "Заявка <b>#7</b> зарегистрирована" in told


def test_shift_notices_name_days_months_and_roles_in_the_team_language():
    notice = {
        "zone": "Europe/Berlin",
        "removed": [
            {
                "start": "2026-12-03T08:00:00+00:00",
                "end": "2026-12-03T17:00:00+00:00",
                "role": "primary",
            }
        ],
        "added": [
            {
                "start": "2026-12-05T20:00:00+00:00",
                "end": "2026-12-06T06:00:00+00:00",
                "role": "backup",
            }
        ],
    }
    assert team_messages.shift_change(notice, "de").splitlines() == [
        "📅 Ihre Bereitschaftsschichten der nächsten 7 Tage haben sich geändert (Europe/Berlin):",
        "➖ nicht mehr Do. 03 Dez. 09:00-18:00 (primär)",
        "➕ jetzt Sa. 05 Dez. 21:00 - So. 06 Dez. 07:00 (Backup)",
    ]
    # English is what it always was, and a value without a name shows as it is.
    assert (
        team_messages.shift_change(notice).splitlines()[1]
        == "➖ no longer Thu 03 Dec 09:00-18:00 (primary)"
    )
    odd = notice | {"removed": [notice["removed"][0] | {"role": "shadow"}], "added": []}
    assert team_messages.shift_change(odd, "es").splitlines()[1].endswith("(shadow)")
    assert "jue 03 dic" in team_messages.shift_change(notice, "es")


def test_oncall_answers_in_the_askers_language():
    overview = {
        "timezone": "UTC",
        "now": {"chain": [], "unreachable": "no_slot"},
        "handovers": [],
        "overrides": [],
    }
    assert messages.oncall(overview, "uk").splitlines() == [
        "Зараз чергує: 🔴 нікого не можна сповістити (на цю годину в графіку немає зміни)",
        "У найближчі 24 години передач зміни немає.",
    ]
    assert messages.oncall(overview, "en") == (
        "On call now: 🔴 nobody can be paged (no slot covers this hour)\n"
        "No handover in the next 24 hours."
    )
