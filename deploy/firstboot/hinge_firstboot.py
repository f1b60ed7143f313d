#!/usr/bin/env python3
"""First boot of a Hinge Station image: apply the installer's settings file, then scrub its secrets.

The file is /boot/firmware/hinge-station.txt (the FAT boot partition, editable on any computer
after flashing), ``key=value`` lines, ``#`` comments:

    hostname=hinge-station-2
    wifi_ssid=Gym Staff
    wifi_password=...
    wifi_country=GB
    timezone=Europe/London
    staff_setup_code=orange-dowel-42

Only the standard library: this runs before the station's own environment is used. It runs once:
it leaves a marker (``--done``), and the unit does not start again while the marker exists.
``--dry-run`` prints the commands instead of running them (tests use it).
"""

from __future__ import annotations

import argparse
import os
import pwd
import re
import subprocess
import sys
from pathlib import Path

BOOT_FILE = Path("/boot/firmware/hinge-station.txt")
DATA = Path("/var/lib/hinge-station")
# Written after the first run, whatever its outcome; the unit does not start while it exists.
DONE = Path("/var/lib/hinge-firstboot/done")
HOSTS = Path("/etc/hosts")
NOTHING_APPLIED = 2
KEYS = ("hostname", "wifi_ssid", "wifi_password", "wifi_country", "timezone", "staff_setup_code")
SECRETS = ("wifi_password", "staff_setup_code")
HOSTNAME = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
CODE = re.compile(r"^[A-Za-z0-9-]{6,64}$")


class FirstBootError(ValueError):
    pass


def parse(text: str, zoneinfo: Path = Path("/usr/share/zoneinfo")) -> tuple[dict[str, str], list[str]]:
    """The settings and the warnings (unknown keys); FirstBootError for a value that cannot be used."""
    values: dict[str, str] = {}
    warnings: list[str] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if "=" not in line:
            raise FirstBootError(f"line {number}: expected key=value, got {line!r}")
        key, value = (part.strip() for part in line.split("=", 1))
        if key not in KEYS:
            warnings.append(f"line {number}: unknown key {key!r} ignored")
            continue
        values[key] = value
    if "hostname" in values and not HOSTNAME.match(values["hostname"]):
        raise FirstBootError("hostname: lower-case letters, digits and dashes, at most 63")
    if "wifi_country" in values and not re.fullmatch(r"[A-Z]{2}", values["wifi_country"]):
        raise FirstBootError("wifi_country: two capital letters, e.g. GB")
    if "wifi_ssid" in values and not 1 <= len(values["wifi_ssid"].encode()) <= 32:
        raise FirstBootError("wifi_ssid: 1 to 32 bytes")
    if "wifi_password" in values and not 8 <= len(values["wifi_password"]) <= 63:
        raise FirstBootError("wifi_password: 8 to 63 characters")
    if "wifi_password" in values and "wifi_ssid" not in values:
        raise FirstBootError("wifi_password given without wifi_ssid")
    if "timezone" in values:
        tz = values["timezone"]
        if ".." in tz or not (zoneinfo / tz).is_file():
            raise FirstBootError(f"timezone: {tz!r} is not a known time zone (e.g. Europe/London)")
    if "staff_setup_code" in values and not CODE.match(values["staff_setup_code"]):
        raise FirstBootError("staff_setup_code: 6 to 64 letters, digits or dashes")
    return values, warnings


def scrub(text: str) -> str:
    """The file without its secrets (other lines, comments included, stay as they were)."""
    kept = []
    for raw in text.splitlines():
        key = raw.split("=", 1)[0].strip() if "=" in raw else ""
        if key in SECRETS:
            kept.append(f"# {key} was applied at first boot and removed")
        else:
            kept.append(raw)
    return "\n".join(kept) + "\n"


def commands(values: dict[str, str]) -> list[list[str]]:
    cmds = []
    if "hostname" in values:
        cmds.append(["hostnamectl", "set-hostname", values["hostname"]])
    if "timezone" in values:
        cmds.append(["timedatectl", "set-timezone", values["timezone"]])
    if "wifi_country" in values:
        cmds.append(["raspi-config", "nonint", "do_wifi_country", values["wifi_country"]])
    if "wifi_ssid" in values:
        cmd = ["nmcli", "connection", "add", "type", "wifi", "ifname", "wlan0", "con-name", "hinge-wifi",
               "ssid", values["wifi_ssid"], "connection.autoconnect", "yes"]
        if "wifi_password" in values:
            cmd += ["wifi-sec.key-mgmt", "wpa-psk", "wifi-sec.psk", values["wifi_password"]]
        cmds.append(cmd)
    return cmds


