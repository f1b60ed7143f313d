"""The rep log's side of the loop: what must survive a crash is written before anyone hears of it.

A set's start and end and every finished rep go to the SQLite rep log as the coach reports them;
the message that then goes to the pages carries the rep's id in the log, so a reader can tell
duplicates apart. A store that fails is reported, and coaching goes on.

A write the log refuses (a full disk, a log whose file could not be put back) is not lost: the
set and rep wait in memory, in order, at most :data:`MAX_WAITING_REPS` reps, and are written
together (one transaction) at the next event or within :data:`RETRY_EVERY_S`, once the disk
takes them again. Their page messages go out at once without an ``"id"``; whoever listens for
stored reps (``on_rep``, the MQTT outbox that reads the log) hears them when they are written.

The set number members and staff see is the set's id in the rep log (:attr:`RepRecorder.set_no`):
the coach's own count restarts with the station, the log's does not, so the wall's "Set 52" is
staff's Set 52. Each event's ``set_no`` is rewritten to it before the pages hear of it (a set that
waits for a full disk keeps the coach's number until it is written).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from station.coach.events import Event, RepFinished, SetEnded, SetStarted
from station.coach.vocabulary import Side
from station.storage import StoreError, StoreReplaced
from station.storage.replog import RepLog
from station.storage.reps import LateSet, NewRep

Message = dict[str, Any]

# Reps kept in memory while the log refuses them. A rep of the drill takes 2-4 s (see
# kept_sets/keeper.py), so 5,000 is 3-5 hours of one member hinging without a break, more than
# a busy wall's day (sets of 10 every few minutes for 16 hours is some 2,000). Each waits as
# about 1.2 KB (benchmarks/storage_faults.py prints it): 6 MiB at the bound, 1 % of the unit's
# MemoryMax (640M). Beyond it a rep is counted as not kept and reported.
MAX_WAITING_REPS = 5000
# While reps wait, the loop tries again this often even when no event comes (a full disk's
# write fails in well under a millisecond, so trying costs the loop nothing).
RETRY_EVERY_S = 5.0


@dataclass
class _Set:
    """The set under way or one with rows waiting: its id in the log once its start is there."""

    t_start: float
    facing: Side | str | None
    epoch: int  # the log's restore count when the id was taken
    set_id: int | None = None
    t_end: float | None = None
    reps: list[tuple[NewRep, Message]] = field(default_factory=list)  # waiting, with their messages
    waiting: bool = False  # in the recorder's waiting list


class RepRecorder:
    """Writes sets and reps to ``store``; ``on_rep`` hears each rep after it is committed."""

    def __init__(self, store: RepLog, on_error: Callable[[str, str], None],
                 on_rep: Callable[[Message], None] | None = None,
                 max_waiting: int = MAX_WAITING_REPS) -> None:
        self.store = store
        self._on_error = on_error
        self._on_rep = on_rep
        self.max_waiting = max_waiting
        self._set: _Set | None = None  # the set under way
        self._waiting: list[_Set] = []  # sets with rows not yet in the log, oldest first
        self._tried = time.monotonic()
        self.not_kept = 0  # reps lost because more than max_waiting waited
        self._last_set_id: int | None = None  # the set under way, else the one that ended last
        self.failing: str | None = None  # why the last write failed; None once one goes through

    def record(self, event: Event) -> Message:
        """Store what must survive, then return the event as a message for the pages."""
        data = event.as_dict()
        if not isinstance(event, (SetStarted, RepFinished, SetEnded)):
            self._number(data)
            return {"type": "event", **data}
        now = time.time()
        self._catch_up()  # what waits goes first: the log keeps the order things happened in
        if isinstance(event, SetStarted):
            self._start_set(now, event.facing)
            self._number(data)
        elif isinstance(event, RepFinished):
            rep_id = self._add_rep(event, now, data)
            self._number(data)
            if rep_id is not None:  # "id" only once stored: what counts stored reps goes by it
                data["id"] = rep_id
                self._tell(data)
        elif self._set is not None:
            self._number(data)
            self._end_set(self._set, now)
        return {"type": "event", **data}

    def _number(self, data: Message) -> None:
        """The event's set number is its set's id in the rep log, once the set is stored."""
        if "set_no" in data and self._set is not None and self._set.set_id is not None:
            data["set_no"] = self._set.set_id

    def tick(self, now: float) -> None:
        """The loop, every frame or idle turn (``now``: monotonic): writes what waits, at most
        every RETRY_EVERY_S, so reps reach the log when space returns even if nobody hinges."""
        if self._waiting and now - self._tried >= RETRY_EVERY_S:
            self._catch_up()

    # ---------------------------------------------------------------- writes
    def _start_set(self, t: float, facing: Side | str | None) -> _Set:
        current = self._set = _Set(t, facing, self.store.db.epoch)
        if self._waiting:
            self._wait(current)
            return current
        try:
            current.set_id = self._last_set_id = self.store.reps.start_set(t, facing)
        except StoreError as exc:
            self._failed(exc)
            self._wait(current)
        else:
            self.failing = None
        return current

    def _end_set(self, current: _Set, t: float) -> None:
        self._set = None
        current.t_end = t
        if current.waiting or current.set_id is None:
            return  # written with what waits
        try:
            self.store.reps.end_set(current.set_id, t, epoch=current.epoch)
        except StoreReplaced:  # a restore came: the set is not in this log
            return
        except StoreError as exc:
            self._failed(exc)
            self._wait(current)

    def _add_rep(self, event: RepFinished, t: float, data: Message) -> int | None:
        """The rep's id in the log, or None while it waits; a set whose start could not be
        stored waits with it, and one begun before a restore swapped the log goes on as a new set."""
        current = self._set if self._set is not None else self._start_set(t, None)
        new = NewRep(t, event.rep, event.verdict, event.faults, event.metrics)
        if self._waiting or current.set_id is None:
            self._keep(current, new, data)  # after what waits, in order
            return None
        try:
            try:
                rep_id = self._write_rep(current, event, t)
            except StoreReplaced:  # a restore swapped the log: the set goes on as a new one there
                current = self._start_set(t, current.facing)
                if current.waiting or current.set_id is None:
                    self._keep(current, new, data)
                    return None
                rep_id = self._write_rep(current, event, t)
        except StoreError as exc:
            self._failed(exc)
            self._keep(current, new, data)
            return None
        self.failing = None  # a write went through: the log works again
        return rep_id

    def _write_rep(self, current: _Set, event: RepFinished, t: float) -> int:
        assert current.set_id is not None
        return self.store.reps.add(current.set_id, t, event.rep, event.verdict, event.faults, event.metrics,
                                   epoch=current.epoch)

    # ---------------------------------------------------------------- what waits
    def _keep(self, current: _Set, new: NewRep, data: Message) -> None:
        if self.waiting_reps >= self.max_waiting:
            self.not_kept += 1
            self._on_error("store", f"rep not kept: {self.max_waiting} reps already wait for the rep log")
            return
        self._wait(current)
        current.reps.append((new, data))

    def _wait(self, s: _Set) -> None:
        if not s.waiting:
            s.waiting = True
            self._waiting.append(s)

    def _failed(self, exc: StoreError) -> None:
        self.failing = str(exc)
        self._on_error("store", str(exc))

    def _catch_up(self) -> None:
        """Write every waiting set and rep in one transaction; on failure they keep waiting."""
        if not self._waiting:
            return
        self._tried = time.monotonic()
        epoch = self.store.db.epoch
        late = [LateSet(s.set_id if s.epoch == epoch else None, s.t_start, s.t_end, s.facing,
                        [new for new, _ in s.reps]) for s in self._waiting]
        try:
            written = self.store.reps.catch_up(late, epoch=epoch)
        except StoreError as exc:  # StoreReplaced too: tried again with new sets next time
            self.failing = str(exc)
            return
        told: list[Message] = []
        for s, (set_id, ids) in zip(self._waiting, written, strict=True):
            s.set_id, s.epoch, s.waiting = set_id, epoch, False
            self._last_set_id = set_id
            for (_, data), rep_id in zip(s.reps, ids, strict=True):
                told.append({**data, "id": rep_id, "set_no": set_id})
            s.reps = []
        self._waiting = []
        self.failing = None
        for message in told:
            self._tell(message)

    @property
    def waiting_reps(self) -> int:
        """Reps made while the log refused them, waiting in memory to be written (health)."""
        return sum(len(s.reps) for s in self._waiting)

    @property
    def set_id(self) -> int | None:
        """The rep log's id of the set under way (None between sets, or when it was not stored)."""
        return self._set.set_id if self._set is not None else None

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
