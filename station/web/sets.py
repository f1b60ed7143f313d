"""Staff pages for kept sets: the list, one set as a replay of its skeleton with each rep's verdict,
staff's labels per rep, and ``Export labelled sets`` (a zip ``station evaluate`` reads).

The pages read the rep log through their own :class:`~station.storage.kept_sets.KeptSets` connection,
never the loop's objects. Sets are kept only when staff turn on ``keep_sets`` (Settings, privacy).
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.blueprints import BlueprintSetupState
from flask.typing import ResponseReturnValue

from station.coach.faults import FAULTS, fault_words
from station.fleet.broker import station_name
from station.kept_sets.export import export
from station.storage.kept_sets import KeptSets, LabelProblem, unpacked_lines
from station.web.auth import login_required, staff_user
from station.web.downloads import file_chunks, heavy
from station.web.live import DRAWN, pose_points

if TYPE_CHECKING:
    from station.runtime.station import Station

sets = Blueprint("sets", __name__)
PER_PAGE = 25  # sets a list page shows: a busy day's sets, one screen or two
# The export is built in a temporary file; up to this much of it stays in memory.
SPOOL_BYTES = 8 * 2**20
# A replay is sent this many frames at a time (some 60 KB of JSON).
FRAMES_PER_PIECE = 300
COMPACT = (",", ":")  # JSON without spaces, as Flask's own JSON answers
# Set ids are SQLite integers: a larger number in the address is no set (not a 500).
MAX_ID = 2**63 - 1


@sets.record_once
def _open(state: BlueprintSetupState) -> None:
    station: Station = state.app.extensions["hinge_station"]
    state.app.extensions["hinge_kept_sets"] = KeptSets.of(station.store)


sets.add_app_template_filter(fault_words, "fault_words")


@sets.app_template_filter("localtime")
def localtime(t: float) -> str:
    """A Unix time as the station's local date and time, to the minute."""
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(t))


def _kept() -> KeptSets:
    return current_app.extensions["hinge_kept_sets"]


def _station() -> Station:
    return current_app.extensions["hinge_station"]


def _faults() -> list[dict[str, str]]:
    """Every fault code with staff's name for it, in the coach's order."""
    return [{"code": str(c), "name": f.words, "staff": f.staff} for c, f in FAULTS.items()]


