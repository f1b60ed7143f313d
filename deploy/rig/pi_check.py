#!/usr/bin/env python3
"""`make pi-check`: the station on arm64 Debian Bookworm and Trixie, as far as a machine without a
Raspberry Pi can prove it. Run as root on an x86-64 (or arm64) Debian host.

For each release:

1. an arm64 root made by debootstrap (aarch64 binaries run through qemu-user-static and
   binfmt_misc), cached under ~/.cache/hinge-station/rig; each run works on an overlay of it, so
   the cached root is never changed;
2. stand-ins for Raspberry Pi OS's Pi-only packages (see deploy/README.md, "The arm64 rig"),
   installed as Debian packages so deploy/install.sh sees them as apt's;
3. deploy/install.sh, for real, with pip's downloads cached;
4. the root booted under systemd (systemd-nspawn -b, private network), a fake device tree saying
   "Raspberry Pi 5"; the station's own unit must reach READY, serve its page and run the pose
   models on the stand-in camera's frames; a copy of the unit with a probe as ExecStart reports
   what the station's sandbox sees (numpy, picamera2, device tree, /proc/cpuinfo, lgpio, pins).

Before the releases, pi-gen's own build.sh runs on the image's config with every stage skipped
(deploy/pi-gen/dry-run.sh, pi-gen cloned into the cache once). aarch64 programs run on a qemu of
at least MIN_QEMU (fetched from Debian when the host's is older): see newer_qemu.

The last line printed is one JSON object, a key per release and "pi-gen"; each release's has its
"verdict" (PASS, or FAIL and every reason) and "pins_verdict". Exit status 0 only when every
release installed, its unit is active as installed, its page answered 200, the models ran, every
probe result is what the rig expects (probe_expected) and the pins failed for the one reason a
container without a Pi revision gives (UNKNOWN_PI), never another.

    sudo .venv/bin/python deploy/rig/pi_check.py [--release bookworm] [--keep]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SOURCE = HERE.parent.parent
CACHE = Path(os.environ.get("HINGE_RIG_CACHE", Path.home() / ".cache" / "hinge-station" / "rig"))
MIRROR = os.environ.get("HINGE_RIG_MIRROR", "http://deb.debian.org/debian")
RELEASES = ("bookworm", "trixie")
# Everything the boot and install need, so the cached root holds it: systemd to boot, and what
# Raspberry Pi OS Lite has that Debian's minbase lacks (python3, venv, pip). python3-pywt is the
# stand-in's apt-built numpy extension (see standins/picamera2).
INCLUDE = ("systemd,systemd-sysv,dbus,python3,python3-venv,python3-pip,ca-certificates,python3-numpy,"
           "python3-pywt,iproute2")
BASE_VERSION = "4"  # bump when INCLUDE or the base steps change: the cached root is remade
PHOTO = SOURCE.parent / "shared" / "fixtures" / "photos" / "Good_Morning__0.jpg"
NSPAWN = ("systemd-nspawn", "--register=no", "--keep-unit", "--quiet")
MODEL = "Raspberry Pi 5 Model B Rev 1.0"


def say(text: str) -> None:
    print(f"pi-check: {text}", flush=True)


def run(cmd: list[str], timeout: float = 1800, **kw: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)


# ------------------------------------------------------------------ host set-up
BINFMT = Path("/proc/sys/fs/binfmt_misc")
DEBIAN_CONF = Path("/usr/lib/binfmt.d/qemu-aarch64.conf")


def ensure_binfmt() -> None:
    """Register qemu's aarch64 handler with the kernel when it is not yet (arm64 hosts need none)."""
    if os.uname().machine == "aarch64":
        return
    if not (BINFMT / "register").exists():
        subprocess.run(["mount", "-t", "binfmt_misc", "binfmt_misc", str(BINFMT)], check=True)
    if not (BINFMT / "qemu-aarch64").exists():
        if not DEBIAN_CONF.exists():
            sys.exit("pi-check: qemu-user-static is not installed (apt-get install qemu-user-static)")
        (BINFMT / "register").write_text(DEBIAN_CONF.read_text().strip())


@contextlib.contextmanager
def qemu_handler(binary: Path | None) -> Iterator[None]:
    """With ``binary``, that qemu runs aarch64 programs for the duration, then Debian's again.

    Debian Bookworm's qemu-user-static (7.2) crashes in LiteRT 2.3's kernels (a segmentation
    fault, with or without XNNPACK) where qemu 10 runs them: the rig can only prove the models with
    a newer qemu. The handler is machine-wide while it is swapped: aarch64 programs of other users
    run on this qemu meanwhile.
    """
    if binary is None:
        yield
        return
    entry = DEBIAN_CONF.read_text().strip().split(":")
    entry[-2] = str(binary.resolve())  # the interpreter field; flags O, P, F stay Debian's
    (BINFMT / "qemu-aarch64").write_text("-1")
    (BINFMT / "register").write_text(":".join(entry))
    say(f"aarch64 programs run on {binary} for this run")
    try:
        yield
    finally:
        (BINFMT / "qemu-aarch64").write_text("-1")
        (BINFMT / "register").write_text(DEBIAN_CONF.read_text().strip())
        say("aarch64 programs run on Debian's qemu again")


