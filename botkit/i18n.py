"""The bot's languages: what it says to people asking for help follows their Telegram
`language_code`; what it says to techs is in the team's language, TEAM_LANGUAGE (German,
Russian, Ukrainian and Spanish catalogues, English where a text is missing).

The catalogues are gettext `.po` files under botkit/locale/<lang>/LC_MESSAGES/messages.po,
read with Babel at first use (no compiled `.mo` to keep in step). The English texts in
botkit/messages.py and botkit/team_messages.py are the message ids; `pybabel extract` and
`pybabel update` bring the catalogues up to date (README, Languages).
"""

from __future__ import annotations

import gettext
from collections.abc import Callable
from functools import cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LOCALE_DIR = Path(__file__).with_name("locale")
LANGUAGES = ("de", "es", "ru", "uk")  # besides English, the language of the source
DOMAIN = "messages"


def language(code: str | None) -> str:
    """The catalogue for a Telegram language_code ("de", "pt-br", None): English if none."""
    base = (code or "").split("-")[0].split("_")[0].lower()
    return base if base in LANGUAGES else "en"


@cache
def translations(lang: str) -> gettext.NullTranslations:
    if lang == "en":
        return gettext.NullTranslations()
    path = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    with open(path, "rb") as source:
        catalog = read_po(source, locale=lang, domain=DOMAIN)
    compiled = BytesIO()
    write_mo(compiled, catalog)  # fuzzy entries are left out: English shows instead
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def translator(code: str | None) -> Callable[[str], str]:
    """`_` for a user's language_code: their catalogue's text, or the English one."""
    return translations(language(code)).gettext
