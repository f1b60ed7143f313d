#!/usr/bin/env python3
"""Known vulnerabilities in the dependency locks (``requirements/*.txt``), by pip-audit, in ``make test``.

Every pinned version in every lock is audited, whatever its environment marker says (a universal lock
pins some packages only for other Pythons or platforms, and pip-audit would skip those lines): the
pins are handed to pip-audit marker-free (``-r FILE --disable-pip --no-deps -s osv -f json``). Exit 1
when a pinned version has a known vulnerability that a newer release fixes (package, version,
advisory, fixed versions, which locks); one that nothing fixes yet is printed as a warning only::

    .venv/bin/python tools/audit.py                         # every lock in requirements/
    .venv/bin/python tools/audit.py requirements/dev.txt    # only these
    .venv/bin/python tools/audit.py --offline               # the snapshot even when OSV answers
    .venv/bin/python tools/audit.py --refresh ~/src/advisory-database [--refresh ~/src/github-ads]

Where the advisories come from is printed first, loudly. The OSV API (api.osv.dev) when a short
probe reaches it; otherwise (this project's machines and CI reach only the package registries) the
committed snapshot ``requirements/advisories.json``, served to pip-audit by an OSV-compatible
``/v1/query`` endpoint on 127.0.0.1 for the length of the run (``--osv-url``). The snapshot holds
the OSV records of every package named in any lock, taken from checkouts of the PyPA advisory
database (https://github.com/pypa/advisory-database, CC-BY-4.0) and, when given one, the GitHub
Advisory Database (https://github.com/github/advisory-database, CC-BY-4.0; its PyPI records). A
snapshot whose data is older than 90 days is warned about: refresh it on a networked machine, after
``make lock``, with ``--refresh`` (each checkout's commit and date are recorded in it).

A vulnerability that a lock cannot take the fix of is accepted in ``ACCEPTED`` below, for that lock
only and with its reason; it is printed on every run.

Exit status: 0 nothing fixable, 1 a vulnerability with a fix, 2 the audit itself failed.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import importlib
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import urllib.request
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

ROOT = Path(__file__).resolve().parent.parent
LOCKS = ROOT / "requirements"
SNAPSHOT = LOCKS / "advisories.json"
OSV_API = "https://api.osv.dev/v1/query"
PROBE_TIMEOUT = 3.0  # seconds for the live OSV probe
RUN_TIMEOUT = 300  # seconds for pip-audit (each request has 15)
MAX_AGE_DAYS = 90  # an older snapshot is warned about
# Known vulnerabilities accepted in one lock (its file name) with the reason: printed on every run, never
# failing it. Keep this short; an entry that matches nothing any more is reported, to be removed.
ACCEPTED: dict[tuple[str, str], str] = {
    ("mediapipe.txt", "PYSEC-2026-1805"): (
        "mediapipe 0.10.14 requires protobuf<5 and no 4.x release is fixed (5.29.6, 6.33.5); that "
        "environment only runs benchmarks/mediapipe_compare.py on the project's own photos (no untrusted "
        "JSON parsed)"),
}
# The probe's query: any OSV answer (a JSON object) to it will do.
PROBE_QUERY = {"package": {"name": "jinja2", "ecosystem": "PyPI"}, "version": "2.10"}

# A requirement line of a lock: ``name[extras]==version [; marker] [\]`` (continuation lines, the
# ``--hash`` ones, are indented; comments and options start with ``#`` and ``-``).
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9_.\-]*)(?:\[[^\]]*\])?\s*==\s*([^\s;\\]+)\s*(?:;[^\\]*)?\\?\s*$")


# --- the locks ------------------------------------------------------------------------------------


def read_pins(path: Path) -> list[tuple[str, str]]:
    """``[(canonical name, version)]`` of every pin in a lock, whatever its marker.

    A top-level line that is not a pin (``name @ url``, ``name>=1``) is an error: it would go
    unaudited.
    """
    pins: list[tuple[str, str]] = []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip() or line[0].isspace() or line.startswith(("#", "-")):
            continue
        m = _PIN.match(line)
        if m is None:
            raise ValueError(f"{path}:{number}: not a pinned requirement (name==version): {line.strip()}")
        pins.append((canonicalize_name(m[1]), m[2]))
    return pins


def layers(pins: Iterable[tuple[str, str]]) -> list[list[tuple[str, str]]]:
    """The pins in as few groups as hold each package once (pip-audit refuses one name twice).

    >>> layers([("a", "1"), ("b", "2"), ("a", "0.9"), ("a", "1")])
    [[('a', '0.9'), ('b', '2')], [('a', '1')]]
    """
    versions: dict[str, set[str]] = {}
    for name, version in pins:
        versions.setdefault(name, set()).add(version)
    out: list[list[tuple[str, str]]] = []
    for name in sorted(versions):
        for i, version in enumerate(sorted(versions[name], key=_sort_key)):
            if i == len(out):
                out.append([])
            out[i].append((name, version))
    return out


def _sort_key(version: str) -> tuple[int, Version | str]:
    try:
        return (0, Version(version))
    except InvalidVersion:
        return (1, version)


def _version(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


# --- OSV matching ---------------------------------------------------------------------------------


def in_range(version: Version, events: list[dict[str, str]]) -> bool:
    """Whether ``version`` falls in one OSV ``ECOSYSTEM`` range (its ``events``), as OSV evaluates it.

    The events in version order: ``introduced`` (``"0"``: every version) turns affected on,
    ``fixed`` turns it off from that version, ``last_affected`` from just after it.

    >>> v = Version
    >>> events = [{"introduced": "0"}, {"fixed": "2.3.8"}, {"introduced": "3.0.0"}, {"fixed": "3.0.1"}]
    >>> [in_range(v(x), events) for x in ("2.2.2", "2.3.8", "3.0.0", "3.0.1")]
    [True, False, True, False]
    >>> in_range(v("4.1.1.26"), [{"introduced": "0"}, {"last_affected": "4.1.1.26"}])
    True
    """
    timeline: list[tuple[Version, int, str]] = []
    for order, event in enumerate(events):
        for kind in ("introduced", "fixed", "last_affected"):
            if kind in event:
                at = Version("0") if event[kind] == "0" else _version(event[kind])
                if at is not None:  # an unreadable version (none in PyPA's data) is left out
                    timeline.append((at, order, kind))
    affected = False
    for at, _, kind in sorted(timeline):
        if kind == "introduced" and version >= at:
            affected = True
        elif (kind == "fixed" and version >= at) or (kind == "last_affected" and version > at):
            affected = False
    return affected


def entry_affects(entry: dict[str, Any], version: Version) -> bool:
    """Whether one ``affected[]`` entry covers ``version``: listed in ``versions`` or in an
    ``ECOSYSTEM`` range (``GIT`` ranges name commits, not releases, and are not read)."""
    if any(_version(listed) == version for listed in entry.get("versions", [])):
        return True
    return any(r.get("type") == "ECOSYSTEM" and in_range(version, r.get("events", []))
               for r in entry.get("ranges", []))


def fixed_versions(record: dict[str, Any], name: str) -> list[Version]:
    """Every ``fixed`` version an OSV record gives for ``name`` (all its entries and ranges)."""
    found = {v for entry in record.get("affected", [])
             if canonicalize_name(entry.get("package", {}).get("name", "")) == name
             for r in entry.get("ranges", []) if r.get("type") == "ECOSYSTEM"
             for event in r.get("events", []) if "fixed" in event
             if (v := _version(event["fixed"])) is not None}
    return sorted(found)


# --- the snapshot and its server ------------------------------------------------------------------


@dataclass
class Snapshot:
    """The committed advisories: OSV records, their sources and the package names searched."""

    path: Path
    data: dict[str, Any]
    _index: dict[str, list[dict[str, Any]]] = field(default_factory=dict, repr=False)

    @classmethod
    def load(cls, path: Path) -> Snapshot:
        data = json.loads(path.read_text())
        snapshot = cls(path, data)
        for record in data["records"]:
            names = {canonicalize_name(e["package"]["name"]) for e in record.get("affected", [])
                     if e.get("package", {}).get("ecosystem") == "PyPI"}
            for name in names:
                snapshot._index.setdefault(name, []).append(record)
        return snapshot

    @property
    def date(self) -> dt.datetime:
        """When its data was taken: the oldest of its sources' dates."""
        return _parse_date(self.data["date"])

    @property
    def packages(self) -> set[str]:
        """The package names its sources were searched for."""
        return set(self.data.get("packages", []))

    def describe(self) -> str:
        sources = "; ".join(f"{s['name']} @ {(s.get('commit') or 'no commit')[:12]}, {s['date'][:10]}"
                            for s in self.data.get("sources", []))
        return f"{_shown(self.path)}, {len(self.data['records'])} records ({sources})"

    def query(self, name: str, version: str) -> list[dict[str, Any]]:
        """The records affecting ``name`` at ``version`` (OSV ``/v1/query``), withdrawn ones left out."""
        wanted = _version(version)
        if wanted is None:
            return []
        name = canonicalize_name(name)
        return [record for record in self._index.get(name, []) if not record.get("withdrawn")
                and any(canonicalize_name(e["package"]["name"]) == name and entry_affects(e, wanted)
                        for e in record.get("affected", [])
                        if e.get("package", {}).get("ecosystem") == "PyPI")]

    def record(self, ids: Iterable[str]) -> dict[str, Any] | None:
        wanted = set(ids)
        for record in self.data["records"]:
            if record["id"] in wanted:
                return record
        return None