def hosts_naming(text: str, hostname: str) -> str:
    """/etc/hosts with its 127.0.1.1 line naming ``hostname``. hostnamectl changes /etc/hostname
    only; the old name left here makes sudo say "unable to resolve host". Debian keeps the host's
    own name on 127.0.1.1 (pi-gen's stage1/02-net-tweaks/00-run.sh line 4 writes that line), and
    Raspberry Pi's own rename rewrites it after hostnamectl (raspi-config's do_hostname, bookworm
    9c55e7b lines 877-882, which Imager's firstrun reaches through raspberrypi-sys-mods'
    imager_custom set_hostname). Here every 127.0.1.1 line is replaced, whatever name it had, and
    one is added when there is none."""
    lines = text.splitlines()
    entry = f"127.0.1.1\t{hostname}"
    out = [entry if line.split()[:1] == ["127.0.1.1"] else line for line in lines]
    if entry not in out:
        out.append(entry)
    return "\n".join(out) + "\n"


def write_hosts(path: Path, hostname: str) -> None:
    """Rewrite ``path`` in place of the old one at once (a half-written hosts file breaks lookups)."""
    new = hosts_naming(path.read_text(encoding="utf-8") if path.exists() else "", hostname)
    tmp = path.with_name(path.name + ".hinge-firstboot")
    tmp.write_text(new, encoding="utf-8")
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def write_setup_code(code: str, data: Path, user: str = "hinge-station") -> None:
    data.mkdir(parents=True, exist_ok=True)
    path = data / "setup_code"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(code + "\n")
    try:
        entry = pwd.getpwnam(user)
        os.chown(path, entry.pw_uid, entry.pw_gid)
    except KeyError:
        pass


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Apply the first-boot settings file.")
    parser.add_argument("--file", type=Path, default=BOOT_FILE)
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--done", type=Path, default=DONE, help="the marker this run leaves")
    parser.add_argument("--hosts", type=Path, default=HOSTS, help="the hosts file the new hostname goes into")
    parser.add_argument("--dry-run", action="store_true")
    args = parser.parse_args(argv)
    if args.done.exists():
        print(f"hinge-firstboot: already ran ({args.done}); nothing to do")
        return 0
    if not args.file.exists():
        print(f"hinge-firstboot: no {args.file}; nothing to do")
        return 0
    code = apply(args)
    if code == NOTHING_APPLIED:  # no marker: the corrected file is applied at the next boot
        return 1
    if args.dry_run:
        return code
    args.done.parent.mkdir(parents=True, exist_ok=True)
    args.done.write_text(f"exit {code}\n", encoding="utf-8")
    return code


def apply(args: argparse.Namespace) -> int:
    """Apply the file once and scrub its secrets; 0 when every command succeeded."""
    text = args.file.read_text(encoding="utf-8", errors="replace")
    try:
        values, warnings = parse(text)
    except FirstBootError as exc:
        print(f"hinge-firstboot: error in {args.file}: {exc}; nothing applied", file=sys.stderr)
        # Nothing applied, but the secrets still leave the readable boot partition; the reason
        # goes into the file for the installer, who re-enters them.
        note = f"# hinge-firstboot: ERROR, nothing applied: {exc}. Secrets removed: enter them again.\n"
        args.file.write_text(note + scrub(text), encoding="utf-8")
        return NOTHING_APPLIED
    for w in warnings:
        print(f"hinge-firstboot: {w}", file=sys.stderr)
    failed = 0
    for cmd in commands(values):
        shown = " ".join("***" if values.get("wifi_password") == c else c for c in cmd)
        if args.dry_run:
            print(f"would run: {shown}")
            continue
        try:
            ok = subprocess.run(cmd, check=False).returncode == 0
        except OSError as exc:  # a missing tool must not stop the secrets being scrubbed
            print(f"hinge-firstboot: {exc}", file=sys.stderr)
            ok = False
        if not ok:
            print(f"hinge-firstboot: failed: {shown}", file=sys.stderr)
            failed += 1
    if "hostname" in values:
        if args.dry_run:
            print(f"would write: {args.hosts}: 127.0.1.1 {values['hostname']}")
        else:
            try:
                write_hosts(args.hosts, values["hostname"])
            except OSError as exc:
                print(f"hinge-firstboot: {args.hosts}: {exc}", file=sys.stderr)
                failed += 1
    if "staff_setup_code" in values:
        write_setup_code(values["staff_setup_code"], args.data)
    # Secrets leave the boot partition whatever happened: it is readable on any computer.
    args.file.write_text(scrub(text), encoding="utf-8")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
