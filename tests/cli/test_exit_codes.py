"""The exit codes of ``station`` when a domain error reaches the command line (cli/exits.py): each
error the user can cause gets its code and one ``error:`` line, never a traceback."""

from __future__ import annotations

import pytest

from station.camera.files import MediaError
from station.camera.sources import CameraError
from station.cli import main
from station.cli.exits import EXIT_INPUT, EXIT_MODELS, EXIT_USAGE, UsageError, exit_code_for
from station.pose.models import ModelError
from station.storage import StoreError


@pytest.mark.parametrize(("error", "code"), [
    (StoreError("station.db: disk I/O error"), EXIT_INPUT),
    (CameraError("no camera 3"), EXIT_INPUT),
    (MediaError("clip.mp4: cannot be read"), EXIT_INPUT),
    (ModelError("pose_detection.tflite is missing"), EXIT_MODELS),
    (UsageError("--mqtt http://x"), EXIT_USAGE),
    (KeyError("a bug"), None),  # not ours: main lets it through with its traceback
])
def test_each_domain_error_has_its_exit_code(error: Exception, code: int | None) -> None:
    assert exit_code_for(error) == code


def test_a_rep_log_that_cannot_be_opened_exits_1_with_the_reason(tmp_path, capsys) -> None:
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("")
    code = main(["run", "--sim", "--fast", "--headless", "--data", str(not_a_folder)])
    err = capsys.readouterr().err
    assert code == EXIT_INPUT
    assert err.startswith("error: ") and "cannot create the data directory" in err and "Traceback" not in err


def test_an_error_that_is_not_ours_is_not_hidden_behind_an_exit_code(monkeypatch) -> None:
    from station.cli import replay

    def bug(args):
        raise KeyError("a bug")

    monkeypatch.setattr(replay, "cmd_replay", bug)
    with pytest.raises(KeyError):
        main(["replay", "-"])
