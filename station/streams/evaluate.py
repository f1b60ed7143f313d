"""``station evaluate DIR``: the coach over a folder of labelled pose streams, against the labels.

``DIR/labels.json`` lists the recordings (see ``tests/data/real/README.md``)::

    {"recordings": [{"name": "...", "file": "x.jsonl", "movement": "...", "expected_reps": 4,
                     "judged": ["rounded_back", "squat"], "rep_faults": [[], ["squat"], [], []],
                     "labelled_by": "...", "source": {...}, "licence": "...", "notes": "..."}]}

``judged`` names the faults the labels speak for in that recording; the coach's other faults there
are neither right nor wrong (nobody labelled them). ``rep_faults`` (one list per expected rep, or
null when only the count is known) holds the true faults among ``judged``. Fault codes are plain
strings, so a label may name a fault the coach does not have yet (it then only has misses).
``rep_times`` (optional) gives each expected rep's deepest moment, in seconds of the stream.
``settings`` (optional) are the station's settings where the recording was made (a kept set's, as
exported): it replays with them. ``tags`` (optional, e.g. ``{"camera": "20 deg off", "body":
"tall"}``) group the summary: it is given for all, then for each value of each tag.

Where the coach abstains (a check it could not make, such as the back seen too far from profile:
the rep's ``unseen``), it neither names nor clears that check's faults; the summary says how often
it abstained, and how often a rep it judged in full had faults other than the labels'.

How labelled reps meet the coach's reps: with ``rep_times``, a labelled rep pairs with the coach's
rep that was under way then (from its start to its finish, give or take :data:`SLACK_S`); without
them, as in the simulated suite (:mod:`station.sim.score`), reps pair in order only in a set whose
count is exact. A labelled rep left unpaired has its true faults missed; a coach's rep left
unpaired has its judged-code faults counted as false alarms.

    >>> s = Score()
    >>> s.add(Result(Recording("a", Path("a"), "hinge", 1, frozenset({"squat"}), [frozenset()]),
    ...              [CountedRep("fault", ("squat",), 1.0, 3.0)], 10, 0))
    >>> s.exact_sets, s.fp["squat"], s.precision("squat"), s.recall("squat")
    (1, 1, 0.0, None)
"""

from __future__ import annotations

import json
import tempfile
import zipfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from station.coach.events import RepFinished, RepStarted
from station.coach.run import coach_over
from station.coach.tally import FaultTally
from station.coach.vocabulary import Verdict
from station.config.settings import Settings, SettingsError
from station.streams.format import StreamFrames, read_stream

LABELS = "labels.json"
SLACK_S = 0.3  # s: a labelled rep's deepest moment may fall this far outside the coach's rep
# A zip unpacks to at most this much: a kept set's stream is 1-2 MB, so hundreds of sets fit, and
# a zip bomb does not fill the disk.
MAX_UNZIPPED = 2**30


class LabelError(ValueError):
    """labels.json is missing or not as described in this module."""


@dataclass(frozen=True)
class Recording:
    """One labelled pose stream."""

    name: str
    path: Path
    movement: str
    expected_reps: int
    judged: frozenset[str]
    rep_faults: list[frozenset[str]] | None  # one per expected rep; None: only the count is known
    labelled_by: str = ""
    rep_times: list[float] | None = None  # each expected rep's deepest moment, s
    # The settings in force where it was recorded (a kept set's), over the defaults; None: the
    # settings ``station evaluate`` runs with.
    settings: dict[str, Any] | None = None
    # What a rendered recording varies (camera angle, body...): the summary is also given by each.
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CountedRep:
    """One rep the coach finished: its verdict, faults, and when it started and finished (s)."""

    verdict: str
    faults: tuple[str, ...]
    start: float
    end: float
    unseen: tuple[str, ...] = ()  # the checks the coach could not make (it abstained on them)


@dataclass(frozen=True)
class Result:
    """What the coach made of one recording: its reps, frames and bad lines."""

    recording: Recording
    reps: list[CountedRep]
    frames: int
    bad_lines: int

    @property
    def count_exact(self) -> bool:
        return len(self.reps) == self.recording.expected_reps