def _handler(snapshot: Snapshot) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        """OSV's ``POST /v1/query`` for ``{"package": {"name", "ecosystem": "PyPI"}, "version"}``:
        ``{"vulns": [records]}``, or ``{}`` when none (as OSV answers). No paging: every match at once."""

        def do_POST(self) -> None:
            if self.path.rstrip("/") != "/v1/query":
                self._send(404, {"code": 5, "message": "only /v1/query is served"})
                return
            try:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                package, version = body["package"], body["version"]
                if package.get("ecosystem", "PyPI") != "PyPI":
                    raise ValueError("only the PyPI ecosystem is served")
                vulns = snapshot.query(package["name"], str(version))
            except (ValueError, KeyError, TypeError, AttributeError) as error:
                self._send(400, {"code": 3, "message": f"bad query: {error}"})
                return
            self._send(200, {"vulns": vulns} if vulns else {})

        def _send(self, status: int, payload: dict[str, Any]) -> None:
            body = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet: pip-audit's answers are what the audit prints

    return Handler


@contextlib.contextmanager
def serve(snapshot: Snapshot) -> Iterator[str]:
    """An OSV-compatible endpoint for ``snapshot`` on 127.0.0.1 (a free port), yielding its
    ``/v1/query`` URL; stopped on leaving."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(snapshot))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="osv-snapshot", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1/query"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def probe_osv(url: str = OSV_API, timeout: float = PROBE_TIMEOUT) -> str | None:
    """None when the OSV API answers a query with OSV's JSON within ``timeout``; else why not.

    The request runs in a thread so a resolver that hangs costs no more than the timeout.
    """
    outcome: list[str | None] = []

    def ask() -> None:
        request = urllib.request.Request(url, data=json.dumps(PROBE_QUERY).encode(),
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                answer = json.loads(response.read())
            ok = isinstance(answer, dict) and isinstance(answer.get("vulns", []), list)
            outcome.append(None if ok else "it answered something that is not OSV's JSON")
        except (OSError, ValueError) as error:  # URLError, timeouts and refusals are OSErrors
            outcome.append(str(getattr(error, "reason", error)))

    thread = threading.Thread(target=ask, daemon=True)
    thread.start()
    thread.join(timeout + 0.5)
    return outcome[0] if outcome else f"no answer in {timeout:g} s"


# --- pip-audit ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    name: str
    version: str
    id: str
    aliases: tuple[str, ...]
    fixes: tuple[str, ...]  # fixed versions newer than the pinned one: empty, no fix to take
    description: str


def run_pip_audit(groups: list[list[tuple[str, str]]], osv_url: str, work: Path) -> list[dict[str, Any]]:
    """pip-audit's JSON ``dependencies`` for every pin in ``groups`` (one run per group, side by side)."""
    env = dict(os.environ)
    for key in ("NO_PROXY", "no_proxy"):  # the local endpoint is never reached through a proxy
        env[key] = ",".join(filter(None, [env.get(key), "127.0.0.1", "localhost"]))
    runs = []
    for i, group in enumerate(groups):
        requirements = work / f"pins-{i}.txt"
        requirements.write_text("".join(f"{name}=={version}\n" for name, version in group))
        cmd = [sys.executable, "-m", "pip_audit", "-r", str(requirements), "--disable-pip", "--no-deps",
               "-s", "osv", "-f", "json", "--aliases", "on", "--desc", "on", "--progress-spinner", "off",
               "--cache-dir", str(work / "cache"), "--timeout", "15", "--osv-url", osv_url]
        runs.append(subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     env=env, cwd=work))
    dependencies: list[dict[str, Any]] = []
    for run in runs:
        try:
            out, err = run.communicate(timeout=RUN_TIMEOUT)
        except subprocess.TimeoutExpired:
            for other in runs:
                other.kill()
            raise RuntimeError(f"pip-audit took over {RUN_TIMEOUT} s") from None
        try:
            report = json.loads(out)
            dependencies += report["dependencies"]
        except (ValueError, KeyError, TypeError):
            why = err.strip() or out.strip()
            raise RuntimeError(f"pip-audit failed (exit {run.returncode}): {why}") from None
    return dependencies


