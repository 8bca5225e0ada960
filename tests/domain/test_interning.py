"""domain.interning: one copy per process of equal procedures and clock settings."""

import copy
from dataclasses import replace

from domain import interning
from domain.calendar import build_calendar
from domain.interning import Interned
from domain.statutory import ClockConfig
from tests.domain.test_dossier import LAND

CAL = build_calendar(range(2025, 2028))


def test_an_equal_procedure_is_swapped_for_the_copy_held() -> None:
    held = interning.procedure(copy.deepcopy(LAND))
    again = copy.deepcopy(LAND)
    assert again is not held
    assert interning.procedure(again) is held


def test_a_different_procedure_under_the_same_version_is_kept_as_it_is() -> None:
    held = interning.procedure(copy.deepcopy(LAND))
    renamed = replace(LAND, name=LAND.name + " (sửa)")
    assert interning.procedure(renamed) is renamed
    assert interning.procedure(copy.deepcopy(LAND)) is held
    assert interning.procedure(copy.deepcopy(renamed)) is renamed


def test_the_calendar_is_built_once_per_equal_config_and_anew_for_a_changed_one() -> None:
    config = ClockConfig(calendar=CAL.to_dict(), version="v-test")
    first = interning.calendar(copy.deepcopy(config))
    assert interning.calendar(copy.deepcopy(config)) is first
    assert first == config.work_calendar()
    # the version string need not describe everything: a changed setting is a new copy
    changed = replace(config, escalation_every_days={"X": 3.0})
    assert interning.clock_config(changed) is changed
    assert interning.calendar(changed) is not first


def test_the_oldest_values_are_forgotten_beyond_the_limit() -> None:
    values: Interned[list[int]] = Interned(limit=2)
    a, b, c = [1], [2], [3]
    assert values.get("a", a) is a and values.get("b", b) is b
    assert values.get("a", [1]) is a  # used: now the newest
    assert values.get("c", c) is c  # forgets "b"
    assert len(values) == 2
    assert values.get("b", [2]) is not b
    assert values.derived("a", [1], len) == 1


def test_different_values_under_one_key_are_bounded_too() -> None:
    values: Interned[list[int]] = Interned(limit=2)
    first = [0]
    values.get("k", first)
    for n in range(1, interning.PER_KEY + 1):
        values.get("k", [n])
    assert len(values) == interning.PER_KEY
    assert values.get("k", [0]) is not first