def _recording(folder: Path, item: Any) -> Recording:
    if not isinstance(item, dict):
        raise LabelError("each recording must be an object")
    try:
        name, file, reps = str(item["name"]), str(item["file"]), item["expected_reps"]
    except KeyError as exc:
        raise LabelError(f"a recording has no {exc.args[0]!r}") from None
    if isinstance(reps, bool) or not isinstance(reps, int) or reps < 0:
        raise LabelError(f"{name}: expected_reps must be a whole number >= 0")
    judged = frozenset(str(c) for c in item.get("judged", []))
    raw = item.get("rep_faults")
    rep_faults = None
    if raw is not None:
        if not isinstance(raw, list) or len(raw) != reps:
            raise LabelError(f"{name}: rep_faults must hold one list per expected rep ({reps})")
        rep_faults = [frozenset(str(c) for c in rep) for rep in raw]
        stray = set().union(*rep_faults) - judged if rep_faults else set()
        if stray:
            raise LabelError(f"{name}: rep_faults name {sorted(stray)}, which are not in judged")
    settings = item.get("settings")
    if settings is not None and not isinstance(settings, dict):
        raise LabelError(f"{name}: settings must be an object of setting names and values")
    tags = item.get("tags") or {}
    if not isinstance(tags, dict):
        raise LabelError(f"{name}: tags must be an object of names and values")
    return Recording(name, folder / file, str(item.get("movement", "")), reps, judged, rep_faults,
                     str(item.get("labelled_by", "")), _rep_times(name, item.get("rep_times"), reps),
                     settings, {str(k): str(v) for k, v in tags.items()})


def _rep_times(name: str, raw: Any, reps: int) -> list[float] | None:
    if raw is None:
        return None
    if (not isinstance(raw, list) or len(raw) != reps
            or not all(isinstance(t, int | float) and not isinstance(t, bool) for t in raw)):
        raise LabelError(f"{name}: rep_times must hold one time in seconds per expected rep ({reps})")
    return [float(t) for t in raw]


def load_labels(folder: Path) -> list[Recording]:
    """The recordings ``folder/labels.json`` lists, in its order; LabelError when it is unusable."""
    path = folder / LABELS
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise LabelError(f"{path}: {exc.strerror or exc}") from None
    except json.JSONDecodeError as exc:
        raise LabelError(f"{path}: not JSON ({exc.msg}, line {exc.lineno})") from None
    items = data.get("recordings") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise LabelError(f'{path}: must be an object with a "recordings" list')
    return [_recording(folder, item) for item in items]


def settings_for(recording: Recording, settings: Settings) -> Settings:
    """The settings to replay ``recording`` with: its own where it has them (a kept set carries
    those in force when it was kept), over ``settings``; LabelError when they are not valid."""
    if recording.settings is None:
        return settings
    try:
        return settings.changed_from(recording.settings)
    except (SettingsError, TypeError, ValueError) as exc:
        raise LabelError(f"{recording.name}: its settings are not valid ({exc})") from None


def run_recording(recording: Recording, settings: Settings) -> Result:
    """A fresh coach over one stream, with its dowel and wall contact as recorded (mostly none),
    and the recording's own settings where it has them."""
    settings = settings_for(recording, settings)
    reps: list[CountedRep] = []
    start = 0.0
    with recording.path.open(encoding="utf-8", errors="replace") as lines:
        stream = StreamFrames(read_stream(lines))
        for event in coach_over(stream, settings):
            if isinstance(event, RepStarted):
                start = event.t
            elif isinstance(event, RepFinished):
                faults = tuple(str(c) for c in event.faults)
                reps.append(CountedRep(str(event.verdict), faults, min(start, event.t), event.t,
                                       tuple(str(c) for c in event.unseen)))
    return Result(recording, reps, stream.frames, stream.bad_lines)


@dataclass
class Score(FaultTally):
    """Counts over many recordings: exact sets, and per fault (:class:`FaultTally`) over the
    faults the labels judge."""

    sets: int = 0
    exact_sets: int = 0
    expected_reps: int = 0
    counted_reps: int = 0
    judged: set[str] = field(default_factory=set)
    # Of the coach's reps paired with a labelled one: those where it abstained on a check, those
    # it judged in full, and of those the ones whose faults differ from the labels'.
    abstained: int = 0
    judged_in_full: int = 0
    wrong_in_full: int = 0
    unseen: Counter[str] = field(default_factory=Counter)  # abstentions by check

    def add(self, result: Result) -> None:
        rec = result.recording
        self.sets += 1
        self.exact_sets += result.count_exact
        self.expected_reps += rec.expected_reps
        self.counted_reps += len(result.reps)
        self.judged |= rec.judged
        for rep in result.reps:
            self.unseen.update(rep.unseen)
        if rec.rep_faults is None:
            return
        pairs = pair_reps(rec, result.reps)
        for i, truth in enumerate(rec.rep_faults):
            if i not in pairs:
                self.missed(truth)
        paired = set(pairs.values())
        for j, rep in enumerate(result.reps):
            if j not in paired:
                self.unpaired(frozenset(rep.faults) & rec.judged)
        for i, j in pairs.items():
            truth, rep = rec.rep_faults[i], result.reps[j]
            named = frozenset(rep.faults) & rec.judged
            self.paired(truth, named, rep.verdict)
            if rep.unseen:
                self.abstained += 1
            else:
                self.judged_in_full += 1
                self.wrong_in_full += named != truth


