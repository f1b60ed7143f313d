"""A restore killed at each step of its swap (SIGKILL, as a power cut or the OOM killer would):
the log reopens whole, either the old one or the restored one, and the next rep's id is above
every id the old log held (ids already published over MQTT are never reused).

Each kill runs in a subprocess that replaces :func:`station.storage.database.restore_step` with
one that kills it at the named step; benchmarks/restore_attacks.py repeats this many times."""

from __future__ import annotations

import io
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from station.coach.vocabulary import Verdict
from station.config.settings import Settings
from station.storage import backup
from station.storage.database import RESTORE_STEPS
from station.storage.replog import RepLog

# The child: a restore of ``zip`` into the log in ``data``, killed at ``step`` ("" runs through).
CHILD = """
import io, os, signal, sys
from pathlib import Path
from station.storage import backup, database
from station.storage.replog import RepLog
data, zip_path, step = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
def kill_at(name):
    if name == step:
        os.kill(os.getpid(), signal.SIGKILL)
database.restore_step = kill_at
log = RepLog.open(data)
checked = backup.check(io.BytesIO(zip_path.read_bytes()), Path(str(log.path)))
if step == "checked":
    os.kill(os.getpid(), signal.SIGKILL)
log.db.replace(checked.db)
log.close()
"""

OLD_REPS, BACKUP_REPS = 6, 3


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> tuple[Path, Path]:
    """A log of 6 reps (ids 1-6, all published) and a backup made when it held the first 3."""
    folder = tmp_path_factory.mktemp("kill")
    log = RepLog.open(folder / "data")
    log.accounts.add("ann", "scrypt:32768:8:1$c2FsdA==$00")
    set_id = log.reps.start_set(1.0)
    for i in range(OLD_REPS):
        if i == BACKUP_REPS:
            out = io.BytesIO()
            backup.write(log, Settings(), out, folder)
            (folder / "backup.zip").write_bytes(out.getvalue())
        log.reps.add(set_id, 2.0 + i, i + 1, Verdict.GOOD, [], {})
    log.close()
    return folder / "data", folder / "backup.zip"


@pytest.mark.parametrize("step", ["checked", *RESTORE_STEPS, ""], ids=lambda s: s or "not killed")
def test_a_restore_killed_at_any_step_leaves_a_whole_log_and_ids_that_never_go_back(made, tmp_path, step):
    original, zip_path = made
    data = tmp_path / "data"
    shutil.copytree(original, data)
    child = subprocess.run([sys.executable, "-c", CHILD, str(data), str(zip_path), step],
                           capture_output=True, text=True, timeout=60)
    if step:
        assert child.returncode == -signal.SIGKILL, child.stderr
    else:
        assert child.returncode == 0, child.stderr

    log = RepLog.open(data)  # as the station does when it starts again
    try:
        assert log.db.integrity() == "ok"
        ids = sorted(r["id"] for r in log.reps.newest_first(limit=100))
        assert ids in (list(range(1, OLD_REPS + 1)), list(range(1, BACKUP_REPS + 1))), ids  # old or new
        if step in ("", "swapped", "folder synced"):
            assert ids == list(range(1, BACKUP_REPS + 1))  # the rename happened: the restored log
        set_id = log.reps.start_set(20.0)
        assert log.reps.add(set_id, 21.0, 1, Verdict.GOOD, [], {}) == OLD_REPS + 1  # never at or below 6
        assert log.accounts.names() == ["ann"]
    finally:
        log.close()
