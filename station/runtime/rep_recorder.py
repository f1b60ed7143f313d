"""The rep log's side of the loop: what must survive a crash is written before anyone hears of it.

A set's start and end and every finished rep go to the SQLite rep log as the coach reports them;
the message that then goes to the pages carries the rep's id in the log, so a reader can tell
duplicates apart. A store that fails is reported, and coaching goes on.

The set number members and staff see is the set's id in the rep log (:attr:`RepRecorder.set_no`):
the coach's own count restarts with the station, the log's does not, so the wall's "Set 52" is
staff's Set 52. Each event's ``set_no`` is rewritten to it before the pages hear of it.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from typing import Any

from station.coach.events import Event, RepFinished, SetEnded, SetStarted
from station.coach.vocabulary import Side
from station.storage import StoreError, StoreReplaced
from station.storage.replog import RepLog

Message = dict[str, Any]


class RepRecorder:
    """Writes sets and reps to ``store``; ``on_rep`` hears each rep after it is committed."""

    def __init__(self, store: RepLog, on_error: Callable[[str, str], None],
                 on_rep: Callable[[Message], None] | None = None) -> None:
        self.store = store
        self._on_error = on_error
        self._on_rep = on_rep
        self._set_id: int | None = None
        self._last_set_id: int | None = None  # the set under way, else the one that ended last
        self._epoch = store.db.epoch  # the log the set is in (a restore starts another)
        self.failing: str | None = None  # why the last write failed; None once one goes through

    def record(self, event: Event) -> Message:
        """Store what must survive, then return the event as a message for the pages."""
        data = event.as_dict()
        wrote = True
        try:
            if isinstance(event, SetStarted):
                self._start_set(event.facing)
                self._number(data)
            elif isinstance(event, RepFinished):
                data["id"] = self._add_rep(event)
                self._number(data)
                self._tell(data)
            elif isinstance(event, SetEnded) and self._set_id is not None:
                self._number(data)
                self._end_set(self._set_id)
            else:
                wrote = False
                self._number(data)
        except StoreError as exc:
            self.failing = str(exc)
            self._on_error("store", str(exc))
        else:
            if wrote:  # only a write that went through says the rep log works again
                self.failing = None
        return {"type": "event", **data}

    def _number(self, data: Message) -> None:
        """The event's set number is its set's id in the rep log, when the set was stored."""
        if "set_no" in data and self._set_id is not None:
            data["set_no"] = self._set_id

    def _start_set(self, facing: Side | None) -> int:
        self._epoch = self.store.db.epoch
        self._set_id = self.store.reps.start_set(time.time(), facing)
        self._last_set_id = self._set_id
        return self._set_id

    def _end_set(self, set_id: int) -> None:
        self._set_id = None
        with contextlib.suppress(StoreReplaced):  # a restore came: the set is not in this log
            self.store.reps.end_set(set_id, time.time(), epoch=self._epoch)

    def _add_rep(self, event: RepFinished) -> int:
        """The rep's id in the log; a set whose start could not be stored, or that began before
        a restore swapped the log, goes on as a new set (the rep is kept either way)."""
        set_id = self._set_id if self._set_id is not None else self._start_set(None)
        try:
            return self._rep_in_set(set_id, event)
        except StoreReplaced:
            return self._rep_in_set(self._start_set(None), event)

    def _rep_in_set(self, set_id: int, event: RepFinished) -> int:
        return self.store.reps.add(set_id, time.time(), event.rep, event.verdict, event.faults,
                                  event.metrics, epoch=self._epoch)

    @property
    def set_id(self) -> int | None:
        """The rep log's id of the set under way (None between sets, or when it was not stored)."""
        return self._set_id

    @property
    def set_no(self) -> int | None:
        """The set number the pages show: the rep log's id of the set under way, else of the set
        that ended last (None before the first stored set of this run)."""
        return self._last_set_id

    @property
    def failed(self) -> bool:
        """The last write to the rep log failed (health, the database metric)."""
        return self.failing is not None

    def _tell(self, rep: Message) -> None:
        if self._on_rep is None:
            return
        try:
            self._on_rep(rep)
        except Exception as exc:  # a listener's failure must not stop the loop
            self._on_error("output", f"rep listener failed: {exc}")
