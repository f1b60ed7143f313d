"""Password hashes: Werkzeug's scrypt format, and the station's earlier format still signing in."""

from __future__ import annotations

import pytest

from station.web.auth import check_password, hash_password, needs_rehash
from tests.helpers.accounts import LEGACY, PASSWORD


def test_new_hashes_are_werkzeug_scrypt_and_salted() -> None:
    first, second = hash_password(PASSWORD), hash_password(PASSWORD)
    assert first.startswith("scrypt:") and first != second
    assert check_password(PASSWORD, first) and check_password(PASSWORD, second)
    assert not needs_rehash(first)


@pytest.mark.parametrize("stored", [LEGACY, "werkzeug"])
def test_right_password_passes_and_wrong_ones_fail_in_both_formats(stored: str) -> None:
    if stored == "werkzeug":
        stored = hash_password(PASSWORD)
    assert check_password(PASSWORD, stored)
    for wrong in ("", "a long enough passwore", PASSWORD + " ", PASSWORD.upper()):
        assert not check_password(wrong, stored)


def test_only_the_legacy_format_needs_a_rehash() -> None:
    assert needs_rehash(LEGACY)
    assert not needs_rehash(hash_password(PASSWORD))


@pytest.mark.parametrize("stored", [
    "", "hash", "scrypt$", "scrypt$16384$8$1$salt", "scrypt$x$8$1$AAAA$AAAA", "scrypt$1000$8$1$AAAA$AAAA",
    "scrypt$16384$8$1$not base64!$AAAA", "md5$salt$digest", "scrypt:x:8:1$salt$digest",
])
def test_malformed_hashes_are_refused_not_raised(stored: str) -> None:
    assert check_password(PASSWORD, stored) is False