# The qemu the rig needs, and where it comes from when the host's is older:
# - Debian Bookworm's qemu 7.2 crashes in LiteRT 2.3's kernels (see qemu_handler);
# - qemu up to 10.x (Debian Trixie's 10.0 too) copies statx's mask but not its stx_mnt_id field,
#   so every mount id reads 0. systemd 257 (Trixie) compares mount ids to tell whether a unit's new
#   root is already "/"; with both 0 it skips pivot_root and fails every unit with ProtectSystem=,
#   PrivateTmp=, ... as 226/NAMESPACE. Found by strace and a statx probe (deploy/README.md); qemu 11.1.3
#   (trixie-backports) fills stx_mnt_id, 10.0.13 does not. 11.1 is the first checked that has it.
NEWER_QEMU_SUITE = "trixie-backports"
MIN_QEMU = (11, 1)


def host_qemu_version() -> tuple[int, int]:
    """The host's qemu-aarch64(-static) version as (major, minor); (0, 0) when it cannot tell."""
    tool = shutil.which("qemu-aarch64-static") or shutil.which("qemu-aarch64")
    if tool is None:
        return (0, 0)
    words = run([tool, "--version"], timeout=30).stdout.split()
    version = words[words.index("version") + 1] if "version" in words else "0.0"
    parts = [int(p) if p.isdigit() else 0 for p in [*version.split("."), "0"][:2]]
    return (parts[0], parts[1])


def newer_qemu() -> Path:
    """Debian's static qemu-aarch64 from trixie-backports, from Debian's archive (apt, its own state
    in the cache; Bookworm's archive keyring already holds Trixie's keys)."""
    folder = CACHE / f"qemu-{NEWER_QEMU_SUITE}"
    binary = folder / "usr" / "bin" / "qemu-aarch64"
    if binary.exists():
        return binary
    apt = folder / "apt"
    for sub in ("lists/partial", "archives/partial"):
        (apt / sub).mkdir(parents=True, exist_ok=True)
    (apt / "sources.list").write_text(f"deb http://deb.debian.org/debian {NEWER_QEMU_SUITE} main\n")
    opts = [f"-oDir::Etc::SourceList={apt / 'sources.list'}", "-oDir::Etc::SourceParts=/dev/null",
            f"-oDir::State::Lists={apt / 'lists'}", f"-oDir::Cache::Archives={apt / 'archives'}",
            "-oDir::State::status=/dev/null", "-oDebug::NoLocking=1", "-oAPT::Sandbox::User=root"]
    say(f"fetching Debian {NEWER_QEMU_SUITE}'s qemu-user (the host's qemu is older than "
        f"{'.'.join(map(str, MIN_QEMU))})")
    for cmd in (["apt-get", *opts, "update"], ["apt-get", *opts, "download", "qemu-user"]):
        done = run(cmd, timeout=900, cwd=apt)
        if done.returncode != 0:
            sys.exit(f"pi-check: {' '.join(cmd[:1] + cmd[-2:])} failed: {done.stderr.strip()[-400:]}")
    deb = next(apt.glob("qemu-user_*.deb"))
    run(["dpkg-deb", "-x", str(deb), str(folder)], timeout=300).check_returncode()
    deb.unlink()
    return binary


def check_tools() -> None:
    missing = [t for t in ("debootstrap", "systemd-nspawn", "nsenter", "dpkg-deb") if not shutil.which(t)]
    if missing:
        sys.exit(f"pi-check: missing {', '.join(missing)} (apt-get install debootstrap systemd-container "
                 "qemu-user-static)")
    if os.geteuid() != 0:
        sys.exit("pi-check: run as root (debootstrap, mount, systemd-nspawn)")


def in_root(root: Path, script: str, *extra: str, timeout: float = 1800) -> subprocess.CompletedProcess[str]:
    """A shell script in the root (not booted), with a clean environment and the host's network."""
    cmd = [*NSPAWN, "-D", str(root), "--pipe", "--as-pid2", "-E", "LANG=C.UTF-8",
           "-E", "DEBIAN_FRONTEND=noninteractive", "-E", "PIP_CERT=/etc/host-ca.crt",
           "-E", "PIP_DISABLE_PIP_VERSION_CHECK=1", *extra, "/bin/sh", "-ec", script]
    return run(cmd, timeout=timeout, stdin=subprocess.DEVNULL)


def copy_network(root: Path) -> None:
    shutil.copy("/etc/ssl/certs/ca-certificates.crt", root / "etc" / "host-ca.crt")
    resolv = root / "etc" / "resolv.conf"
    if resolv.is_symlink():
        resolv.unlink()
    shutil.copy("/etc/resolv.conf", resolv)


