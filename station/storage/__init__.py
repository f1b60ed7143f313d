"""The rep log on disk: one SQLite database, and the only place in the station that speaks SQL.

The station holds one :class:`~station.storage.replog.RepLog`; its parts each keep one kind of row
over the one :class:`~station.storage.database.Database` (its connection, lock and restores):

- :mod:`~station.storage.reps`: sets and reps as the coach writes them
- :mod:`~station.storage.history`: totals, fault counts, trends and the CSV export, read from them
- :mod:`~station.storage.saved_settings`: each saved version of the settings
- :mod:`~station.storage.accounts`: staff accounts and their session generations
- :mod:`~station.storage.error_log`: the error table behind the health page
- :mod:`~station.storage.schema`: the migrations; :mod:`~station.storage.backup`: backup files

Threads other than the loop's read and write on connections of their own
(:class:`~station.storage.database.LogReader`): the MQTT outbox (:mod:`~station.storage.outbox`)
and kept sets (:mod:`~station.storage.kept_sets`). :mod:`~station.storage.made_up` fills a log
with made-up history for screenshots and benchmarks.

The two exceptions live here, so any part (and any caller) names them without importing another.
"""


class StoreError(Exception):
    """The rep log cannot be opened or written; the message says why in one line."""


class StoreReplaced(StoreError):
    """The log was restored from a backup since the caller's set began: its set id means
    nothing in the restored log (the caller starts a new set)."""
