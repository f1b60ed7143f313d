"""The ``station`` command's exit codes, and the domain errors that map to them.

0 done; 1 some input could not be read; 2 bad usage; 3 the models or the TFLite runtime are
missing or broken (the message says how to fix it); 75 under systemd, staff asked for a restart
(:mod:`station.runtime.restart`); 130 interrupted (Ctrl+C).

    >>> from station.pose.models import ModelError
    >>> exit_code_for(ModelError("missing")), exit_code_for(UsageError("--mqtt")), exit_code_for(KeyError())
    (3, 2, None)
"""

from __future__ import annotations

from station.storage import StoreError

EXIT_OK, EXIT_INPUT, EXIT_USAGE, EXIT_MODELS = 0, 1, 2, 3


class UsageError(Exception):
    """The command line asked for something that cannot be done as asked (exit code 2)."""


def exit_code_for(exc: BaseException) -> int | None:
    """The exit code of a domain error that reached the command line (None: not one of ours)."""
    from station.camera.files import MediaError
    from station.camera.sources import CameraError
    from station.pose.models import ModelError

    if isinstance(exc, ModelError):
        return EXIT_MODELS
    if isinstance(exc, MediaError | CameraError | StoreError):
        return EXIT_INPUT
    if isinstance(exc, UsageError):
        return EXIT_USAGE
    return None