def base_root(release: str) -> Path:
    """The cached arm64 root of ``release`` (made on the first run: a few minutes)."""
    base = CACHE / f"{release}-arm64-base"
    stamp = base / ".rig-base"
    if stamp.exists() and stamp.read_text().strip() == BASE_VERSION:
        return base
    CACHE.mkdir(parents=True, exist_ok=True)
    debs = CACHE / f"{release}-arm64-debs-{BASE_VERSION}.tgz"
    include = f"--include={INCLUDE}"
    common = ["debootstrap", "--arch=arm64", "--variant=minbase", include]
    if not debs.exists():  # downloads only: no emulation
        say(f"{release}: downloading the arm64 packages (once)")
        scratch = Path(tempfile.mkdtemp(prefix=f"rig-{release}-"))
        done = run([*common, f"--make-tarball={debs}", release, str(scratch), MIRROR])
        shutil.rmtree(scratch, ignore_errors=True)
        if done.returncode != 0:
            sys.exit(f"pi-check: debootstrap --make-tarball failed\n{done.stdout[-999:]}{done.stderr[-999:]}")
    shutil.rmtree(base, ignore_errors=True)
    say(f"{release}: installing the arm64 root under emulation (once)")
    done = run([*common, f"--unpack-tarball={debs}", release, str(base), MIRROR])
    if done.returncode != 0:
        sys.exit(f"pi-check: debootstrap failed\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    copy_network(base)
    # Raspberry Pi OS Lite has avahi: in the cached root, so each run's install.sh only checks it.
    done = in_root(base, "apt-get update -qq && apt-get install -y -qq --no-install-recommends avahi-daemon "
                         ">/dev/null && apt-get clean")
    if done.returncode != 0:
        sys.exit(f"pi-check: apt-get in the new root failed\n{done.stdout[-999:]}{done.stderr[-999:]}")
    (base / "etc" / "machine-id").write_text("")  # empty: systemd makes one at each boot
    stamp.write_text(BASE_VERSION + "\n")
    return base


# ------------------------------------------------------------------ the stand-ins
def standin_debs(out: Path, release: str) -> list[Path]:
    """python3-picamera2, python3-libcamera and python3-lgpio stand-ins as .deb packages."""
    made = []
    specs = {
        "python3-libcamera": ("libcamera", "python3"),
        "python3-picamera2": ("picamera2", "python3, python3-numpy, python3-pywt, python3-libcamera"),
        # Bookworm: only a name, so install.sh installs the real lgpio from PyPI (the [pi] extra)
        # and the rig runs it. Trixie: PyPI has no lgpio wheel for Python 3.13, so a module that
        # behaves as lgpio does where the station depends on it (standins/lgpio).
        "python3-lgpio": ("lgpio" if release == "trixie" else None, "python3"),
    }
    for name, (module, depends) in specs.items():
        tree = out / name
        dist = tree / "usr" / "lib" / "python3" / "dist-packages"
        dist.mkdir(parents=True)
        if module:
            shutil.copytree(HERE / "standins" / module, dist / module)
        # A file of its own, or dpkg counts a package of shared folders as gone ("disappeared").
        doc = tree / "usr" / "share" / "doc" / name
        doc.mkdir(parents=True)
        (doc / "README.rig").write_text("A stand-in made by Hinge Station's deploy/rig/pi_check.py.\n")
        (tree / "DEBIAN").mkdir()
        (tree / "DEBIAN" / "control").write_text(
            # picamera2: the upstream release its stand-in follows (install.sh refuses one before 0.3.20)
            f"Package: {name}\nVersion: {'0.3.36-1~rig' if module == 'picamera2' else '0.0~rig'}\n"
            "Architecture: all\n"
            f"Maintainer: Hinge Station rig <rig@localhost>\nDepends: {depends}\n"
            f"Description: arm64 rig stand-in for Raspberry Pi OS's {name}\n")
        deb = out / f"{name}.deb"
        subprocess.run(["dpkg-deb", "--root-owner-group", "-b", str(tree), str(deb)], check=True,
                       capture_output=True)
        made.append(deb)
    return made


def fake_firmware(out: Path) -> Path:
    """A /sys/firmware with a device tree that says Raspberry Pi 5 (what the kernel shows on a Pi)."""
    dt = out / "firmware" / "devicetree" / "base"
    dt.mkdir(parents=True)
    (dt / "model").write_bytes(MODEL.encode() + b"\0")
    (dt / "compatible").write_bytes(b"raspberrypi,5-model-b\0brcm,bcm2712\0")
    return out / "firmware"


def stage_files(root: Path, scratch: Path, source: Path, release: str) -> None:
    """The source tree (as git lists it, with uncommitted edits), the models, the debs, the probe."""
    listed = run(["git", "ls-files", "-z"], cwd=source)
    files = listed.stdout.split("\0") if listed.returncode == 0 else [
        str(p.relative_to(source)) for p in source.rglob("*") if p.is_file()]
    src = root / "src"
    for name in filter(None, files):
        if (source / name).is_file():
            (src / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source / name, src / name)
    sys.path.insert(0, str(SOURCE))
    from station.config.paths import models_dir

    shutil.copytree(models_dir(), root / "models-src")
    rig = root / "rig"
    rig.mkdir()
    for deb in standin_debs(scratch / "debs", release):
        shutil.copy(deb, rig / deb.name)
    shutil.copy(HERE / "probe.py", rig / "probe.py")
    frame = root / "usr" / "share" / "picamera2-standin"
    frame.mkdir(parents=True, exist_ok=True)
    if PHOTO.exists():
        import cv2
        import numpy as np

        bgr = cv2.imread(str(PHOTO))
        np.save(frame / "frame.npy", np.ascontiguousarray(bgr[..., ::-1]))
    copy_network(root)


@contextlib.contextmanager
def overlay(base: Path, keep: bool) -> Iterator[tuple[Path, Path]]:
    scratch = Path(tempfile.mkdtemp(prefix="hinge-rig-"))
    upper, work, merged = scratch / "upper", scratch / "work", scratch / "root"
    for d in (upper, work, merged):
        d.mkdir()
    subprocess.run(["mount", "-t", "overlay", "overlay", "-o",
                    f"lowerdir={base},upperdir={upper},workdir={work}", str(merged)], check=True)
    try:
        yield merged, scratch
    finally:
        subprocess.run(["umount", "-l", str(merged)], check=False)
        if keep:
            say(f"kept {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)


# ------------------------------------------------------------------ install
def install(root: Path, release: str) -> tuple[str, str]:
    pip_cache = CACHE / f"pip-{release}-arm64"
    pip_cache.mkdir(parents=True, exist_ok=True)
    # The gpio group stands in for Raspberry Pi OS's raspberrypi-sys-mods, which makes it.
    script = ("groupadd -f --system gpio\n"
              "dpkg -i /rig/python3-libcamera.deb /rig/python3-lgpio.deb /rig/python3-picamera2.deb\n"
              "bash /src/deploy/install.sh --models-from /models-src\n")
    done = in_root(root, script, f"--bind={pip_cache}:/var/cache/rig-pip",
                   "-E", "PIP_CACHE_DIR=/var/cache/rig-pip", "-E", "HOME=/root")
    out = done.stdout + done.stderr
    return ("ok" if done.returncode == 0 else f"failed (exit {done.returncode})"), out


# ------------------------------------------------------------------ the boot
# The rig's own staff account on the booted station (a test machine's, never a gym's).
RIG_STAFF = ("pi-check", "Dowel-on-3-points!")
# Run by the host's Python in the container's network: set up or sign in, then GET argv[1].
STAFF_GET = """
import http.cookiejar, re, sys, urllib.error, urllib.parse, urllib.request
path, setup, name, password = sys.argv[1:5]
base = "http://127.0.0.1:8000"
web = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
def form(page, fields):
    html = web.open(base + page, timeout=15).read().decode(errors="replace")
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    data = urllib.parse.urlencode({"csrf_token": token, **fields}).encode()
    try:
        web.open(base + page, data=data, timeout=15)
    except urllib.error.HTTPError:
        pass
try:
    if setup:
        form("/staff/setup", {"setup_code": setup, "name": name, "password": password,
                              "password2": password})
    else:
        form("/staff/signin", {"name": name, "password": password})
    r = web.open(base + path, timeout=15)
    print(r.status); print(r.read().decode(errors="replace"))
except urllib.error.HTTPError as e:
    print(e.code)
except Exception as e:
    print(0); print(e)
"""


class Booted:
    """The root booted under systemd-nspawn; commands run inside through nsenter."""

    def __init__(self, root: Path, log: Path, firmware: Path | None = None) -> None:
        self.root = root
        self.log = log.open("w")
        # A private network: the station's port 8000 is the container's own, never the host's.
        extra = [f"--bind-ro={firmware}:/sys/firmware"] if firmware else []
        self.proc = subprocess.Popen(
            [*NSPAWN, "-b", "-D", str(root), "--private-network", "--console=passive", *extra],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT)
        try:
            self.leader = self._leader()
        except BaseException:
            self.proc.kill()
            self.proc.wait(timeout=30)
            raise

    def _leader(self) -> int:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"systemd-nspawn exited ({self.proc.returncode})")
            for stat in Path("/proc").glob("[0-9]*/stat"):
                with contextlib.suppress(OSError):
                    fields = stat.read_text().rsplit(")", 1)[1].split()
                    if int(fields[1]) == self.proc.pid:
                        return int(stat.parent.name)
            time.sleep(0.5)
        raise RuntimeError("the container's init did not start")

    def run(self, *cmd: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return run(["nsenter", "-t", str(self.leader), "-a", "--", *cmd], timeout=timeout)

    def get(self, path: str, timeout: float = 20) -> tuple[int | None, str]:
        """GET http://127.0.0.1:8000<path> from inside the container's network (host Python)."""
        code = ("import sys,urllib.request,urllib.error\n"
                "try:\n r=urllib.request.urlopen('http://127.0.0.1:8000'+sys.argv[1],timeout=15)\n"
                " print(r.status); print(r.read().decode(errors='replace'))\n"
                "except urllib.error.HTTPError as e: print(e.code)\n"
                "except Exception as e: print(0); print(e)\n")
        done = run(["nsenter", "-t", str(self.leader), "-n", "--", sys.executable, "-c", code, path],
                   timeout=timeout)
        status, _, body = done.stdout.partition("\n")
        return (int(status) or None) if status.strip().isdigit() else None, body

    def staff_get(self, path: str, timeout: float = 30) -> tuple[int | None, str]:
        """GET <path> signed in as staff: the station's whole health is staff's (anonymous callers
        get only up or degraded). The first call makes the rig's account with the one-time setup
        code from the station's data directory; later ones sign in."""
        code_file = self.root / "var" / "lib" / "hinge-station" / "setup_code"
        setup = code_file.read_text().strip() if code_file.exists() else ""
        done = run(["nsenter", "-t", str(self.leader), "-n", "--", sys.executable, "-c", STAFF_GET,
                    path, setup, RIG_STAFF[0], RIG_STAFF[1]], timeout=timeout)
        status, _, body = done.stdout.partition("\n")
        return (int(status) or None) if status.strip().isdigit() else None, body

    def state(self, unit: str) -> str:
        return self.run("systemctl", "is-active", unit).stdout.strip() or "unknown"

    def wait_booted(self, limit: float) -> str:
        deadline = time.monotonic() + limit
        state = "unknown"
        while time.monotonic() < deadline:
            state = self.run("systemctl", "is-system-running").stdout.strip()
            if state in ("running", "degraded"):
                break
            time.sleep(3)
        return state

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self.run("systemctl", "poweroff", "--no-block", timeout=20)
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=30)
        # A killed nspawn leaves the container's systemd running on its own (an emulated Trixie is
        # too slow to power off in time): killing the namespace's PID 1 ends everything in it.
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.leader, signal.SIGKILL)
        self.log.close()


