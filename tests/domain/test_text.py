"""The clerk's search key: Vietnamese case folded, decomposed text composed, parts kept apart."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.text import SEARCH_SEPARATOR, UnsafeText, clean_text, contains_pattern, fold, search_key


def test_vietnamese_capitals_fold_to_the_letters_a_clerk_types() -> None:
    assert fold("NGUYỄN THỊ ÁNH TUYẾT") == "nguyễn thị ánh tuyết"
    assert fold("ĐẶNG") == "đặng"


def test_decomposed_text_folds_to_the_same_key_as_composed() -> None:
    composed = "Trần Thị Ánh"
    assert fold(unicodedata.normalize("NFD", composed)) == fold(composed)


def test_the_key_keeps_its_parts_apart_with_a_character_no_clean_text_holds() -> None:
    key = search_key("H29.1-260101-0001", "Lê Văn An", "079190001111")
    assert key.split(SEARCH_SEPARATOR) == ["h29.1-260101-0001", "lê văn an", "079190001111"]
    with pytest.raises(UnsafeText):
        clean_text(f"an{SEARCH_SEPARATOR}0791")


@given(st.lists(st.text(), min_size=1, max_size=4), st.text(min_size=1))
def test_what_is_found_in_one_part_is_found_in_the_key(parts: list[str], typed: str) -> None:
    needle = fold(typed)
    if any(needle in fold(part) for part in parts):
        assert needle in search_key(*parts)


def test_the_like_pattern_takes_wildcards_literally() -> None:
    assert contains_pattern("100%_a\\b") == "%100\\%\\_a\\\\b%"
