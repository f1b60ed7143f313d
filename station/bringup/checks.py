"""The bring-up checks that need nobody at the wall: each looks at one part and returns a
:class:`~station.bringup.results.Result`. Every check takes what it reads as arguments (a sysfs
root, a data folder, a command runner), so tests give it a fake edge and the station its real one.

    >>> import tempfile, pathlib
    >>> disk(pathlib.Path(tempfile.mkdtemp()), write_mib=1).outcome in ("pass", "warn")
    True
    >>> thermal(pathlib.Path("/nonexistent")).outcome
    'skipped'
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import socket
import struct
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from station.bringup.results import Result
from station.camera.picamera import describe_words
from station.config.settings import Settings
from station.runtime.devices import Devices, describe_pins, pi_model
from station.runtime.thermal import read_thermal

# ---------------------------------------------------------------- camera

FPS_SHARE_OK = 0.8  # below 80 % of the asked rate the coach sees fewer steps of a rep: say so


def camera(state: str, source: Any, fps: float, settings: Settings, *, simulated: bool) -> Result:
    """The camera as the running station sees it: its state (``ok``, ``starting``, ``offline``),
    what it is (the source's ``describe()`` when it has one: model, sensor mode, field of view,
    picamera2 version, focus) and the frame rate the loop reached against the one asked for.

        >>> from station.config.settings import Settings
        >>> camera("ok", None, 29.7, Settings(), simulated=False).outcome
        'pass'
        >>> camera("ok", None, 12.0, Settings(), simulated=False).outcome
        'warn'
        >>> camera("offline", None, 0.0, Settings(), simulated=False).outcome
        'fail'
    """
    asked = float(settings.camera_fps)
    described: dict[str, Any] = {}
    describe = getattr(source, "describe", None)
    if callable(describe):
        with contextlib.suppress(Exception):  # a description is a nicety; the check is the frames
            described = dict(describe())
    figures: dict[str, Any] = {"source": getattr(source, "name", "?"), "state": state,
                               "fps": round(fps, 1), "fps_asked": asked, **described}
    if "focus" not in figures:
        figures["focus"] = focus_words(settings)
    if simulated:
        return Result("camera", "Camera", "skipped",
                      "the demo's simulated trainee: no camera on this computer (its frames reached "
                      f"{fps:.1f} per second)", figures)
    if state != "ok":
        return Result("camera", "Camera", "fail",
                      f"the camera is {state}: no frames (see the health page's errors; is the ribbon "
                      "cable seated, the camera enabled, or the camera used by another program?)", figures)
    what = describe_words(described)
    if fps < FPS_SHARE_OK * asked:
        return Result("camera", "Camera", "warn",
                      f"frames come at {fps:.1f} per second, asked for {asked:g} (a slow pose engine or a "
                      f"dim scene: longer exposures); {what}".rstrip("; "), figures)
    return Result("camera", "Camera", "pass", f"{fps:.1f} frames per second (asked {asked:g}); "
                  f"{what}".rstrip("; "), figures)


def focus_words(settings: Settings) -> str:
    """The focus the station asks for, in words, for a source that does not say its own (the Pi
    camera's ``describe()`` does, decided by the controls it advertises, not by its name).

        >>> from station.config.settings import Settings
        >>> focus_words(Settings())
        'continuous autofocus'
    """
    if settings.camera_focus_m <= 0:
        return "continuous autofocus"
    return f"fixed at {settings.camera_focus_m:g} m"


# ---------------------------------------------------------------- pins


def pins(devices: Devices) -> Result:
    """The pin factory and the chip it opened: a failure to open them is a fail, virtual pins
    (no Raspberry Pi) a warning, never a silent pass."""
    factory = getattr(devices.lights.leds, "pin_factory", None)
    figures = {"pins": devices.pins, "factory": type(factory).__name__ if factory is not None else None,
               "chip": getattr(factory, "_chip", None) if factory is not None else None,
               "board": pi_model()}
    if devices.problem:
        return Result("pins", "Pins", "fail", devices.problem, figures)
    if devices.mock:
        return Result("pins", "Pins", "warn", "virtual pins (not a Raspberry Pi): the lights, switch "
                      "and buzzer are simulated", figures)
    return Result("pins", "Pins", "pass", describe_pins(factory) if factory is not None else devices.pins,
                  figures)


# ---------------------------------------------------------------- heat

# Raspberry Pi's documentation (computers/raspberry-pi.adoc, "Frequency management and thermal
# control"): the Pi 4 and 5 start soft throttling at 80 °C and throttle hard at 85 °C.
WARM_C = 80.0


def thermal(sys_root: Path = Path("/sys")) -> Result:
    """CPU temperature and the firmware's throttled flags, now and since boot
    (:func:`station.runtime.thermal.read_thermal`). Throttling now fails (the pose engine is
    slowed); a flag since boot (e.g. under-voltage: a weak power supply) warns."""
    t = read_thermal(sys_root)
    figures = t.as_dict()
    if t.temp_c is None and t.throttled is None:
        return Result("thermal", "Heat", "skipped", "no temperature sensor nor throttled flags here "
                      "(not a Raspberry Pi)", figures)
    temp = f"{t.temp_c:.1f} °C" if t.temp_c is not None else "temperature unknown"
    if t.throttling:
        return Result("thermal", "Heat", "fail", f"{temp}; throttled now: {', '.join(t.now)} (under-voltage: "
                      "use the official power supply; heat: fit a cooler or give the case air)", figures)
    if t.since_boot:
        return Result("thermal", "Heat", "warn", f"{temp}; not throttled now, but since boot: "
                      f"{', '.join(t.since_boot)}", figures)
    if t.temp_c is not None and t.temp_c >= WARM_C:
        return Result("thermal", "Heat", "warn", f"{temp}: at the soft throttling limit ({WARM_C:g} °C)",
                      figures)
    flags = "no throttling now or since boot" if t.throttled is not None else "throttled flags not readable"
    return Result("thermal", "Heat", "pass", f"{temp}; {flags}", figures)


# ---------------------------------------------------------------- clock

# systemd-timesyncd creates this file once it has synchronised (systemd 239 and later).
TIMESYNC_FILE = Path("/run/systemd/timesync/synchronized")
Runner = Callable[[Sequence[str]], str]


def _run(argv: Sequence[str]) -> str:
    """A command's stdout; OSError or CalledProcessError when it cannot answer."""
    return subprocess.run(list(argv), capture_output=True, text=True, timeout=5, check=True).stdout


def clock(run: Runner = _run, timesync_file: Path = TIMESYNC_FILE) -> Result:
    """Whether the clock is synchronised. First ``timedatectl show -p NTPSynchronized``: it is
    the kernel's own flag (adjtimex), so it is right whichever NTP client sets the clock
    (timesyncd, chrony). When timedatectl cannot answer (no systemd, no D-Bus in a sandbox), the
    file systemd-timesyncd leaves once synchronised. A Pi without a battery-backed clock starts at
    its last shutdown's time: rep times are wrong until it syncs, hence a warning, not a pass.

        >>> clock(lambda argv: "yes\\n").outcome, clock(lambda argv: "no\\n").outcome
        ('pass', 'warn')
    """
    try:
        answer = run(["timedatectl", "show", "-p", "NTPSynchronized", "--value"]).strip()
    except (OSError, subprocess.SubprocessError):
        answer = ""
    if answer in ("yes", "no"):
        synced, how = answer == "yes", "timedatectl NTPSynchronized"
    elif timesync_file.exists():
        synced, how = True, str(timesync_file)
    else:
        return Result("clock", "Clock", "skipped", "cannot tell: timedatectl did not answer and "
                      f"{timesync_file} is absent (no systemd here?)", {"synchronised": None, "how": None})
    figures = {"synchronised": synced, "how": how, "time": time.strftime("%Y-%m-%d %H:%M:%S %Z")}
    if synced:
        return Result("clock", "Clock", "pass", f"synchronised ({how})", figures)
    return Result("clock", "Clock", "warn", f"not synchronised ({how}): rep times may be wrong until it "
                  "is; can this network reach an NTP server (UDP port 123)?", figures)


# ---------------------------------------------------------------- disk

# 8 MiB: several times the few MiB a card's controller may hold in its cache, so the fsync waits
# on the flash itself, yet under a second at 10 MB/s (the SD Association's Class 10 minimum
# sequential write), short enough for a check.
WRITE_MIB = 8
SLOW_MB_S = 10.0  # below Class 10's minimum: a slow, fake or worn card
# Room for the rep log to grow, its backup copy and Raspberry Pi OS's updates (a few hundred MB).
LOW_FREE_MB, FEW_FREE_MB = 200, 1024


def disk(data_dir: Path, write_mib: int = WRITE_MIB) -> Result:
    """Free space in the data folder, and the card's write speed: ``write_mib`` MiB of random
    bytes (a compressing layer cannot shortcut them) written and fsynced to a file there, then
    removed."""
    figures: dict[str, Any] = {"folder": str(data_dir), "written_mib": write_mib}
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        free_mb = figures["free_mb"] = shutil.disk_usage(data_dir).free // 2**20
    except OSError as exc:
        return Result("disk", "Disk", "fail", f"the data folder {data_dir} cannot be used: "
                      f"{exc.strerror or exc}", figures)
    probe = data_dir / ".bringup-write-test"
    chunk = os.urandom(2**20)
    try:
        t0 = time.perf_counter()
        with open(probe, "wb") as out:
            for _ in range(write_mib):
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        seconds = time.perf_counter() - t0
    except OSError as exc:
        return Result("disk", "Disk", "fail", f"cannot write to {data_dir}: {exc.strerror or exc}", figures)
    finally:
        with contextlib.suppress(OSError):
            probe.unlink()
    speed = write_mib * 2**20 / 1e6 / max(seconds, 1e-6)
    figures["write_mb_s"] = round(speed, 1)
    words = f"{free_mb} MB free; writes {speed:.1f} MB/s ({write_mib} MiB, fsynced)"
    if free_mb < LOW_FREE_MB:
        return Result("disk", "Disk", "fail", words + f": under {LOW_FREE_MB} MB, the rep log will fill it",
                      figures)
    if free_mb < FEW_FREE_MB or speed < SLOW_MB_S:
        why = (f"under {FEW_FREE_MB} MB free" if free_mb < FEW_FREE_MB
               else f"slower than {SLOW_MB_S:g} MB/s (Class 10): a slow or worn card")
        return Result("disk", "Disk", "warn", f"{words}: {why}", figures)
    return Result("disk", "Disk", "pass", words, figures)


# ---------------------------------------------------------------- pose engine


def pose_speed(measure: Callable[[], dict[str, Any]], camera_fps: float) -> Result:
    """The pose engine's speed on this CPU for both landmark models. ``measure()`` is
    :func:`station.runtime.model_choice.choose_model` on the station: it times the float and int8
    landmark steps (interleaved, medians) and keeps the faster as this device's choice for
    ``pose_model = auto``, so the bring-up and the model choice are one measurement. A tracked
    frame costs about one landmark step: slower than the camera's frame interval, the station
    drops frames (a warning).

        >>> pose_speed(lambda: {"model": "full_int8", "float_ms": 30.0, "int8_ms": 20.0,
        ...                     "reason": "int8 is faster on this CPU", "threads": 4}, 30).outcome
        'pass'
        >>> pose_speed(lambda: {"model": "full", "float_ms": 50.0, "int8_ms": None,
        ...                     "reason": "int8 not built", "threads": 4}, 30).outcome
        'warn'
    """
    try:
        choice = measure()
    except Exception as exc:  # ModelError (its message says how to fix it), a runtime that fails
        return Result("pose", "Pose engine", "fail", f"cannot be timed: {exc}")
    budget = 1000.0 / camera_fps
    chosen = choice["model"]
    chosen_ms = choice["int8_ms"] if chosen == "full_int8" else choice["float_ms"]
    figures = {k: choice.get(k) for k in ("float_ms", "int8_ms", "model", "reason", "threads")}
    figures["frame_budget_ms"] = round(budget, 1)
    timings = f"float {choice['float_ms']:.1f} ms" + (
        f", int8 {choice['int8_ms']:.1f} ms" if choice.get("int8_ms") is not None else "")
    words = f"landmark step {timings} on {choice.get('threads')} threads; {choice.get('reason')}"
    if chosen_ms > budget:
        return Result("pose", "Pose engine", "warn", f"{words}: slower than the camera's {budget:.0f} ms "
                      "per frame, frames will be dropped", figures)
    return Result("pose", "Pose engine", "pass", f"{words} (a frame every {budget:.0f} ms)", figures)


# ---------------------------------------------------------------- network

SIOCGIFADDR = 0x8915  # Linux's ioctl for an interface's IPv4 address (linux/sockios.h)


def lan_addresses() -> list[str]:
    """The IPv4 addresses of this computer's interfaces, loopback left out (Linux; empty
    elsewhere). Read from the kernel, so no package (netifaces, psutil) is needed."""
    found: list[str] = []
    with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for _, name in socket.if_nameindex():
            request = struct.pack("256s", name.encode()[:15])
            try:
                answer = fcntl.ioctl(s.fileno(), SIOCGIFADDR, request)  # bytes in: the answer is returned
            except OSError:  # an interface without an IPv4 address
                continue
            # struct ifreq: the name (16 bytes), then a sockaddr_in: family (2), port (2), address (4)
            address = socket.inet_ntoa(answer[20:24])
            if not address.startswith("127."):
                found.append(address)
    return found


def network(port: int, host: str | None, addresses: Sequence[str] | None = None,
            hostname: str | None = None) -> Result:
    """The addresses members will open: each LAN address and ``<hostname>.local`` (published
    over mDNS by the image) with the web port. ``host`` is what the pages are served on when
    known: 127.0.0.1 serves only this computer.

        >>> network(8000, "0.0.0.0", ["192.168.1.20"], "wall1").detail
        'members open http://wall1.local:8000/ or http://192.168.1.20:8000/'
        >>> network(8000, None, [], "wall1").outcome
        'fail'
    """
    addresses = list(lan_addresses() if addresses is None else addresses)
    hostname = hostname or socket.gethostname()
    urls = [f"http://{hostname}.local:{port}/"] + [f"http://{a}:{port}/" for a in addresses]
    figures = {"addresses": addresses, "hostname": hostname, "port": port, "served_on": host, "urls": urls}
    if not addresses:
        return Result("network", "Network address", "fail", "no network address: is the Wi-Fi set or the "
                      "cable in?", figures)
    if host in ("127.0.0.1", "localhost", "::1"):
        return Result("network", "Network address", "warn", f"served only on this computer ({host}); "
                      f"the LAN would use {' or '.join(urls)}", figures)
    return Result("network", "Network address", "pass", "members open " + " or ".join(urls), figures)