def wait_unit(box: Booted, limit: float) -> str:
    """The station unit's state once it settles: active (READY), failed, or what it is at the limit."""
    deadline = time.monotonic() + limit
    state = "unknown"
    while time.monotonic() < deadline:
        state = box.state("hinge-station.service")
        if state in ("active", "failed"):
            return state
        time.sleep(3)
    return state


def under_unit(box: Booted, name: str, command: str, timeout: float = 300) -> str:
    """Run ``command`` once under a copy of the station's unit (same user, sandbox, environment)
    named ``name``; what it printed."""
    unit = box.run("cat", "/etc/systemd/system/hinge-station.service").stdout
    lines = []
    for line in unit.splitlines():
        key = line.split("=", 1)[0]
        # A oneshot refuses the restart settings (systemd: "RestartForceExitStatus= ... isn't allowed").
        if key in ("Type", "NotifyAccess", "WatchdogSec", "Restart", "RestartSec", "RestartForceExitStatus"):
            continue
        if key == "ExecStart":
            line = f"ExecStart={command}"
        lines.append(line)
        if line == "[Service]":
            # To a file as well as the journal: journald does not run in every emulated root.
            lines += ["Type=oneshot", f"StandardOutput=append:/run/{name}.out"]
    text = "\n".join(lines) + "\n"
    write = f"cat > /etc/systemd/system/{name}.service <<'EOF'\n{text}EOF\nsystemctl daemon-reload"
    box.run("sh", "-c", write)
    box.run("systemctl", "start", f"{name}.service", timeout=timeout)
    out = box.run("cat", f"/run/{name}.out").stdout
    return out + box.run("journalctl", "-u", name, "-o", "cat", "--no-pager").stdout