def findings(dependencies: list[dict[str, Any]], snapshot: Snapshot | None) -> list[Finding]:
    """The vulnerabilities pip-audit reported, each with the fixed versions newer than the pin.

    pip-audit reads fixes only from the first ECOSYSTEM range of the last matching ``affected``
    entry of a record; where the snapshot has the record, its every ``fixed`` version is added.
    """
    out = []
    for dep in dependencies:
        name, pinned = canonicalize_name(dep["name"]), Version(dep["version"])
        for vuln in dep.get("vulns", []):
            fixes = {Version(v) for v in vuln.get("fix_versions", [])}
            record = snapshot.record([vuln["id"], *vuln.get("aliases", [])]) if snapshot else None
            if record is not None:
                fixes.update(fixed_versions(record, name))
            out.append(Finding(name, dep["version"], vuln["id"], tuple(sorted(vuln.get("aliases", []))),
                               tuple(str(v) for v in sorted(fixes) if v > pinned),
                               " ".join(str(vuln.get("description", "")).split())))
    return out


# --- refreshing the snapshot ----------------------------------------------------------------------


def _parse_date(text: str) -> dt.datetime:
    when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def _plain(value: Any) -> Any:
    """YAML's timestamps as OSV's RFC 3339 strings."""
    if isinstance(value, dt.datetime):
        when = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return when.isoformat().replace("+00:00", "Z")
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _git(path: Path, *args: str) -> str | None:
    done = subprocess.run(["git", "-C", str(path), *args], capture_output=True, text=True)
    return done.stdout.strip() if done.returncode == 0 and done.stdout.strip() else None


