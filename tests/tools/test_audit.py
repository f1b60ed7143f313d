"""tools/audit.py: pip-audit over every lock, against OSV or the committed snapshot of advisories.

Every test forces the snapshot (``--offline``, or a snapshot written here), so none needs the
network; pip-audit itself runs for real, against the snapshot's local OSV endpoint.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from packaging.version import Version

from tools import audit

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / "tools" / "audit.py"
FAKE_HASH = "    --hash=sha256:" + "0" * 64  # pip-audit reads pins, not files: hashes are not checked


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(TOOL), *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)


def lock(path: Path, *pins: str) -> Path:
    """A lock as uv writes it: each pin (with its marker) and a hash line, then a ``# via``."""
    path.write_text("# Lock \"test\"\n" + "".join(f"{pin} \\\n{FAKE_HASH}\n    # via test\n" for pin in pins))
    return path


def record(id: str, name: str, *, events: list[dict[str, str]] | None = None,
           versions: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {"package": {"ecosystem": "PyPI", "name": name}}
    if events is not None:
        entry["ranges"] = [{"type": "ECOSYSTEM", "events": events}]
    if versions is not None:
        entry["versions"] = versions
    return {"id": id, "summary": f"test advisory {id}", "modified": "2026-01-01T00:00:00Z",
            "affected": [entry], **extra}


def snapshot(path: Path, records: list[dict[str, Any]], packages: list[str], *, days_old: int = 1) -> Path:
    """A snapshot file in the committed one's format, its data ``days_old`` days old."""
    when = (dt.datetime.now(dt.UTC) - dt.timedelta(days=days_old)).isoformat()
    source = {"name": "test", "url": "https://example.invalid", "commit": None, "license": "CC-BY-4.0",
              "date": when, "records": len(records)}
    audit.write_snapshot(path, [source], records, set(packages))
    return path


# --- (a) a pinned version with a fixed vulnerability fails the audit --------------------------------


def test_a_fixed_vulnerability_fails_and_names_the_advisory(tmp_path: Path) -> None:
    # The committed snapshot really has these (PyPA's records, with fixed versions).
    committed = audit.Snapshot.load(audit.SNAPSHOT)
    assert {r["id"] for r in committed.query("werkzeug", "2.2.2")} >= {"PYSEC-2023-57", "PYSEC-2023-221"}
    # werkzeug behind a marker no machine here matches, jinja2 twice as a universal lock has it: every
    # pinned version is audited, the marker notwithstanding.
    path = lock(tmp_path / "old.txt", "blinker==1.9.0",
                "werkzeug==2.2.2 ; sys_platform == 'win32'",
                "jinja2==3.1.2 ; python_full_version >= '3.99'",
                "jinja2==3.1.6 ; python_full_version < '3.99'")
    done = run("--offline", path)
    assert done.returncode == 1, done.stdout + done.stderr
    out = done.stdout
    assert "SNAPSHOT" in out and "2026-" in out  # the source and its date, said loudly
    assert "VULNERABLE: werkzeug 2.2.2: PYSEC-2023-57" in out
    assert "fixed in 2.2.3" in out and str(path) in out  # the fix and which lock
    assert "CVE-2023-23934" in out  # its aliases
    assert "VULNERABLE: jinja2 3.1.2" in out
    assert "jinja2 3.1.6" not in out  # the fixed one of the two pins is clean
    assert "audit: FAILED" in out
    assert "4 pinned versions of 3 packages" in out


def test_a_clean_lock_passes(tmp_path: Path) -> None:
    done = run("--offline", lock(tmp_path / "new.txt", "werkzeug==3.1.6", "jinja2==3.1.6"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[-1].startswith("audit: ok: 1 lock, 2 pinned versions of 2 packages")


# --- (b) the project's own locks pass ---------------------------------------------------------------


def test_b_the_real_locks_pass_against_the_snapshot() -> None:
    done = run("--offline")
    assert done.returncode == 0, done.stdout + done.stderr
    locks = sorted((ROOT / "requirements").glob("*.txt"))
    pins = {pin for path in locks for pin in audit.read_pins(path)}
    last = done.stdout.splitlines()[-1]
    assert last.startswith(f"audit: ok: {len(locks)} locks, {len(pins)} pinned versions"), last
    assert "against the snapshot of" in last
    assert "was not searched for" not in done.stdout  # the snapshot covers every package in the locks


def test_b_the_snapshot_is_small_and_names_its_sources() -> None:
    assert audit.SNAPSHOT.stat().st_size < 1_000_000
    data = json.loads(audit.SNAPSHOT.read_text())
    assert data["sources"] and all(s["commit"] and s["date"] and s["license"] for s in data["sources"])
    for r in data["records"]:
        assert r["id"] and r["modified"] and r["affected"]
        for entry in r["affected"]:
            name = entry["package"]["name"]
            assert name in data["packages"] and name == name.lower().replace("_", "-")
            assert all(rng["type"] == "ECOSYSTEM" for rng in entry.get("ranges", []))


# --- (c) a vulnerability with no fix warns, and accepted ones are printed ---------------------------


def test_c_a_vulnerability_without_a_fix_only_warns(tmp_path: Path) -> None:
    records = [record("TEST-NOFIX", "blinker", events=[{"introduced": "0"}]),
               # fixed only on an older branch: nothing to upgrade to either
               record("TEST-OLDFIX", "blinker", events=[{"introduced": "0"}, {"fixed": "1.0"},
                                                        {"introduced": "1.5"}])]
    snap = snapshot(tmp_path / "snap.json", records, ["blinker"])
    done = run("--offline", "--snapshot", snap, lock(tmp_path / "l.txt", "blinker==1.9.0"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "warning: blinker 1.9.0: TEST-NOFIX has no fixed version" in done.stdout
    assert "warning: blinker 1.9.0: TEST-OLDFIX has no fixed version" in done.stdout
    assert "(2 without one, warned above)" in done.stdout
    assert "days old (over" not in done.stdout  # a fresh snapshot: no age warning


def test_c_the_same_with_a_fix_fails_and_an_old_snapshot_warns(tmp_path: Path) -> None:
    records = [record("TEST-FIXED", "blinker", events=[{"introduced": "0"}, {"fixed": "1.9.1"}])]
    snap = snapshot(tmp_path / "snap.json", records, ["blinker"], days_old=120)
    done = run("--offline", "--snapshot", snap, lock(tmp_path / "l.txt", "blinker==1.9.0"))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "VULNERABLE: blinker 1.9.0: TEST-FIXED, fixed in 1.9.1" in done.stdout
    assert "WARNING: the snapshot is 120 days old (over 90)" in done.stdout


def test_c_an_accepted_vulnerability_passes_only_in_its_lock(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    records = [record("TEST-FIXED", "blinker", aliases=["CVE-0000-1"],
                      events=[{"introduced": "0"}, {"fixed": "1.9.1"}])]
    snap = snapshot(tmp_path / "snap.json", records, ["blinker"])
    bench = lock(tmp_path / "bench.txt", "blinker==1.9.0")
    accepted = {("bench.txt", "TEST-FIXED"): "the bench only"}  # pip-audit names it by its CVE
    assert audit.audit([bench], snap, offline=True, accepted=accepted) == 0
    assert "accepted: blinker 1.9.0: CVE-0000-1 (TEST-FIXED), fixed in 1.9.1, in " \
        f"{bench}: the bench only" in capsys.readouterr().out
    other = lock(tmp_path / "station.txt", "blinker==1.9.0")
    assert audit.audit([bench, other], snap, offline=True, accepted=accepted) == 1
    assert "VULNERABLE: blinker 1.9.0: CVE-0000-1 (TEST-FIXED), fixed in 1.9.1 (locks: " \
        f"{other})" in capsys.readouterr().out


def test_c_a_package_the_snapshot_was_not_searched_for_is_warned_about(tmp_path: Path) -> None:
    snap = snapshot(tmp_path / "snap.json", [], ["blinker"])
    done = run("--offline", "--snapshot", snap, lock(tmp_path / "l.txt", "blinker==1.9.0", "click==8.5.1"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "the snapshot was not searched for click" in done.stdout


# --- (d) the snapshot server's matching -------------------------------------------------------------


@pytest.mark.parametrize(("version", "expected"), [
    ("0.1", True), ("2.3.7", True), ("2.3.8", False),  # introduced 0 <= v < fixed 2.3.8
    ("2.9", False), ("3.0.0rc1", False), ("3.0.0", True), ("3.0.1", False),  # a second interval
    ("3.5", True), ("3.6", True), ("3.6.post1", False),  # introduced 3.5, last_affected 3.6 (inclusive)
])
def test_d_ranges(version: str, expected: bool) -> None:
    events = [{"introduced": "0"}, {"fixed": "2.3.8"}, {"introduced": "3.0.0"}, {"fixed": "3.0.1"}]
    entry = {"ranges": [{"type": "ECOSYSTEM", "events": events},
                        {"type": "ECOSYSTEM", "events": [{"introduced": "3.5"}, {"last_affected": "3.6"}]},
                        {"type": "GIT", "events": [{"introduced": "0"}, {"fixed": "f3c803b"}]}]}
    assert audit.entry_affects(entry, Version(version)) is expected


def test_d_versions_list_and_unordered_events() -> None:
    listed = {"versions": ["1.0", "1.2rc1", "not-a-version"]}
    assert audit.entry_affects(listed, Version("1.0.0"))  # compared as versions, not strings
    assert audit.entry_affects(listed, Version("1.2rc1"))
    assert not audit.entry_affects(listed, Version("1.1"))
    # events are put in version order first, as OSV does
    assert audit.in_range(Version("1.5"), [{"fixed": "2.0"}, {"introduced": "1.0"}])
    assert not audit.in_range(Version("2.0"), [{"fixed": "2.0"}, {"introduced": "1.0"}])
    assert not audit.in_range(Version("0.9"), [{"introduced": "1.0"}])  # nothing introduced yet


def post(url: str, body: object) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(url, data=json.dumps(body).encode())
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_d_the_endpoint_answers_as_osv(tmp_path: Path) -> None:
    records = [record("TEST-1", "typing-extensions", events=[{"introduced": "0"}, {"fixed": "4.0"}]),
               record("TEST-2", "typing-extensions", versions=["3.10.0.2"]),
               record("TEST-GONE", "typing-extensions", events=[{"introduced": "0"}],
                      withdrawn="2026-01-02T00:00:00Z"),
               record("TEST-OTHER", "blinker", events=[{"introduced": "0"}])]
    snap = audit.Snapshot.load(snapshot(tmp_path / "snap.json", records, ["blinker", "typing-extensions"]))
    with audit.serve(snap) as url:
        assert url.startswith("http://127.0.0.1:") and url.endswith("/v1/query")
        # any spelling of the name (PEP 503), the package as pip-audit sends it
        status, body = post(url, {"package": {"name": "Typing_Extensions", "ecosystem": "PyPI"},
                                  "version": "3.10.0.2"})
        assert status == 200
        assert sorted(v["id"] for v in body["vulns"]) == ["TEST-1", "TEST-2"]  # not the withdrawn one
        assert body["vulns"][0]["affected"][0]["package"]["name"] == "typing-extensions"
        assert post(url, {"package": {"name": "typing-extensions", "ecosystem": "PyPI"},
                          "version": "4.0"}) == (200, {})  # nothing: OSV's empty object
        assert post(url, {"package": {"name": "no-such", "ecosystem": "PyPI"}, "version": "1"}) == (200, {})
        assert post(url, {"version": "1"})[0] == 400
        assert post(url, {"package": {"name": "x", "ecosystem": "npm"}, "version": "1"})[0] == 400
        assert audit.probe_osv(url, timeout=5) is None  # the live probe accepts an OSV answer
    assert audit.probe_osv(url, timeout=2) is not None  # stopped: nothing answers there any more


def test_d_a_failed_live_run_falls_back_to_the_snapshot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    records = [record("TEST-FIXED", "blinker", events=[{"introduced": "0"}, {"fixed": "1.9.1"}])]
    snap = snapshot(tmp_path / "snap.json", records, ["blinker"])
    monkeypatch.setattr(audit, "probe_osv", lambda: None)  # the probe "reached" OSV ...
    monkeypatch.setattr(audit, "OSV_API", "http://127.0.0.1:9/v1/query")  # ... but the run cannot
    assert audit.audit([lock(tmp_path / "l.txt", "blinker==1.9.0")], snap, offline=False, accepted={}) == 1
    out = capsys.readouterr().out
    assert "SOURCE: the OSV API, live" in out and "falling back to the snapshot" in out
    assert "SOURCE: the committed SNAPSHOT" in out and "VULNERABLE: blinker 1.9.0: TEST-FIXED" in out


# --- reading locks, refreshing the snapshot ---------------------------------------------------------


def test_read_pins_keeps_every_marker_and_refuses_unpinned_lines(tmp_path: Path) -> None:
    path = lock(tmp_path / "l.txt", "Typing_Extensions==4.16.0 ; python_full_version < '3.13'",
                "numpy==2.2.4 ; python_full_version >= '3.13'",
                "numpy==1.26.4 ; python_full_version < '3.13'")
    assert audit.read_pins(path) == [("typing-extensions", "4.16.0"), ("numpy", "2.2.4"), ("numpy", "1.26.4")]
    bad = tmp_path / "bad.txt"
    bad.write_text("flask>=3\n")
    with pytest.raises(ValueError, match="not a pinned requirement"):
        audit.read_pins(bad)
    assert audit.main(["--offline", str(bad)]) == 2


def test_refresh_from_pypa_and_github_checkouts(tmp_path: Path) -> None:
    pypa = tmp_path / "pypa" / "vulns" / "werkzeug"
    pypa.mkdir(parents=True)
    (pypa / "PYSEC-2023-57.yaml").write_text(
        "id: PYSEC-2023-57\ndetails: Browsers may allow nameless cookies.\naliases:\n- GHSA-px8h-6qxv-m22q\n"
        "modified: 2023-03-27T22:41:12Z\naffected:\n- package:\n    name: Werkzeug\n    ecosystem: PyPI\n"
        "  ranges:\n  - type: GIT\n    repo: https://github.com/pallets/werkzeug\n    events:\n"
        "    - introduced: '0'\n    - fixed: cf275f42\n  - type: ECOSYSTEM\n    events:\n"
        "    - introduced: '0'\n    - fixed: 2.2.3\n  versions:\n  - 2.2.2\n")
    (pypa / "PYSEC-2020-1.yaml").write_text(
        "id: PYSEC-2020-1\nwithdrawn: '2021-01-01T00:00:00Z'\nmodified: '2021-01-01T00:00:00Z'\n"
        "affected:\n- package: {name: werkzeug, ecosystem: PyPI}\n  versions: ['1.0']\n")
    other = tmp_path / "pypa" / "vulns" / "django"
    other.mkdir()
    (other / "PYSEC-2024-1.yaml").write_text(
        "id: PYSEC-2024-1\nmodified: '2024-01-01T00:00:00Z'\n"
        "affected:\n- package: {name: django, ecosystem: PyPI}\n  versions: ['1.0']\n")
    ghsa = tmp_path / "gh" / "advisories" / "github-reviewed" / "2024" / "05" / "GHSA-2g68-c3qc-8985"
    ghsa.mkdir(parents=True)
    (ghsa / "GHSA-2g68-c3qc-8985.json").write_text(json.dumps({
        "schema_version": "1.4.0", "id": "GHSA-2g68-c3qc-8985", "modified": "2025-01-01T00:00:00Z",
        "summary": "Werkzeug debugger vulnerable to remote execution", "aliases": ["CVE-2024-34069"],
        "affected": [{"package": {"ecosystem": "PyPI", "name": "Werkzeug"},
                      "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "3.0.3"}]}]},
                     {"package": {"ecosystem": "npm", "name": "werkzeug"}, "versions": ["1.0.0"]}]}))
    out = tmp_path / "advisories.json"
    locks = [lock(tmp_path / "l.txt", "werkzeug==2.2.2")]
    assert audit.main(["--refresh", str(tmp_path / "pypa"), "--refresh", str(tmp_path / "gh"),
                       "--snapshot", str(out), *map(str, locks)]) == 0
    data = json.loads(out.read_text())
    assert [s["name"] for s in data["sources"]] == ["PyPA advisory database",
                                                      "GitHub Advisory Database (reviewed)"]
    assert data["date"].startswith("2024-01-01")  # no git: the newest record's date, the older source
    assert data["packages"] == ["werkzeug"]
    by_id = {r["id"]: r for r in data["records"]}
    assert sorted(by_id) == ["GHSA-2g68-c3qc-8985", "PYSEC-2023-57"]  # not withdrawn, not django
    assert by_id["PYSEC-2023-57"]["affected"] == [{
        "package": {"ecosystem": "PyPI", "name": "werkzeug"},
        "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.2.3"}]}],
        "versions": ["2.2.2"]}]
    assert by_id["PYSEC-2023-57"]["summary"] == "Browsers may allow nameless cookies."
    assert by_id["PYSEC-2023-57"]["modified"] == "2023-03-27T22:41:12Z"
    assert len(by_id["GHSA-2g68-c3qc-8985"]["affected"]) == 1  # the npm entry is left out
    done = run("--offline", "--snapshot", out, *locks)
    assert done.returncode == 1
    assert "PYSEC-2023-57" in done.stdout and "GHSA-2g68-c3qc-8985" in done.stdout
