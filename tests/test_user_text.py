"""Showing what someone else wrote: control characters visible, its direction kept to itself."""

from __future__ import annotations

import pytest

from user_text import FSI, PDI, cut_to, isolate, split_to, telegram_length, visible


@pytest.mark.parametrize(
    ("written", "shown"),
    [
        ("a\x00b", "a\u2400b"),  # NUL as ␀
        ("bell\x07", "bell\u2407"),  # C0 as its control picture
        ("\x1b[31mred", "\u241b[31mred"),  # a terminal escape as ␛
        ("del\x7f", "del\u2421"),  # DEL as ␡
        ("c1\x85\x9b", "c1\ufffd\ufffd"),  # C1 has no pictures: U+FFFD
        ("invoice\u202efdp.exe", "invoice\ufffdfdp.exe"),  # RIGHT-TO-LEFT OVERRIDE
        ("\u202a\u202b\u202c\u202d", "\ufffd" * 4),  # embeddings, POP DIRECTIONAL FORMATTING
        ("\u2066\u2067\u2068\u2069", "\ufffd" * 4),  # a stray isolate would end ours early
    ],
)
def test_control_and_bidi_override_characters_are_shown_visibly(written, shown) -> None:
    assert visible(written) == shown


def test_tabs_line_breaks_and_right_to_left_writing_stay_as_written() -> None:
    text = "שלום\tעולם\nمرحبا \u200fmark\u200e"
    assert visible(text) == text


def test_every_kind_of_line_break_becomes_a_newline() -> None:
    # A browser's textarea sends CRLF; U+2029 would end an isolate like a newline does.
    assert visible("a\r\nb\rc\u2028d\u2029e") == "a\nb\nc\nd\ne"


def test_showing_twice_changes_nothing() -> None:
    once = visible("a\x00\u202e\r\nb")
    assert visible(once) == once


def test_isolate_wraps_the_visible_text_in_first_strong_isolate_and_pop() -> None:
    assert isolate("Eve\u202e") == f"{FSI}Eve\ufffd{PDI}"
    assert (FSI, PDI) == ("\u2068", "\u2069")


def test_isolate_leaves_nothing_to_isolate_alone() -> None:
    assert isolate("") == ""


def test_length_is_what_telegram_counts_utf16_code_units() -> None:
    assert telegram_length("abc") == 3
    assert telegram_length("ü ש") == 3  # one unit each: the Basic Multilingual Plane
    assert telegram_length("😀👍🏽") == 6  # beyond it: two each, the skin tone too


@pytest.mark.parametrize(
    ("text", "limit", "cut"),
    [
        ("a😀b", 4, "a😀b"),
        ("a😀b", 3, "a😀"),
        ("a😀b", 2, "a"),  # never half an emoji
        ("a😀b", 0, ""),
        ("ü" * 10, 4, "üüüü"),
    ],
)
def test_cut_to_keeps_the_longest_start_that_fits(text, limit, cut) -> None:
    assert cut_to(text, limit) == cut


def test_split_to_leaves_a_short_text_whole() -> None:
    assert split_to("  Reboot it.\n", 100) == ["Reboot it."]
    assert split_to("x" * 100, 100) == ["x" * 100]


def test_split_to_cuts_between_paragraphs_first() -> None:
    first, second = "a" * 60, "b" * 60
    assert split_to(f"{first}\n\n{second}", 100) == [first, second]
    # A paragraph break too early would leave a tiny part: the last line break wins then.
    text = "ab\n\n" + "c" * 50 + "\n" + "d" * 60
    assert split_to(text, 100) == ["ab\n\n" + "c" * 50, "d" * 60]


def test_split_to_falls_back_to_sentences_words_and_hard_cuts() -> None:
    sentences = "One two three. " * 10  # 150 characters
    parts = split_to(sentences, 100)
    assert parts[0].endswith("three.") and len(parts[0]) <= 100
    assert " ".join(parts) == sentences.strip()
    assert split_to("word " * 30, 100) == [("word " * 20).strip(), ("word " * 10).strip()]
    assert split_to("x" * 250, 100) == ["x" * 100, "x" * 100, "x" * 50]


def test_split_to_counts_as_telegram_does_and_never_halves_an_emoji() -> None:
    parts = split_to("😀" * 101, 100)  # 202 units
    assert parts == ["😀" * 50, "😀" * 50, "😀"]
    assert all(telegram_length(p) <= 100 for p in parts)
    assert split_to("a" + "😀" * 50, 100) == ["a" + "😀" * 49, "😀"]