def slim(record: dict[str, Any], names: set[str]) -> dict[str, Any] | None:
    """The parts of an OSV record the audit needs, for the packages in ``names`` only (None: none)."""
    if record.get("withdrawn"):
        return None
    affected = []
    for entry in record.get("affected", []):
        package = entry.get("package", {})
        name = canonicalize_name(package.get("name", ""))
        if package.get("ecosystem") != "PyPI" or name not in names:
            continue
        kept: dict[str, Any] = {"package": {"ecosystem": "PyPI", "name": name}}
        ranges = [{"type": "ECOSYSTEM", "events": r.get("events", [])} for r in entry.get("ranges", [])
                  if r.get("type") == "ECOSYSTEM"]
        if ranges:
            kept["ranges"] = ranges
        if entry.get("versions"):
            kept["versions"] = entry["versions"]
        affected.append(kept)
    if not affected:
        return None
    summary = record.get("summary") or " ".join(str(record.get("details", "")).split())
    if len(summary) > 240:
        summary = summary[:239].rsplit(" ", 1)[0] + "…"
    out = {"id": record["id"], "aliases": record.get("aliases", []), "summary": summary,
           "modified": record.get("modified"), "published": record.get("published"), "affected": affected}
    return {k: v for k, v in out.items() if v not in (None, [], "")}


