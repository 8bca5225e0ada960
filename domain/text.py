"""Text typed by people (names, addresses, reasons): normalised to NFC so a name typed in
decomposed form is the same name, and refused when it carries invisible controls."""

from __future__ import annotations

import unicodedata

#: Bidirectional embeddings, overrides and isolates: they make text display differently from
#: what it is (a name that reads "An" stored as something else).
BIDI_CONTROLS = frozenset(
    chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C)
)
#: Line breaks and tabs are text; every other C0/C1 control (NUL first) is not.
_ALLOWED_CONTROLS = frozenset("\t\n\r")


class UnsafeText(ValueError):
    """The text carries a character that has no place in a name or a note."""


def clean_text(value: str) -> str:
    """`value` in NFC; raises UnsafeText naming the first NUL, control or bidi character."""
    for char in value:
        if char in BIDI_CONTROLS or (
            unicodedata.category(char) == "Cc" and char not in _ALLOWED_CONTROLS
        ):
            kind = "bidirectional control" if char in BIDI_CONTROLS else "control character"
            raise UnsafeText(f"contains a {kind} (U+{ord(char):04X}), which is not allowed")
    return unicodedata.normalize("NFC", value)


#: Between the parts of a search key: a control character `clean_text` refuses, so no search
#: typed can match across two parts.
SEARCH_SEPARATOR = "\x1f"


def fold(text: str) -> str:
    """Text as the clerk's search compares it: in NFC, its case folded the way Python folds
    Vietnamese letters ("ÁNH" → "ánh"; SQLite's own lower() folds ASCII only), on every
    database alike."""
    return unicodedata.normalize("NFC", text).lower()


def search_key(*parts: str) -> str:
    """What a search is matched against (`db.models.Dossier.search_text`): the parts folded,
    one separator between each."""
    return SEARCH_SEPARATOR.join(fold(part) for part in parts)


def contains_pattern(text: str, escape: str = "\\") -> str:
    """A LIKE pattern matching `text` anywhere, its `%` and `_` taken literally."""
    escaped = text.replace(escape, escape * 2).replace("%", escape + "%").replace("_", escape + "_")
    return f"%{escaped}%"


def for_log(value: object, limit: int = 120) -> str:
    """A value from outside, shortened for a log line (a hostile caller picks its length)."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text)} chars)"
