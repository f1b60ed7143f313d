"""Staff accounts: names, password hashes, and each account's session generation.

Only hashes are stored (:mod:`station.web.auth` makes and checks them). A session cookie carries
its account's generation; signing out or a new password bumps it, so every older cookie dies.

    >>> from station.storage.database import Database
    >>> accounts = Accounts(Database(":memory:"))
    >>> accounts.add_first("ann", "hash"), accounts.add_first("eve", "hash")  # only while there is none
    (True, False)
    >>> accounts.add("bob", "hash")
    >>> accounts.end_sessions("ann"); accounts.get("ann")["generation"]
    1
    >>> accounts.remove("bob"), accounts.remove("ann"), accounts.names()  # never the last one
    (True, False, ['ann'])
"""

from __future__ import annotations

import time
from typing import Any

from station.storage import StoreError
from station.storage.database import Database


class Accounts:
    """The ``accounts`` table of one rep log."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def add(self, name: str, password_hash: str) -> None:
        """A new account; StoreError saying so when the name is taken."""
        try:
            self._db.write("INSERT INTO accounts (name, password_hash, created) VALUES (?, ?, ?)",
                           (name, password_hash, time.time()))
        except StoreError as exc:
            if "UNIQUE" in str(exc):
                raise StoreError(f"an account named {name!r} exists already") from None
            raise

    def add_first(self, name: str, password_hash: str) -> bool:
        """The first account, only while there is none: the count is checked in the same
        statement, so of two setups at once one adds it. True if it was added."""
        cur = self._db.write("INSERT INTO accounts (name, password_hash, created) SELECT ?, ?, ? "
                             "WHERE NOT EXISTS (SELECT 1 FROM accounts)", (name, password_hash, time.time()))
        return cur.rowcount == 1

    def set_password_hash(self, name: str, password_hash: str, *, end_sessions: bool = True) -> None:
        """Replace an account's password hash; a new password ends every session of the account
        (``end_sessions=False``: the same password in a newer format, upgraded at sign-in)."""
        bump = 1 if end_sessions else 0
        self._db.write("UPDATE accounts SET password_hash = ?, generation = generation + ? WHERE name = ?",
                       (password_hash, bump, name))

    def end_sessions(self, name: str) -> None:
        """Every signed-in copy of this account's cookie stops working (sign-out)."""
        self._db.write("UPDATE accounts SET generation = generation + 1 WHERE name = ?", (name,))

    def get(self, name: str) -> dict[str, Any] | None:
        """The account's name, password hash, when it was made and its session generation."""
        rows = self._db.read("SELECT name, password_hash, created, generation FROM accounts WHERE name = ?",
                             (name,))
        return dict(rows[0]) if rows else None

    def listing(self) -> list[dict[str, Any]]:
        """Every account's name and when it was made, by name (no hashes)."""
        return [dict(r) for r in self._db.read("SELECT name, created FROM accounts ORDER BY name")]

    def remove(self, name: str) -> bool:
        """Remove an account, never the last one: the count is checked in the same statement,
        so two staff removing each other at once cannot leave none. True if it was removed; its
        sessions end with it (a cookie's account must exist)."""
        cur = self._db.write("DELETE FROM accounts WHERE name = ? AND (SELECT COUNT(*) FROM accounts) > 1",
                             (name,))
        return cur.rowcount == 1

    def names(self) -> list[str]:
        return [r["name"] for r in self._db.read("SELECT name FROM accounts ORDER BY name")]

    def count(self) -> int:
        return int(self._db.read("SELECT COUNT(*) FROM accounts")[0][0])