def pair_reps(recording: Recording, reps: list[CountedRep]) -> dict[int, int]:
    """Labelled rep index -> the coach's rep index, for the pairs that meet (see the module doc)."""
    times = recording.rep_times
    if times is None:
        return dict(enumerate(range(len(reps)))) if len(reps) == recording.expected_reps else {}
    pairs: dict[int, int] = {}
    for i, t in enumerate(times):
        j = next((j for j, rep in enumerate(reps) if j not in pairs.values()
                  and rep.start - SLACK_S <= t <= rep.end + SLACK_S), None)
        if j is not None:
            pairs[i] = j
    return pairs


@contextmanager
def unpacked(path: Path) -> Iterator[Path]:
    """The folder to read: ``path`` itself, or a zip's contents (a station's ``Export labelled
    sets``) in a temporary folder, removed afterwards."""
    if not path.is_file():
        yield path  # a folder (or nothing there: load_labels says so)
        return
    try:
        with zipfile.ZipFile(path) as zf:
            if sum(info.file_size for info in zf.infolist()) > MAX_UNZIPPED:
                raise LabelError(f"{path}: unpacks to more than {MAX_UNZIPPED >> 20} MB")
            with tempfile.TemporaryDirectory(prefix="station-evaluate-") as tmp:
                zf.extractall(tmp)  # names with .. or a leading / are kept inside tmp
                inner = Path(tmp)
                if not (inner / LABELS).exists():  # a zip of the folder itself
                    found = sorted(inner.glob(f"*/{LABELS}"))
                    inner = found[0].parent if len(found) == 1 else inner
                yield inner
    except zipfile.BadZipFile:
        raise LabelError(f"{path}: neither a folder nor a zip file") from None


def evaluate(folder: Path, settings: Settings | None = None) -> tuple[list[Result], Score]:
    """Every recording of ``folder`` (or of a zip of one) through a fresh coach, and the score."""
    settings = settings or Settings()
    with unpacked(folder) as where:
        results = [run_recording(rec, settings) for rec in load_labels(where)]
    return results, score_of(results)


def score_of(results: list[Result]) -> Score:
    score = Score()
    for result in results:
        score.add(result)
    return score


def by_tag(results: list[Result]) -> dict[str, dict[str, Score]]:
    """The score of the recordings that share each value of each tag (camera angle, body...)."""
    groups: dict[str, dict[str, list[Result]]] = {}
    for result in results:
        for key, value in result.recording.tags.items():
            groups.setdefault(key, {}).setdefault(value, []).append(result)
    return {key: {value: score_of(rs) for value, rs in sorted(values.items())}
            for key, values in sorted(groups.items())}


def _tally(faults: list[tuple[str, ...]] | list[frozenset[str]]) -> dict[str, int]:
    return dict(sorted(Counter(c for rep in faults for c in rep).items()))


def result_dict(result: Result) -> dict[str, Any]:
    """One recording's row, as ``--json`` prints it."""
    rec = result.recording
    return {"name": rec.name, "movement": rec.movement, "labelled_by": rec.labelled_by,
            "expected_reps": rec.expected_reps, "counted_reps": len(result.reps),
            "count_exact": result.count_exact, "judged": sorted(rec.judged),
            "expected_faults": None if rec.rep_faults is None else _tally(rec.rep_faults),
            "counted_faults": _tally([rep.faults for rep in result.reps]),
            "good": sum(rep.verdict == Verdict.GOOD for rep in result.reps),
            "unjudged": sum(rep.verdict == Verdict.UNJUDGED for rep in result.reps),
            "unseen": _tally([rep.unseen for rep in result.reps]),
            "tags": rec.tags,
            "paired_reps": None if rec.rep_faults is None else len(pair_reps(rec, result.reps)),
            "frames": result.frames, "bad_lines": result.bad_lines}


