"""``Export labelled sets``: a zip that ``station evaluate`` reads, made of a station's own sets.

Every kept set whose reps staff have all labelled becomes a pose stream (``set-<id>.jsonl``, the
lines as kept) and an entry in ``labels.json`` in the format of :mod:`station.streams.evaluate`: the
true count (the coach's reps, less those staff struck out as invented, plus those staff added as
missed), every fault code judged (staff ticked the true ones among all of them), the true faults
per rep, each rep's moment in the stream (the middle of a counted rep, the moment staff gave for a
missed one; so a miscount still pairs reps by time), and the coaching settings in force when the
set was kept (``station evaluate`` replays with them).

    >>> import io, zipfile
    >>> out = io.BytesIO(); labels = write_zip(out, [], "front-desk")
    >>> zipfile.ZipFile(out).namelist(), labels["recordings"]
    (['labels.json'], [])
"""

from __future__ import annotations

import dataclasses
import json
import time
import zipfile
from collections.abc import Iterable, Iterator
from typing import IO, Any

from station.coach.vocabulary import FaultCode
from station.config.settings import Settings
from station.storage.kept_sets import KeptSets, unpacked_lines

MOVEMENT = "the dowel drill at the station's wall (kept by the station)"


def coaching_settings(saved: Any) -> dict[str, Any]:
    """The coaching settings (the coach's thresholds) that saved values make, every one of them:
    what a replay needs, and nothing of the station's pins, names or passwords."""
    settings, _ = Settings.load(saved if saved is not None else {})
    return {f.name: getattr(settings, f.name) for f in dataclasses.fields(Settings)
            if f.metadata.get("group") == "coaching"}


def recording(kept: dict[str, Any], station: str) -> dict[str, Any]:
    """The labels.json entry of one labelled kept set (from :meth:`KeptSets.get`): the coach's reps
    staff did not strike out, with their labels, and the reps staff added as missed, in time
    order."""
    counted = [rep for rep in kept["reps"] if rep["struck"] is None]
    truth = sorted([((rep["start"] + rep["end"]) / 2, rep["label"]["faults"]) for rep in counted]
                   + [(m["at"], m["faults"]) for m in kept["missed"]], key=lambda x: x[0])
    by = sorted({rep["label"]["by"] for rep in counted} | {m["by"] for m in kept["missed"]}
                | {rep["struck"]["by"] for rep in kept["reps"] if rep["struck"]})
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(kept["t_start"]))
    name = f"set-{kept['set_id']}"
    return {
        "name": name, "file": f"{name}.jsonl", "movement": MOVEMENT,
        "expected_reps": len(truth),
        "judged": [str(c) for c in FaultCode],
        "rep_faults": [faults for _, faults in truth],
        "rep_times": [round(t, 3) for t, _ in truth],
        "rep_times_by": "the station's coach (the middle of each rep it counted) and staff (the "
                        "deepest moment of each rep it missed)",
        "labelled_by": f"station {station}, labelled by {', '.join(by)}",
        "settings": coaching_settings(kept["settings"]),
        "source": {"station": station, "set_id": kept["set_id"], "kept_at": when,
                   "frames": kept["frames"], "truncated": kept["truncated"]},
        "coach": [{"rep": rep["rep"], "verdict": rep["verdict"], "faults": rep["faults"],
                   "struck": rep["struck"] is not None,
                   "verdict_right": rep["label"]["verdict_right"] if rep["label"] else None}
                  for rep in kept["reps"]],
        "missed": [{"at": m["at"], "faults": m["faults"]} for m in kept["missed"]],
        "licence": "the gym's own recording: poses only, no pictures; ask the gym before sharing",
    }


KeptSet = tuple[dict[str, Any], Iterable[str]]  # a kept set (KeptSets.get) and its pose-stream lines


def write_zip(out: IO[bytes], sets: Iterable[KeptSet], station: str) -> dict[str, Any]:
    """Write the zip of ``sets`` (each kept set with its lines, written into the zip as they come)
    to ``out``; its labels.json."""
    labels: dict[str, Any] = {
        "about": f"Sets kept and labelled at station {station}, exported {time.strftime('%Y-%m-%d %H:%M')};"
                 " run `station evaluate` on this zip or its folder.",
        "recordings": []}
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for kept, lines in sets:
            entry = recording(kept, station)
            with zf.open(entry["file"], "w") as member:
                for line in lines:
                    member.write(line.encode("utf-8") + b"\n")
            labels["recordings"].append(entry)
        zf.writestr("labels.json", json.dumps(labels, indent=1))
    return labels


def export(kept: KeptSets, out: IO[bytes], station: str) -> int:
    """Write the zip of every fully labelled kept set to ``out`` (a set's packed poses in memory,
    unpacked a line at a time); how many sets it holds."""
    ids = kept.labelled()

    def sets() -> Iterator[KeptSet]:
        for set_id in ids:
            one, packed = kept.get(set_id), kept.packed(set_id)
            if one is not None and packed is not None:  # pruned meanwhile
                yield one, unpacked_lines(packed, set_id)

    return len(write_zip(out, sets(), station)["recordings"])
