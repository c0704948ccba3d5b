"""The .ics backend's semantics (409 on taken ids, deleted events kept) held in memory."""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from calsync.adapters.ics import IcsCalendar

Key = tuple[str, str]


class MemoryCalendar(IcsCalendar):
    """IcsCalendar without the file: same verbs, same answers, fast enough for Hypothesis."""

    def __init__(self) -> None:
        super().__init__(Path("/nonexistent/memory.ics"))
        self._store: dict[Key, dict[str, Any]] = {}
        self._saved = pickle.dumps(self._store)  # what a read gets: a copy, as from the file
        self.writes = 0

    def _load(self) -> dict[Key, dict[str, Any]]:
        return pickle.loads(self._saved)  # a deep copy, several times faster than deepcopy

    @contextmanager
    def _lock(self) -> Iterator[None]:
        yield

    @contextmanager
    def _edit(self) -> Iterator[dict[Key, dict[str, Any]]]:
        events = self._load()
        yield events
        self._store, self._saved = events, pickle.dumps(events)
        self.writes += 1

    def visible(self) -> dict[Key, tuple[Any, ...]]:
        """What a person sees: the live events and their shown fields."""
        return {
            key: tuple(
                str(e.get(f)) for f in ("summary", "description", "location", "start", "end")
            )
            for key, e in self._store.items()
            if e.get("status") != "cancelled"
        }