def read_database(path: Path, names: set[str]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """One advisory database checkout: (its source description, its records for ``names``).

    The PyPA database is YAML under ``vulns/``; GitHub's is OSV JSON under
    ``advisories/github-reviewed/`` (the unreviewed ones carry no package ranges).
    """
    reviewed = path / "advisories" / "github-reviewed"
    if reviewed.is_dir():
        label, files = "GitHub Advisory Database (reviewed)", reviewed.rglob("*.json")
        default_url = "https://github.com/github/advisory-database"
    else:
        root = path / "vulns" if (path / "vulns").is_dir() else path
        label, default_url = "PyPA advisory database", "https://github.com/pypa/advisory-database"
        files = (p for p in root.rglob("*") if p.suffix in (".yaml", ".yml", ".json"))
    yaml = importlib.import_module("yaml")  # PyYAML: in the dev lock; needed only here
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    records, newest = [], ""
    for file in sorted(files):
        text = file.read_text(encoding="utf-8")
        raw = json.loads(text) if file.suffix == ".json" else yaml.load(text, Loader=loader)
        if not isinstance(raw, dict) or "id" not in raw:
            continue
        raw = _plain(raw)
        newest = max(newest, str(raw.get("modified", "")))
        if (kept := slim(raw, names)) is not None:
            records.append(kept)
    top = _git(path, "rev-parse", "--show-toplevel")
    git = top is not None and Path(top).resolve() == path.resolve()  # a checkout, not a folder inside one
    url = _git(path, "remote", "get-url", "origin") if git else None
    source = {"name": label, "url": url if url and url.startswith("https://") else default_url,
              "commit": _git(path, "rev-parse", "HEAD") if git else None, "license": "CC-BY-4.0",
              # the commit's date, or (no git) the newest record's
              "date": (_git(path, "log", "-1", "--format=%cI") if git else None) or newest,
              "records": len(records)}
    return source, records


def write_snapshot(out: Path, sources: list[dict[str, Any]], records: list[dict[str, Any]],
                   names: set[str]) -> None:
    """The snapshot file: its header pretty-printed, then one record a line (readable diffs)."""
    by_id: dict[str, dict[str, Any]] = {}
    for record in records:  # one id in two sources: the newer record
        seen = by_id.get(record["id"])
        if seen is None or str(record.get("modified", "")) > str(seen.get("modified", "")):
            by_id[record["id"]] = record
    dates = [_parse_date(s["date"]) for s in sources if s["date"]]
    header = {
        "about": "OSV advisories for every package in requirements/*.txt, served by tools/audit.py when "
                 "the OSV API cannot be reached. Made by `tools/audit.py --refresh`; do not edit by hand. "
                 "Data CC-BY-4.0 from the sources below.",
        "date": min(dates).isoformat() if dates else dt.datetime.now(dt.UTC).isoformat(),
        "sources": sources,
        "packages": sorted(names),
    }
    head = json.dumps(header, indent=1, ensure_ascii=False)[:-2]  # drop the closing "\n}"
    lines = [json.dumps(r, ensure_ascii=False)
             for r in sorted(by_id.values(), key=lambda r: (r["affected"][0]["package"]["name"], r["id"]))]
    out.write_text(head + ',\n "records": [\n' + ",\n".join(lines) + "\n ]\n}\n", encoding="utf-8")


def refresh(paths: list[Path], locks: list[Path], out: Path) -> int:
    names = {name for lock in locks for name, _ in read_pins(lock)}
    sources, records = [], []
    for path in paths:
        if not path.is_dir():
            print(f"error: {path} is not a directory (a checkout of an advisory database)", file=sys.stderr)
            return 2
        source, found = read_database(path, names)
        sources.append(source)
        records += found
        print(f"refresh: {source['name']} @ {(source['commit'] or 'no commit')[:12]} ({source['date']}): "
              f"{len(found)} records")
    write_snapshot(out, sources, records, names)
    data = json.loads(out.read_text())
    covered = {e["package"]["name"] for r in data["records"] for e in r["affected"]}
    print(f"refresh: {len(data['records'])} records for {len(covered)} packages (of {len(names)} in "
          f"{len(locks)} locks) -> {_shown(out)} ({out.stat().st_size // 1024} KiB)")
    return 0


# --- the audit ------------------------------------------------------------------------------------


def _shown(path: Path) -> str:
    with contextlib.suppress(ValueError):
        return str(path.resolve().relative_to(ROOT))
    return str(path)


def audit(locks: list[Path], snapshot_path: Path, offline: bool,
          accepted: dict[tuple[str, str], str] | None = None) -> int:
    accepted = ACCEPTED if accepted is None else accepted
    pins: dict[tuple[str, str], list[str]] = {}
    for lock in locks:
        for pin in read_pins(lock):
            if _shown(lock) not in pins.setdefault(pin, []):
                pins[pin].append(_shown(lock))
    snapshot = Snapshot.load(snapshot_path) if snapshot_path.is_file() else None
    why = "--offline" if offline else probe_osv()
    if why is not None and snapshot is None:
        print(f"error: the OSV API cannot be reached ({why}) and there is no snapshot at "
              f"{_shown(snapshot_path)}", file=sys.stderr)
        return 2
    groups = layers(pins)
    with tempfile.TemporaryDirectory(prefix="audit-") as tmp, contextlib.ExitStack() as stack:
        dependencies: list[dict[str, Any]] | None = None
        if why is None:
            print(f"audit: SOURCE: the OSV API, live ({OSV_API})")
            source = "the OSV API (live)"
            try:
                dependencies = run_pip_audit(groups, OSV_API, Path(tmp))
            except RuntimeError as error:
                if snapshot is None:
                    print(f"error: {error}", file=sys.stderr)
                    return 2
                why = f"the live run failed: {error}"
                print(f"audit: WARNING: {why}; falling back to the snapshot")
        if dependencies is None:
            assert snapshot is not None and why is not None
            url, source = stack.enter_context(serve(snapshot)), _snapshot_banner(snapshot, why)
            try:
                dependencies = run_pip_audit(groups, url, Path(tmp))
            except RuntimeError as error:
                print(f"error: {error}", file=sys.stderr)
                return 2
    audited = {(canonicalize_name(d["name"]), d["version"]) for d in dependencies if "version" in d}
    missed = sorted(f"{n}=={v}" for n, v in pins if (n, _normal(v)) not in audited and (n, v) not in audited)
    if missed:  # pip-audit skipped something: never pass an audit that did not look
        skipped = [f"{d['name']}: {d['skip_reason']}" for d in dependencies if "skip_reason" in d]
        print(f"error: pip-audit did not audit {', '.join(missed)}" + "".join(f"\n  {s}" for s in skipped),
              file=sys.stderr)
        return 2
    if source.startswith("the snapshot") and snapshot is not None:
        uncovered = sorted({n for n, _ in pins} - snapshot.packages)
        if uncovered:
            print(f"audit: WARNING: the snapshot was not searched for {', '.join(uncovered)} (new in a "
                  "lock since it was made): these are unaudited; refresh it (--refresh)")
    fixable: list[tuple[Finding, list[str]]] = []
    unfixed, used = 0, set()
    for f in findings(dependencies, snapshot):
        in_locks = _locks_of(pins, f)
        if not f.fixes:
            unfixed += 1
            print(f"audit: warning: {f.name} {f.version}: {_ids(f)} has no fixed version newer than the pin "
                  f"(locks: {', '.join(in_locks)}): {f.description[:160]}")
            continue
        failing: list[str] = []
        for shown in in_locks:
            key = next((k for i in (f.id, *f.aliases) if (k := (Path(shown).name, i)) in accepted), None)
            if key is None:
                failing.append(shown)
            else:
                used.add(key)
                print(f"audit: accepted: {f.name} {f.version}: {_ids(f)}, fixed in {', '.join(f.fixes)}, "
                      f"in {shown}: {accepted[key]}")
        if failing:
            fixable.append((f, failing))
    for f, in_locks in fixable:
        print(f"VULNERABLE: {f.name} {f.version}: {_ids(f)}, fixed in {', '.join(f.fixes)} "
              f"(locks: {', '.join(in_locks)})\n    {f.description[:200]}")
    for lock_name, vuln in sorted(accepted.keys() - used):
        if any(Path(lock).name == lock_name for lock in locks):
            print(f"audit: note: the accepted {vuln} in {lock_name} no longer applies: remove it from "
                  "ACCEPTED")
    names = {n for n, _ in pins}
    summary = (f"{_n(len(locks), 'lock')}, {_n(len(pins), 'pinned version')} of "
               f"{_n(len(names), 'package')} audited against {source}")
    if fixable:
        print(f"audit: FAILED: {_n(len(fixable), 'known vulnerability', 'known vulnerabilities')} with a fix "
              f"({', '.join(sorted({f'{f.name} {f.version}' for f, _ in fixable}))}); {summary}. "
              "Upgrade them (make lock ARGS=--upgrade), then make test.")
        return 1
    print(f"audit: ok: {summary}; no known vulnerability with a fix"
          + (f" ({unfixed} without one, warned above)" if unfixed else "")
          + (f" ({len(used)} accepted, above)" if used else ""))
    return 0


def _snapshot_banner(snapshot: Snapshot, why: str) -> str:
    age = (dt.datetime.now(dt.UTC) - snapshot.date).days
    print(f"audit: SOURCE: the committed SNAPSHOT {snapshot.describe()}, served on 127.0.0.1 "
          f"(the OSV API: {why})")
    print(f"audit: snapshot date {snapshot.date.date().isoformat()} ({age} days old)")
    if age > MAX_AGE_DAYS:
        print(f"audit: WARNING: the snapshot is {age} days old (over {MAX_AGE_DAYS}): advisories published "
              "since are not checked; refresh it on a networked machine (tools/audit.py --refresh)")
    return f"the snapshot of {snapshot.date.date().isoformat()}"


def _n(count: int, word: str, plural: str = "") -> str:
    return f"{count} {word if count == 1 else plural or word + 's'}"


def _normal(version: str) -> str:
    v = _version(version)
    return str(v) if v is not None else version


def _ids(f: Finding) -> str:
    return f.id + (f" ({', '.join(f.aliases)})" if f.aliases else "")


def _locks_of(pins: dict[tuple[str, str], list[str]], f: Finding) -> list[str]:
    return sorted({lock for (n, v), locks in pins.items() if n == f.name and _normal(v) == _normal(f.version)
                   for lock in locks})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("locks", nargs="*", type=Path, help="lock files (default: requirements/*.txt)")
    parser.add_argument("--offline", action="store_true", help="use the snapshot without probing OSV")
    parser.add_argument("--snapshot", type=Path, default=SNAPSHOT, help=f"default {_shown(SNAPSHOT)}")
    parser.add_argument("--refresh", type=Path, action="append", metavar="PATH",
                        help="rebuild the snapshot from this advisory database checkout (repeatable)")
    args = parser.parse_args(argv)
    locks = args.locks or sorted(LOCKS.glob("*.txt"))
    if not locks:
        parser.error(f"no locks in {_shown(LOCKS)}")
    try:
        if args.refresh:
            return refresh(args.refresh, locks, args.snapshot)
        return audit(locks, args.snapshot, args.offline)
    except (OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