def probe(box: Booted) -> dict[str, Any]:
    """The probe under a copy of the station's unit (same user, sandbox, environment)."""
    out = under_unit(box, "hinge-probe", "/opt/hinge-station/venv/bin/python /rig/probe.py")
    for line in out.splitlines():
        if line.startswith("PROBE "):
            return dict(json.loads(line[6:]))
    return {"error": out[-600:] or "no output"}


def selftest(box: Booted) -> dict[str, Any]:
    """``station selftest --json`` as an installer runs it over SSH: the service stopped (it holds
    the camera and the pins), then the command under the service's own user, sandbox and data
    folder. The report's first object and each check's outcome, or {"error": ...}."""
    box.run("systemctl", "stop", "hinge-station.service", timeout=120)
    out = under_unit(box, "hinge-selftest",
                     "/opt/hinge-station/venv/bin/station selftest --json --data /var/lib/hinge-station",
                     timeout=900)
    objects = []
    decoder = json.JSONDecoder()
    text, at = out, out.find("{")
    while at >= 0:
        try:
            value, end = decoder.raw_decode(text, at)
        except ValueError:
            at = text.find("{", at + 1)
            continue
        objects.append(value)
        at = text.find("{", end)
    head = next((o for o in objects if "counts" in o), None)
    # The report is one JSON object whose "checks" list holds each check (station/bringup/report.py).
    listed = head.get("checks", []) if head else []
    checks = {o["name"]: o for o in listed if isinstance(o, dict) and "outcome" in o and "name" in o}
    if head is None:
        return {"error": out[-600:] or "no output"}
    return {"counts": head.get("counts"), "complete": head.get("complete"),
            "outcomes": {name: c["outcome"] for name, c in checks.items()},
            "details": {name: c.get("detail", "") for name, c in checks.items()}}


# What the rig's container can and cannot show the selftest: no gpiochip (the pins never open, for
# PinUnknownPi alone, as the station's own pins), so the pins and the parts on them may fail only
# for that reason, and no network but loopback (--private-network), so the address check may fail
# only for having none; every other check must not fail.
PIN_CHECKS = ("pins", "switch", "light_red", "light_amber", "light_green", "buzzer")