def summary_dict(score: Score) -> dict[str, Any]:
    """The summary, as ``--json`` prints it (precision and recall null where nothing was there)."""
    faults = {code: {"precision": _round(score.precision(code)), "recall": _round(score.recall(code)),
                     "tp": score.tp[code], "fp": score.fp[code], "fn": score.fn[code]}
              for code in sorted(score.judged)}
    paired = score.abstained + score.judged_in_full
    return {"sets": score.sets, "count_exact": score.exact_sets, "expected_reps": score.expected_reps,
            "counted_reps": score.counted_reps, "spine_fault_reps_judged_good": score.spine_judged_good,
            "paired_reps": paired, "abstained_reps": score.abstained,
            "abstain_rate": _round(score.abstained / paired if paired else None),
            "unseen": dict(sorted(score.unseen.items())),
            "judged_in_full": score.judged_in_full, "wrong_in_full": score.wrong_in_full,
            "wrong_rate_in_full": _round(score.wrong_in_full / score.judged_in_full
                                         if score.judged_in_full else None),
            "faults": faults}


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def _faults_text(faults: dict[str, int] | None) -> str:
    if faults is None:
        return "not labelled"
    return ", ".join(f"{k} {v}" for k, v in faults.items()) or "none"


def _paired(row: dict[str, Any]) -> str:
    if row["paired_reps"] is None:
        return ""
    return f"  (reps paired with the coach's: {row['paired_reps']} of {row['expected_reps']})"


def print_text(results: list[Result], score: Score, out: TextIO) -> None:
    """A block per recording, then the summary."""
    for result in results:
        row = result_dict(result)
        mark = "ok" if row["count_exact"] else "WRONG COUNT"
        out.write(f"{row['name']}  ({row['movement']}; labels: {row['labelled_by']})\n"
                  f"  reps     expected {row['expected_reps']:3d}  counted {row['counted_reps']:3d}  {mark}"
                  f"  ({row['good']} good, {row['unjudged']} not judged, {row['frames']} frames)\n"
                  f"  faults   expected: {_faults_text(row['expected_faults'])}{_paired(row)}\n"
                  f"           counted:  {_faults_text(row['counted_faults'])}"
                  f"  (judged here: {', '.join(row['judged']) or 'none'})\n")
    out.write("\n")
    _summary_text(summary_dict(score), out)
    for key, values in by_tag(results).items():
        for value, part in values.items():
            out.write(f"\n-- {key} = {value}\n")
            _summary_text(summary_dict(part), out)


def _pct(rate: float | None) -> str:
    return "-" if rate is None else f"{100 * rate:.0f} %"


def _summary_text(s: dict[str, Any], out: TextIO) -> None:
    unseen = ", ".join(f"{k} {v}" for k, v in s["unseen"].items()) or "none"
    out.write(f"rep count exact in {s['count_exact']} of {s['sets']} sets "
              f"({s['counted_reps']} reps counted, {s['expected_reps']} expected)\n"
              f"reps with a spine fault judged good: {s['spine_fault_reps_judged_good']}\n"
              f"abstained on {s['abstained_reps']} of {s['paired_reps']} paired reps "
              f"({_pct(s['abstain_rate'])}; checks not made: {unseen}); judged in full "
              f"{s['judged_in_full']}, wrong {s['wrong_in_full']} ({_pct(s['wrong_rate_in_full'])})\n"
              f"{'fault':22s} {'precision':>9s} {'recall':>7s} {'tp':>4s} {'fp':>4s} {'fn':>4s}\n")
    for code, f in s["faults"].items():
        p = "-" if f["precision"] is None else f"{f['precision']:.3f}"
        r = "-" if f["recall"] is None else f"{f['recall']:.3f}"
        out.write(f"{code:22s} {p:>9s} {r:>7s} {f['tp']:4d} {f['fp']:4d} {f['fn']:4d}\n")


def run(folder: Path, out: TextIO, err: TextIO, as_json: bool = False,
        settings: Settings | None = None) -> int:
    """``station evaluate``: 0 when it reported (it is not a gate), 1 when the labels or a stream
    cannot be read."""
    try:
        results, score = evaluate(folder, settings)
    except LabelError as exc:
        print(f"error: {exc}", file=err)
        return 1
    except OSError as exc:
        print(f"error: {exc.filename}: {exc.strerror or exc}", file=err)
        return 1
    if as_json:
        for result in results:
            out.write(json.dumps({"event": "recording", **result_dict(result)}) + "\n")
        groups = {key: {value: summary_dict(part) for value, part in values.items()}
                  for key, values in by_tag(results).items()}
        out.write(json.dumps({"event": "summary", **summary_dict(score), "by_tag": groups}) + "\n")
    else:
        print_text(results, score, out)
    return 0