@sets.get("/")
@login_required
def listing() -> ResponseReturnValue:
    kept = _kept()
    total = kept.count()
    pages = max(1, -(-total // PER_PAGE))
    page = min(max(1, request.args.get("page", 1, type=int) or 1), pages)
    station = _station()
    settings = station.settings
    shown = kept.page((page - 1) * PER_PAGE, PER_PAGE)
    cut = _cut_sets(kept, station, shown, page, pages)
    rows = sorted(shown + cut, key=lambda s: (s["t_start"], s["set_id"]), reverse=True)
    return render_template("sets.html", sets=rows, page=page, cut=len(cut),
                           pages=pages, total=total, keeping=settings.keep_sets,
                           days=settings.keep_sets_days, labelled=len(kept.labelled()))


def _cut_sets(kept: KeptSets, station: Station, shown: list[dict[str, Any]], page: int,
              pages: int) -> list[dict[str, Any]]:
    """The sets a stop cut short, among this page's kept sets by time (the first page has the
    newest, the last the oldest), so a gap in the set numbers is explained where it is."""
    snap = station.snapshot()
    under_way = snap.get("set_no") if snap.get("phase") not in (None, "away") else None
    before = shown[0]["t_start"] if shown and page > 1 else None
    since = shown[-1]["t_start"] if shown and page < pages else None
    return kept.cut(since=since, before=None if before is None else before + 1e-6, under_way=under_way)


def _found(kept: KeptSets, set_id: int) -> dict[str, Any]:
    """The kept set, or a 404 that says why it may be gone."""
    found = kept.get(set_id) if set_id <= MAX_ID else None
    if found is None:
        abort(404, description="no such kept set (it may have passed its retention)")
    return found


# How each verdict reads in staff's list of a set's reps.
VERDICT_WORDS = {"good": "good", "fault": "fault", "unjudged": "not judged (the camera could not see enough)"}


def _page(found: dict[str, Any], errors: dict[str, str]) -> str:
    return render_template("set.html", s=found, faults=_faults(), errors=errors,
                           verdict_words=VERDICT_WORDS)


@sets.get("/<int:set_id>")
@login_required
def one(set_id: int) -> ResponseReturnValue:
    return _page(_found(_kept(), set_id), {})


@sets.get("/<int:set_id>/poses.json")
@login_required
def poses(set_id: int) -> ResponseReturnValue:
    """The set's frames as the replay draws them: time, the near side's points, the dowel; sent
    as it is made, a few hundred frames at a time (a heavy download: web/downloads.py)."""
    def answer() -> Response:
        kept = _kept()
        found = _found(kept, set_id)
        packed = kept.packed(set_id) or b""  # compressed: about a fifth of the lines' text
        head = {"facing": found["facing"], "duration_s": found["duration_s"],
                "reps": [{**{k: r[k] for k in ("rep", "verdict", "faults", "start", "end")},
                          "fault_words": [fault_words(c) for c in r["faults"]]} for r in found["reps"]]}
        # The first pass here, before the answer starts: poses that do not read are a 503 page
        # (StoreError), not a cut-off 200.
        side = near_side(unpacked_lines(packed, set_id))
        return Response(replay_json(head, side, unpacked_lines(packed, set_id)), mimetype="application/json")

    return heavy(answer)


def replay_json(head: dict[str, Any], side: str, lines: Iterable[str]) -> Iterator[bytes]:
    """The replay's JSON object, ``head``'s keys and then ``frames`` drawn from ``side``
    (:func:`near_side`), in pieces of FRAMES_PER_PIECE frames as ``lines`` come.

        >>> b"".join(replay_json({"facing": None}, "left", ['{"t": 0.5}']))
        b'{"facing":null,"frames":[{"t":0.5,"pose":null,"dowel":null}]}'
    """
    yield json.dumps(head, separators=COMPACT)[:-1].encode() + (b',"frames":[' if head else b'"frames":[')
    piece: list[str] = []
    first = True
    for frame in replay_frames(lines, side):
        piece.append(json.dumps(frame, separators=COMPACT))
        if len(piece) == FRAMES_PER_PIECE:
            yield (b"" if first else b",") + ",".join(piece).encode()
            piece, first = [], False
    if piece:
        yield (b"" if first else b",") + ",".join(piece).encode()
    yield b"]}"


def near_side(lines: Iterable[str]) -> str:
    """The side seen best over the whole set, so the figure never flips side mid-set."""
    seen = {"left": 0.0, "right": 0.0}
    for line in lines:
        if line.strip():
            marks = json.loads(line).get("landmarks") or {}
            for side in seen:
                seen[side] += sum(marks.get(f"{side}_{n}", (0, 0, 0))[2] for n in DRAWN)
    return max(seen, key=lambda s: seen[s])


def replay_frames(lines: Iterable[str], side: str | None = None) -> Iterator[dict[str, Any]]:
    """Pose-stream lines as the member page's compact frames, one at a time, drawn from ``side``
    (None: :func:`near_side` of the lines, which must then be a list)."""
    if side is None:
        lines = list(lines)
        side = near_side(lines)
    for line in lines:
        if not line.strip():
            continue
        f = json.loads(line)
        marks, dowel = f.get("landmarks"), f.get("dowel")
        yield {"t": f["t"], "pose": pose_points(marks, side) if marks else None,
               "dowel": [round(v) for p in dowel for v in p] if dowel else None}


@sets.post("/<int:set_id>/labels")
@login_required
def labels(set_id: int) -> ResponseReturnValue:
    kept = _kept()
    found = _found(kept, set_id)
    given: dict[int, tuple[bool, list[str]]] = {}
    strike: dict[int, bool] = {}
    for rep in found["reps"]:
        n = rep["rep"]
        struck = request.form.get(f"struck-{n}") == "1"
        if struck != (rep["struck"] is not None):
            strike[n] = struck
        choice = request.form.get(f"verdict-{n}", "")
        faults = request.form.getlist(f"faults-{n}")
        if struck:
            continue  # no rep happened: nothing to judge
        if choice in ("right", "wrong"):
            given[n] = (choice == "right", faults)
    if not given and not strike:
        flash("Nothing saved: mark at least one rep's verdict right or wrong, or a rep as not a rep.",
              "error")
        return redirect(url_for("sets.one", set_id=set_id))
    by = staff_user() or "?"
    try:
        stored = kept.label(set_id, given, by) if given else 0
        for n, struck in strike.items():
            kept.strike(set_id, n, by, struck)
    except LabelProblem as exc:
        return _page(found, {"labels": str(exc)}), 422
    gone = sum(strike.values())
    flash(f"Labels saved for {stored} rep(s)" + (f"; {gone} struck out as not a rep." if gone else "."))
    return redirect(url_for("sets.one", set_id=set_id))


@sets.post("/<int:set_id>/missed")
@login_required
def add_missed(set_id: int) -> ResponseReturnValue:
    """A rep the station missed, at a moment of the replay, with its true faults."""
    kept = _kept()
    found = _found(kept, set_id)
    text = request.form.get("at", "").strip().replace(",", ".")  # a decimal comma is a decimal
    try:
        at = float(text)
    except ValueError:
        return _page(found, {"missed": "The moment must be a number of seconds, e.g. 12.5."}), 422
    try:
        kept.add_missed(set_id, at, request.form.getlist("faults"), staff_user() or "?")
    except LabelProblem as exc:
        return _page(found, {"missed": str(exc)}), 422
    flash(f"Added a rep the station missed, at {at:.1f} s.")
    return redirect(url_for("sets.one", set_id=set_id))


@sets.post("/<int:set_id>/missed/<int:label_id>/remove")
@login_required
def remove_missed(set_id: int, label_id: int) -> ResponseReturnValue:
    kept = _kept()
    _found(kept, set_id)
    if kept.remove_missed(set_id, label_id):
        flash("Removed the missed rep.")
    else:
        flash("That missed rep was already removed.", "error")
    return redirect(url_for("sets.one", set_id=set_id))


@sets.get("/export.zip")
@login_required
def export_zip() -> ResponseReturnValue:
    """Every fully labelled set: pose streams and labels.json, for ``station evaluate`` (a heavy
    download: web/downloads.py)."""
    def answer() -> Response:
        name = station_name(_station().settings.station_name)
        # Closed once the response is (a with-block would close it before it is sent).
        spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115
        try:
            count = export(_kept(), spool, name)
        except BaseException:
            spool.close()
            raise
        spool.seek(0)
        stamp = time.strftime("%Y%m%d-%H%M")
        headers = {"Content-Disposition": f"attachment; filename=hinge-sets-{name}-{stamp}.zip",
                   "X-Sets": str(count)}
        response = Response(file_chunks(spool), mimetype="application/zip", headers=headers)
        response.call_on_close(spool.close)
        return response

    return heavy(answer)
