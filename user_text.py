"""Showing what someone else wrote: control characters made visible, its direction kept to itself.

Both processes show text users wrote (ticket texts, answers, Telegram and dashboard names): the
dashboard in its pages, the bot in its Telegram messages. A NUL or a terminal escape is shown as
its control picture (␀, ␛), never passed on raw. A right-to-left override (U+202E) would reverse
everything after it up to the end of the line, our own words included ("invoice‮fdp.exe" reads
as "invoiceexe.pdf"); it and the other embedding, override and isolate characters are shown as
U+FFFD. Then `isolate` wraps the text in FIRST STRONG ISOLATE ... POP DIRECTIONAL ISOLATE, so a
name in Hebrew or Arabic runs in its own direction without reordering the words around it (the
pages use `<bdi>` for the same, where they can carry markup).

Nothing of ours is imported here: a neutral module, like envconfig.py.
"""

from __future__ import annotations

FSI = "\u2068"  # FIRST STRONG ISOLATE: the text runs in the direction of its first letter
PDI = "\u2069"  # POP DIRECTIONAL ISOLATE: ... and stops affecting anything here

REPLACEMENT = "\ufffd"
CONTROL_PICTURES = 0x2400  # U+2400 SYMBOL FOR NULL, ... U+241F SYMBOL FOR UNIT SEPARATOR
KEPT = ("\t", "\n")
# LRE, RLE, PDF, LRO, RLO and LRI, RLI, FSI, PDI. A stray PDI would end our isolate early;
# the marks (U+200E, U+200F, U+061C) change no neighbour's order and stay.
BIDI_CONTROLS = (*range(0x202A, 0x202F), *range(0x2066, 0x206A))

# Every kind of line break becomes "\n": a browser's textarea sends CRLF, and U+2029 (a
# paragraph separator, like "\n" for the bidi algorithm) would otherwise look like nothing.
LINE_BREAKS = str.maketrans({"\r": "\n", "\u2028": "\n", "\u2029": "\n"})
SHOWN = str.maketrans(
    {chr(c): chr(CONTROL_PICTURES + c) for c in range(0x20) if chr(c) not in KEPT}
    | {"\x7f": "\u2421"}  # SYMBOL FOR DELETE
    | {chr(c): REPLACEMENT for c in range(0x80, 0xA0)}  # C1: no pictures
    | {chr(c): REPLACEMENT for c in BIDI_CONTROLS}
)


def visible(text: str) -> str:
    """The text with every control character shown (␀, ␛, U+FFFD), tabs and newlines kept."""
    return text.replace("\r\n", "\n").translate(LINE_BREAKS).translate(SHOWN)


def isolate(text: str) -> str:
    """The visible text between FSI and PDI, for a place where it shares a line with ours.

    A line break ends every isolate (it ends the bidi paragraph), so each later line of a long
    text starts afresh; nothing in it can run on, since `visible` took out every override.
    """
    return f"{FSI}{visible(text)}{PDI}" if text else ""


def telegram_length(text: str) -> int:
    """The length Telegram limits (4096 for a message): UTF-16 code units, so an emoji or any
    other character beyond the Basic Multilingual Plane counts twice."""
    return len(text.encode("utf-16-le")) // 2


def cut_to(text: str, limit: int) -> str:
    """The longest start of the text at most `limit` UTF-16 code units long, never half a
    character (a surrogate pair is kept whole or left out)."""
    if telegram_length(text) <= limit:
        return text
    used = 0
    for index, char in enumerate(text):
        used += 2 if ord(char) > 0xFFFF else 1
        if used > limit:
            return text[:index]
    return text


# Where a long text is split, best first: between paragraphs, lines, sentences, words.
SPLIT_AT = ("\n\n", "\n", ". ", " ")


def split_to(text: str, limit: int) -> list[str]:
    """The text in parts of at most `limit` UTF-16 code units, for Telegram's one-message limit.

    Each part ends at the last paragraph break that leaves it at least half full, else the
    last line break, sentence end or space, else wherever the limit falls (never inside a
    character). The blanks at a cut are dropped; nothing else is.
    """
    parts: list[str] = []
    rest = text.strip()
    while telegram_length(rest) > limit:
        head = cut_to(rest, limit)
        cut = len(head)
        for separator in SPLIT_AT:
            at = head.rfind(separator)
            if at > 0 and telegram_length(head[:at]) * 2 >= limit:
                cut = at + (1 if separator == ". " else 0)  # the full stop stays
                break
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        parts.append(rest)
    return parts