def selftest_verdict(found: dict[str, Any]) -> list[str]:
    """What is wrong with the rig's selftest run (empty: all right)."""
    if "error" in found:
        return [f"selftest did not report: {found['error']}"]
    wrong = []
    expected = {"camera", "pins", "switch", "light_red", "light_amber", "light_green", "buzzer",
                "thermal", "clock", "disk", "pose", "network"}
    missing = sorted(expected - set(found["outcomes"]))
    if missing:
        wrong.append(f"selftest lacks {', '.join(missing)}")
    for name, outcome in found["outcomes"].items():
        if outcome != "fail":
            continue
        detail = found["details"].get(name, "")
        if name in PIN_CHECKS and UNKNOWN_PI in detail:
            continue
        if name == "network" and detail.startswith("no network address"):
            continue  # the container runs with --private-network: loopback only
        wrong.append(f"selftest {name} failed: {detail}")
    return wrong


def pose_ms(box: Booted, limit: float) -> tuple[float | None, dict[str, Any]]:
    """The models' time per frame once a few frames went through (emulated: slow, but they run).

    None when the station says the pose models cannot run (health's ``service``): its frame time
    then has no model in it.
    """
    deadline = time.monotonic() + limit
    health: dict[str, Any] = {}
    while time.monotonic() < deadline:
        status, body = box.staff_get("/api/health")
        if status == 200:
            health = json.loads(body)
            if "pose" in str(health.get("service") or ""):
                return None, health
            if health.get("frames", 0) >= 3 and health.get("inference_ms"):
                return float(health["inference_ms"]), health
        time.sleep(5)
    return None, health


# statx(AT_FDCWD, path, 0, STATX_MNT_ID) from inside the root, run by its own (aarch64) python:
# the mount ids of "/" and "/proc" differ on a kernel or emulator that reports them.
MOUNT_IDS = """
import ctypes, os, struct
libc = ctypes.CDLL(None, use_errno=True)
nr = {"aarch64": 291, "x86_64": 332}[os.uname().machine]
ids = []
for path in ("/", "/proc"):
    buf = ctypes.create_string_buffer(256)
    libc.syscall(nr, -100, path.encode(), 0, 0x1000, buf)
    ids.append(struct.unpack_from("Q", buf, 0x90)[0])
print(*ids)
"""


def emulator(root: Path) -> str:
    """Which program runs the root's aarch64 binaries, and whether its statx gives mount ids (systemd
    257 needs them to set up a unit's mount namespace: see MIN_QEMU)."""
    entry = BINFMT / "qemu-aarch64"
    interpreter = "native"
    if os.uname().machine != "aarch64" and entry.exists():
        line = next((x for x in entry.read_text().splitlines() if x.startswith("interpreter ")), "")
        words = run([line.split(" ", 1)[-1], "--version"], timeout=30).stdout.split()
        interpreter = f"qemu {words[words.index('version') + 1]}" if "version" in words else line
    ids = in_root(root, f"python3 -c '{MOUNT_IDS}'", timeout=300).stdout.split()
    if len(ids) == 2 and ids[0] != ids[1] and "0" not in ids:
        return f"{interpreter}, statx mount ids ok"
    return f"{interpreter}, statx mount ids missing ({' '.join(ids) or 'no answer'})"


def hardening(box: Booted) -> str:
    """The station unit's mount-namespace settings as systemd runs them, and any drop-in on it: the
    rig must run the unit as installed."""
    keys = ("ProtectSystem", "PrivateTmp", "ProtectProc", "ProtectKernelTunables", "DropInPaths")
    shown = box.run("systemctl", "show", "hinge-station", *[f"-p{k}" for k in keys]).stdout.split()
    found = dict(line.split("=", 1) for line in shown if "=" in line)
    settings = " ".join(f"{k}={found.get(k, '?')}" for k in keys[:-1])
    # Only the unit's own: a distribution's drop-in for every service (service.d) is not the rig's.
    own = [d for d in found.get("DropInPaths", "").split() if "/hinge-station.service.d/" in d]
    return f"{settings}, {'drop-ins ' + ' '.join(own) if own else 'no drop-in'}"


def boot_and_check(root: Path, scratch: Path, release: str, result: dict[str, Any]) -> None:
    box = Booted(root, scratch / "boot.log", fake_firmware(scratch))
    try:
        system = box.wait_booted(300)
        result["unit"] = wait_unit(box, 300)
        result["hardening"] = hardening(box)
        status, _ = box.get("/")
        result["health"] = status
        # Under emulation the first load (preflight child, then the models) takes minutes.
        ms, health = pose_ms(box, 600) if result["unit"] == "active" else (None, {})
        result["pose_ms"] = round(ms, 1) if ms else None
        found = probe(box)
        result["pins"] = health.get("pins") or found.get("pins")
        result["numpy"] = found.get("numpy")
        result["probe"] = found
        result["camera"] = health.get("camera")
        result["selftest"] = selftest(box) if result["unit"] == "active" else {"error": "not run"}
        # pose_model = auto times both landmark models before the first frame: its state says
        # whether a missing figure is that measurement still running (slow under emulation).
        choice = health.get("pose_model")
        if isinstance(choice, dict) and choice.get("state"):
            result["pose_model"] = f"{choice.get('setting')}: {choice['state']}"
        if health.get("service"):
            result["service"] = health["service"]
        if result["unit"] != "active" or status != 200:
            journal = box.run("journalctl", "-u", "hinge-station", "-o", "cat", "--no-pager", "-n", "30")
            result["journal_tail"] = journal.stdout.splitlines()[-8:]
        say(f"{release}: system {system}, unit {result['unit']}, page {status}")
    finally:
        box.stop()


