"""One copy per process of the values every dossier shares and none changes: its procedure
version, the clock's settings and the calendar built from them. Each workflow receives its own
copy (deserialized from its input, an activity or a signal); swapping it for an equal copy
already held keeps one in memory per version instead of one per cached workflow. Equal values
only, so a workflow sees exactly what it received and replay is unaffected."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

if TYPE_CHECKING:
    from domain.calendar import WorkCalendar
    from domain.procedures import Procedure
    from domain.statutory import ClockConfig

T = TypeVar("T")
D = TypeVar("D")

#: Distinct values kept per kind; the oldest is forgotten first (a forgotten value is only
#: held again by the workflows that still use it).
LIMIT = 512
#: Different values kept under one key (a setting changed without a new version string).
PER_KEY = 8


class Interned(Generic[T]):
    """Equal values of one kind, at most `limit` of them, looked up by a cheap key (values
    under one key are compared in full: the key need not identify the content)."""

    def __init__(self, limit: int = LIMIT) -> None:
        self._limit = limit
        self._values: OrderedDict[Hashable, list[T]] = OrderedDict()
        self._derived: dict[int, Any] = {}  # id(held value) → what was built from it
        self._lock = threading.Lock()  # workflows run on several threads

    def __len__(self) -> int:
        return sum(len(same) for same in self._values.values())

    def get(self, key: Hashable, value: T) -> T:
        """The copy held for a value equal to `value`, or `value`, now held."""
        with self._lock:
            same = self._values.get(key)
            if same is None:
                same = self._values[key] = []
                while len(self._values) > self._limit:
                    for forgotten in self._values.popitem(last=False)[1]:
                        self._derived.pop(id(forgotten), None)
            self._values.move_to_end(key)
            for held in same:
                if held == value:
                    return held
            same.append(value)
            while len(same) > PER_KEY:
                self._derived.pop(id(same.pop(0)), None)
            return value

    def derived(self, key: Hashable, value: T, build: Callable[[T], D]) -> D:
        """`build(held)` for the held copy of `value`, built once while it is held."""
        held = self.get(key, value)
        with self._lock:
            if id(held) not in self._derived:
                self._derived[id(held)] = build(held)
            return cast(D, self._derived[id(held)])


_PROCEDURES: Interned[Procedure] = Interned()
_CONFIGS: Interned[ClockConfig] = Interned()


def procedure(value: Procedure) -> Procedure:
    return _PROCEDURES.get((value.code, value.version), value)


def clock_config(value: ClockConfig) -> ClockConfig:
    return _CONFIGS.get(value.version, value)


def calendar(config: ClockConfig) -> WorkCalendar:
    """The calendar of `config`, built once per held config."""
    return _CONFIGS.derived(config.version, config, lambda held: held.work_calendar())