def check(release: str, keep: bool, source: Path) -> dict[str, Any]:
    t0 = time.monotonic()
    base = base_root(release)
    result: dict[str, Any] = {"install": None, "unit": None, "health": None, "pins": None, "numpy": None,
                              "pose_ms": None}
    with overlay(base, keep) as (root, scratch):
        stage_files(root, scratch, source, release)
        result["emulator"] = emulator(root)
        say(f"{release}: deploy/install.sh")
        result["install"], out = install(root, release)
        if result["install"] != "ok":
            result["install_tail"] = out.splitlines()[-10:]
        else:
            boot_and_check(root, scratch, release, result)
    result["seconds"] = round(time.monotonic() - t0)
    return result


# The one reason the rig accepts for pins that did not open: the container has no gpiochip and no
# Pi revision, so gpiozero stops before any chip is touched. Its text is gpiozero's (2.0.1.post3,
# gpiozero/pins/local.py lines 49-50: get_pi_revision, read from /proc/device-tree/system/
# linux,revision, else /proc/cpuinfo's Revision line, neither of which qemu's container has).
# Any other failure (lgpio's import on a read-only work folder: OSError; /proc/cpuinfo hidden:
# FileNotFoundError; no lgpio at all) is a defect the rig exists to catch, so none is accepted.
UNKNOWN_PI = "PinUnknownPi: unable to locate Pi revision in /proc/device-tree or /proc/cpuinfo"
# The station's words for it (station/runtime/devices.py, Devices.open) and the probe's (it calls
# devices.pin_factory() itself, so gpiozero's exception comes through probe.attempt).
STATION_PINS = f"lgpio: the pins cannot be opened ({UNKNOWN_PI}); the lights, switch and buzzer are off"
PROBE_PINS = UNKNOWN_PI


def expected_numpy(source: Path, release: str) -> str:
    """The system numpy the release's lock was made for ("# system-numpy:" in requirements/
    pi-RELEASE.txt, the line install.sh chooses the lock by): the venv must use exactly that one."""
    lock = source / "requirements" / f"pi-{release}.txt"
    found = re.search(r"^# system-numpy: (\S+)$", lock.read_text(), re.M) if lock.exists() else None
    return f"{found.group(1) if found else '?'} (system)"


def probe_expected(source: Path, release: str) -> dict[str, tuple[str, Any]]:
    """What each probe result must be on the rig, with why; a string or a compiled pattern to match.

    The station's own unit, sandbox and environment (probe.py): numpy the system's (apt's picamera2
    is built against it), picamera2 imports, the fake device tree is visible in /sys/firmware and
    not in /proc (the container has no /proc/device-tree), /proc/cpuinfo readable (no
    ProcSubset=pid), the station knows it is on a Pi, lgpio imports (its pipe in $LG_WD), the work
    folder is the unit's WorkingDirectory, and the pins fail only for gpiozero's want of a revision."""
    return {
        "cwd": ("the unit's WorkingDirectory", "/var/lib/hinge-station"),
        "numpy": ("the system numpy of the release's lock", expected_numpy(source, release)),
        "picamera2": ("apt's picamera2 imports", "ok"),
        "proc_model": ("no /proc/device-tree in a container", "absent"),
        "sys_model": ("the rig's fake device tree", MODEL),
        "cpuinfo": ("/proc/cpuinfo readable in the sandbox", "readable"),
        "on_pi": ("the station sees the Pi's device tree", True),
        "lgpio": ("lgpio imports in the sandbox", "ok"),
        "pins": ("never opened: no Pi revision in the container", PROBE_PINS),
    }


def pins_verdict(result: dict[str, Any]) -> str:
    """The pins in one phrase: why they did not open (the one accepted reason), or what is wrong."""
    station = str(result.get("pins") or "not reported")
    probed = str((result.get("probe") or {}).get("pins") or "not reported")
    if station == STATION_PINS and probed == PROBE_PINS:
        return ("never opened, as expected here: gpiozero found no Pi revision (PinUnknownPi); "
                "lgpio imported, no gpiochip in the container")
    return f"wrong: the station says {station!r}, the probe {probed!r}; only {UNKNOWN_PI!r} is accepted"


def verdict(result: dict[str, Any], expect: dict[str, tuple[str, Any]] | None = None) -> list[str]:
    """What is wrong with one release's result (empty: it passed). ``expect``: probe_expected's."""
    wrong = []
    if result["install"] != "ok":
        wrong.append(f"install {result['install']}")
    if result["unit"] != "active":
        why = ""
        if "missing" in str(result.get("emulator")):  # the cause of 226/NAMESPACE under systemd 257
            why = (f" ({result['emulator']}: systemd 257 cannot set up a unit's mount namespace there; "
                   f"use qemu {'.'.join(map(str, MIN_QEMU))} or newer)")
        wrong.append(f"unit {result['unit']}{why}")
    shown = str(result.get("hardening"))
    if "ProtectSystem=strict" not in shown or "drop-ins" in shown:
        wrong.append(f"the unit not as installed: {result.get('hardening')}")
    if result["health"] != 200:
        wrong.append(f"page {result['health']}")
    if not result["pose_ms"]:
        service = str(result.get("service") or "")
        why = service if "pose" in service else "no figure in time"
        if str(result.get("pose_model", "")).endswith("measuring"):
            why += f"; pose_model {result['pose_model']}: the station was still timing the models"
        wrong.append(f"the pose models did not run ({why})")
    if result["install"] != "ok":  # nothing was booted: the rest is not there to judge
        return wrong
    found = result.get("probe") or {}
    if "error" in found:
        wrong.append(f"the probe did not run: {found['error']}")
    for key, (why, want) in (expect or {}).items():
        if key == "pins":
            continue  # judged below with the station's own words
        got = found.get(key, "not reported")
        if got != want:
            wrong.append(f"probe {key} {got!r}, expected {want!r} ({why})")
    result["pins_verdict"] = pins_verdict(result)
    if result["pins_verdict"].startswith("wrong"):
        wrong.append(f"pins {result['pins_verdict']}")
    if "selftest" in result:
        wrong += selftest_verdict(result["selftest"])
    return wrong


# pi-gen, to run its own build.sh on the image's config (deploy/pi-gen/dry-run.sh). Its branch must
# build the config's RELEASE (deploy/pi-gen/config); HINGE_RIG_PIGEN_URL gives another clone source
# (a mirror, a local checkout) where github.com cannot be reached.
PIGEN_URL = os.environ.get("HINGE_RIG_PIGEN_URL", "https://github.com/RPi-Distro/pi-gen.git")
PIGEN_BRANCH = "bookworm-arm64"


def pigen_checkout() -> Path | None:
    """pi-gen's checkout in the cache, cloned on the first run when the network allows."""
    folder = CACHE / "pi-gen"
    if (folder / "build.sh").exists():
        return folder
    CACHE.mkdir(parents=True, exist_ok=True)
    done = run(["git", "clone", "--quiet", "--depth", "1", "--branch", PIGEN_BRANCH, PIGEN_URL, str(folder)],
               timeout=600)
    if done.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        return None
    return folder


def image_config(source: Path) -> str:
    """Whether pi-gen's own build.sh accepts the image's config (every stage skipped)."""
    pigen = pigen_checkout()
    if pigen is None:
        return f"not checked: pi-gen could not be cloned from {PIGEN_URL} (set HINGE_RIG_PIGEN_URL)"
    sys.path.insert(0, str(SOURCE))
    from station.config.paths import models_dir

    # A password for the dry run only: no image is built with it.
    env = {**os.environ, "HINGE_FIRST_USER_PASS": "pi-check-dry-run"}
    script = source / "deploy" / "pi-gen" / "dry-run.sh"
    if not script.exists():  # an older tree (--source): this tree's script and config
        script = SOURCE / "deploy" / "pi-gen" / "dry-run.sh"
    done = run(["bash", str(script), str(pigen), str(models_dir())], timeout=600, env=env)
    commit = run(["git", "-C", str(pigen), "rev-parse", "--short", "HEAD"], timeout=30).stdout.strip()
    if done.returncode == 0 and "Build finished" in done.stdout:
        return f"passes pi-gen's build.sh checks ({PIGEN_BRANCH} {commit}, every stage skipped)"
    last = (done.stdout + done.stderr).strip().splitlines()[-3:]
    return f"refused by pi-gen's build.sh ({PIGEN_BRANCH} {commit}): {' / '.join(last)}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--release", action="append", choices=RELEASES, help="default: both")
    parser.add_argument("--keep", action="store_true", help="keep each run's overlay (for a look)")
    parser.add_argument("--qemu", type=Path, default=os.environ.get("HINGE_RIG_QEMU") or None,
                        help="a newer qemu-aarch64 (static) to run aarch64 programs with during the run "
                             "(also $HINGE_RIG_QEMU); see deploy/README.md")
    parser.add_argument("--source", type=Path, default=SOURCE,
                        help="the station tree to install (default: this one; e.g. a `git archive` of an "
                             "older commit, to see what the rig catches there)")
    args = parser.parse_args(argv)
    check_tools()
    ensure_binfmt()
    if args.qemu is None and os.uname().machine != "aarch64" and host_qemu_version() < MIN_QEMU:
        args.qemu = newer_qemu()
    results: dict[str, Any] = {}
    image = image_config(args.source.resolve())
    say(f"image config: {image}")
    failed = image.startswith("refused")
    with qemu_handler(args.qemu):
        for release in args.release or RELEASES:
            results[release] = check(release, args.keep, args.source.resolve())
    for release, result in results.items():
        wrong = verdict(result, probe_expected(args.source.resolve(), release))
        failed |= bool(wrong)
        result["verdict"] = "PASS" if not wrong else "FAIL: " + "; ".join(wrong)
        say(f"{release}: {result['verdict']} ({result['seconds']} s)")
        say(f"{release}: probe {json.dumps(result.pop('probe', {}))}")
        details = (result.get("selftest") or {}).pop("details", {})
        for name, detail in details.items():
            say(f"{release}: selftest {name}: {detail}")
        for key in ("install_tail", "journal_tail"):
            for line in result.pop(key, []):
                say(f"{release}: | {line}")
    print(json.dumps({**results, "pi-gen": image}), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
