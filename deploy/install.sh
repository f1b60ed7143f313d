#!/usr/bin/env bash
# Install (or remove) Hinge Station on Raspberry Pi OS Lite, Bookworm (Python 3.11) or Trixie
# (Python 3.13). Run as root on the Pi, from the source tree:
#
#   sudo deploy/install.sh                 # install or update; a second run changes nothing
#   sudo deploy/install.sh --uninstall     # remove the station, keep the rep log and settings
#   sudo deploy/install.sh --uninstall --purge-data
#
# Options:
#   --skip-pi-packages   not a Pi (e.g. an amd64 test root): skip python3-picamera2, python3-lgpio
#   --models-from DIR    copy the two models from DIR (verified) instead of downloading them
#   --from PATH          install the station from this wheel or source folder (default: this tree)
#   --no-start           enable the service but do not start it now
set -euo pipefail

APP=hinge-station
APP_USER=hinge-station
PREFIX=/opt/hinge-station
VENV=$PREFIX/venv
DATA=/var/lib/hinge-station
UNIT=/etc/systemd/system/$APP.service
DEFAULTS=/etc/default/$APP
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SOURCE=$(dirname "$HERE")

skip_pi=0
models_from=""
uninstall=0
purge=0
start=1
current="starting"
# What the running station read at its start and this run replaced: any of it means a restart
# (the process keeps the old code in memory and would import new modules later, issue 25 item 5).
changed=()

say() { printf '==> %s\n' "$*"; }
same() { printf '    %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }
trap 'printf "error: step \"%s\" failed (line %s); nothing after it was done\n" "$current" "$LINENO" >&2' ERR

while [ $# -gt 0 ]; do
    case "$1" in
        --skip-pi-packages) skip_pi=1 ;;
        --models-from) models_from=${2:?--models-from needs a folder}; shift ;;
        --from) SOURCE=${2:?--from needs a wheel or a folder}; shift ;;
        --uninstall) uninstall=1 ;;
        --purge-data) purge=1 ;;
        --no-start) start=0 ;;
        -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
        *) die "unknown option $1 (see --help)" ;;
    esac
    shift
done

[ "$(id -u)" -eq 0 ] || die "run as root (sudo $0)"
systemd_up=0
[ -d /run/systemd/system ] && systemd_up=1

# Put a file in place only when its content differs: a second run leaves every file alone.
place() {  # place MODE SRC DEST
    local mode=$1 src=$2 dest=$3
    if [ -f "$dest" ] && cmp -s "$src" "$dest"; then
        same "$dest unchanged"
        return 1
    fi
    install -m "$mode" "$src" "$dest"
    say "wrote $dest"
}

if [ "$uninstall" -eq 1 ]; then
    current="remove the service"
    # The image's first-boot and kiosk units too: they would point at files removed below.
    for unit in "$APP.service" hinge-firstboot.service hinge-kiosk.service; do
        [ -f "/etc/systemd/system/$unit" ] || continue
        if [ "$systemd_up" -eq 1 ]; then systemctl disable --now "$unit" || true; fi
        rm -f "/etc/systemd/system/$unit" /etc/systemd/system/*.target.wants/"$unit"
    done
    if [ "$systemd_up" -eq 1 ]; then systemctl daemon-reload; fi
    rm -f "$DEFAULTS"
    current="remove the program"
    rm -rf "$PREFIX"
    if [ "$purge" -eq 1 ]; then
        current="remove the data"
        rm -rf "$DATA"
        if id "$APP_USER" >/dev/null 2>&1; then userdel "$APP_USER"; fi
        say "removed Hinge Station and its data"
    else
        say "removed Hinge Station; the rep log and settings stay in $DATA (--purge-data removes them)"
    fi
    exit 0
fi

current="check the system"
# shellcheck disable=SC1091
. /etc/os-release
case "${VERSION_CODENAME:-}" in
    bookworm|trixie) ;;
    *) say "warning: made for Raspberry Pi OS / Debian bookworm or trixie, this is ${PRETTY_NAME:-unknown}" ;;
esac

current="install apt packages"
packages=(python3 python3-venv python3-pip ca-certificates)
if [ "$skip_pi" -eq 0 ]; then
    packages+=(python3-picamera2 python3-libcamera python3-lgpio avahi-daemon)
else
    say "skipping the Pi-only packages (python3-picamera2, python3-lgpio): --skip-pi-packages"
fi
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
    say "installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
    same "apt packages present"
fi
# Stall recovery needs picamera2 0.3.20 or newer (a numeric capture timeout and
# cancel_all_and_flush; in 0.3.19 wait=0.5 blocks for ever): an older image keeps its old one
# above, so upgrade it, and stop here if apt has nothing newer (issue 25 item 3).
if [ "$skip_pi" -eq 0 ]; then
    current="check python3-picamera2's version"
    picamera2_version=$(dpkg-query -W -f='${Version}' python3-picamera2)
    if ! dpkg --compare-versions "$picamera2_version" ge 0.3.20; then
        say "python3-picamera2 $picamera2_version is older than 0.3.20: upgrading it"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --only-upgrade python3-picamera2 >/dev/null
        picamera2_version=$(dpkg-query -W -f='${Version}' python3-picamera2)
        dpkg --compare-versions "$picamera2_version" ge 0.3.20 \
            || die "python3-picamera2 is still $picamera2_version after an upgrade; the station needs 0.3.20 or newer. Check the Raspberry Pi apt source (/etc/apt/sources.list.d/raspi.list or raspi.sources), then: sudo apt update && sudo apt install --only-upgrade python3-picamera2"
    fi
    same "python3-picamera2 $picamera2_version"
fi

current="check Python"
python3 -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' \
    || die "Python 3.11 or newer is needed, found $(python3 --version)"

current="create the system user"
if id "$APP_USER" >/dev/null 2>&1; then
    same "user $APP_USER exists"
else
    useradd --system --home-dir "$DATA" --no-create-home --shell /usr/sbin/nologin "$APP_USER"
    say "created user $APP_USER"
fi
# The unit asks for these groups: a missing one stops it at start (status 216/GROUP). Raspberry
# Pi OS has both; another system on a Pi may lack gpio.
for group in video gpio; do
    if ! getent group "$group" >/dev/null; then
        groupadd --system "$group"
        say "created group $group"
    fi
done
for group in video gpio render; do
    if getent group "$group" >/dev/null && ! id -nG "$APP_USER" | tr ' ' '\n' | grep -qx "$group"; then
        usermod -aG "$group" "$APP_USER"
        say "added $APP_USER to $group"
    fi
done

current="create the virtual environment"
if [ -x "$VENV/bin/python" ]; then
    same "virtual environment $VENV exists"
else
    install -d -m 0755 "$PREFIX"
    # System site packages: apt's picamera2 and lgpio are visible (pip may not install them, PEP 668).
    python3 -m venv --system-site-packages "$VENV"
    say "created $VENV"
fi

current="choose the lock"
# Every package comes from a lock in requirements/ (exact versions, each file's sha256; made by
# `make lock`), chosen by what this system is: its Python and, on Raspberry Pi OS, Debian's numpy,
# which must stay the venv's numpy (apt's picamera2 imports simplejpeg, built against it: a pip
# numpy would hide it and stop the station at start, "numpy.dtype size changed" on Bookworm).
LOCKS=$(dirname "$HERE")/requirements
py=$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')
system_numpy=$(python3 -I -c 'import numpy; print(numpy.__version__)' 2>/dev/null) || system_numpy=""
target() {  # target FILE KEY: a "# target-KEY: value" line of a lock's header
    sed -n "s/^# target-$2: //p;/^[a-z]/q" "$1"
}
lock=""
if [ -z "$system_numpy" ]; then
    lock=$LOCKS/station.txt  # no system numpy (not Raspberry Pi OS): numpy comes from the lock
else
    for candidate in "$LOCKS"/pi-*.txt; do
        want=$(sed -n 's/^# system-numpy: //p;/^[a-z]/q' "$candidate")
        # The same Python and the same numpy release (1.24.x keeps 1.24's ABI).
        if [ "$(target "$candidate" python)" = "$py" ] && [ "${want%.*}" = "${system_numpy%.*}" ]; then
            lock=$candidate
        fi
    done
fi
{ [ -n "$lock" ] && [ -f "$lock" ]; } || die "no lock in $LOCKS for Python $py with the system's numpy \
${system_numpy:-(none)}: the locks are for Raspberry Pi OS Bookworm (3.11, numpy 1.24) and Trixie (3.13, \
numpy 2.2), see requirements/README.md"
same "lock $(basename "$lock") (Python $py${system_numpy:+, system numpy $system_numpy})"

current="install the station"
if [ -d "$SOURCE" ]; then
    stamp=$(cd "$SOURCE" && find pyproject.toml README.md station -type f ! -path '*/__pycache__/*' -print0 \
        | sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)
else
    [ -f "$SOURCE" ] || die "--from $SOURCE: no such wheel or folder"
    stamp=$(sha256sum "$SOURCE" | cut -d' ' -f1)
fi
# lgpio: apt's python3-lgpio (Raspberry Pi OS) when it is there, built for this system; else
# PyPI's from its own lock, which has a wheel for Python 3.11 only (none for 3.13: pip would need
# swig and a compiler). find_spec, not import: importing lgpio makes a file in the working directory.
lgpio_lock=""
if [ "$skip_pi" -eq 0 ]; then
    if python3 -I -c 'import importlib.util, sys; sys.exit(importlib.util.find_spec("lgpio") is None)' 2>/dev/null; then
        same "lgpio from apt"
    elif [ "$(target "$LOCKS/pi-lgpio.txt" python)" = "$py" ]; then
        lgpio_lock=$LOCKS/pi-lgpio.txt
    else
        say "warning: no lgpio for Python $py (apt has no python3-lgpio, PyPI no wheel): the pins will not open"
    fi
fi
locked=$(cat "$lock" ${lgpio_lock:+"$lgpio_lock"} | sha256sum | cut -d' ' -f1)
stamp=$(printf '%s %s' "$stamp" "$locked" | sha256sum | cut -d' ' -f1)
if [ -f "$PREFIX/installed.sha256" ] && [ "$(cat "$PREFIX/installed.sha256")" = "$stamp" ]; then
    same "station already installed from this source and lock"
else
    say "installing the station into $VENV from $(basename "$lock") (this takes a few minutes on a Pi)${system_numpy:+; numpy stays at the system $system_numpy}"
    pip=("$VENV/bin/pip" install --quiet --disable-pip-version-check --no-warn-script-location)
    # No cache left behind (about 45 MB of wheels in /root/.cache/pip, on a card or in the image)
    # unless the caller asks for one: the arm64 rig sets PIP_CACHE_DIR to a cache it keeps.
    [ -n "${PIP_CACHE_DIR:-}" ] || pip+=(--no-cache-dir)
    # --require-hashes: every file checked against the lock; --no-deps: the lock is complete.
    "${pip[@]}" --require-hashes --no-deps -r "$lock" ${lgpio_lock:+-r "$lgpio_lock"}
    # The station itself, built with the lock's setuptools (no isolated build fetching another).
    "${pip[@]}" --no-deps --no-build-isolation "$SOURCE"
    "$VENV/bin/python" -c 'import cv2, numpy, ai_edge_litert.interpreter as i; print("    numpy", numpy.__version__, "from", numpy.__file__.rsplit("/", 3)[0] + ", OpenCV", cv2.__version__)'
    echo "$stamp" > "$PREFIX/installed.sha256"
    changed+=(code)
    [ -f "$SOURCE/README.md" ] && install -m 0644 "$SOURCE/README.md" "$PREFIX/README.md"
fi

current="create the data directory"
if [ -d "$DATA" ] && [ "$(stat -c '%U %a' "$DATA")" = "$APP_USER 750" ]; then
    same "data directory $DATA ready"
else
    install -d -o "$APP_USER" -g "$APP_USER" -m 0750 "$DATA"
    say "created $DATA"
fi

current="fetch and verify the models"
# The station's own models folder, made first: without it the station would look in the shared
# model cache of the user running it (station/config/paths.py), which the service cannot read.
install -d -o "$APP_USER" -g "$APP_USER" -m 0750 "$DATA/models"
if "$VENV/bin/station" models check --data "$DATA" >/dev/null 2>&1; then
    same "models verified in $DATA/models"
else
    if [ -n "$models_from" ]; then
        install -o "$APP_USER" -g "$APP_USER" -m 0640 "$models_from/pose_detection.tflite" \
            "$models_from/pose_landmark_full.tflite" "$DATA/models/"
    else
        "$VENV/bin/station" models fetch --quiet --data "$DATA"
        chown -R "$APP_USER:$APP_USER" "$DATA/models"
    fi
    "$VENV/bin/station" models check --data "$DATA" || die "the models did not verify"
    changed+=(models)
fi

current="write the settings file"
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
cat > "$tmp" <<EOF
# Hinge Station environment (written by deploy/install.sh)
STATION_DATA=$DATA
GPIOZERO_PIN_FACTORY=lgpio
EOF
if place 0644 "$tmp" "$DEFAULTS"; then changed+=("settings file"); fi

current="install the systemd unit"
# What to do with the service: service_action START RUNNING CHANGES (START 1 unless --no-start,
# RUNNING 1 when it is active, CHANGES the count of things replaced above). A running station is
# restarted when anything it read at its start changed (its code, models, settings file or unit),
# not only the unit; one that is not running is started; --no-start touches neither.
service_action() {
    local start=$1 running=$2 changes=$3
    if [ "$start" -eq 0 ]; then
        if [ "$running" -eq 1 ] && [ "$changes" -gt 0 ]; then echo stale; else echo none; fi
    elif [ "$running" -eq 0 ]; then
        echo start
    elif [ "$changes" -gt 0 ]; then
        echo restart
    else
        echo keep
    fi
}
unit_changed=0
if place 0644 "$HERE/station.service" "$UNIT"; then unit_changed=1; changed+=(unit); fi

current="enable the service"
wants=/etc/systemd/system/multi-user.target.wants
if [ "$systemd_up" -eq 1 ]; then
    [ "$unit_changed" -eq 1 ] && systemctl daemon-reload
    if systemctl is-enabled --quiet "$APP.service"; then
        same "service enabled"
    else
        systemctl enable --quiet "$APP.service"
        say "enabled $APP.service"
    fi
    running=0
    systemctl is-active --quiet "$APP.service" && running=1
    what=$(printf '%s, ' "${changed[@]}")
    what=${what%, }
    case "$(service_action "$start" "$running" "${#changed[@]}")" in
        restart) systemctl restart "$APP.service"; say "restarted $APP.service ($what changed)" ;;
        start) systemctl start "$APP.service"; say "started $APP.service" ;;
        keep) same "$APP.service running, nothing it uses changed" ;;
        stale) say "warning: --no-start: the running station still uses the old $what: systemctl restart $APP" ;;
        none) ;;
    esac
    if [ "$start" -eq 1 ]; then
        say "the station runs: http://$(hostname).local:8000/ (staff: journalctl -u $APP shows the setup code)"
    fi
elif [ -L "$wants/$APP.service" ]; then
    same "service enabled (systemd is not running here: it starts on the next boot)"
else
    # No running systemd (an image build or a chroot): enable as systemctl would, by the symlink.
    install -d -m 0755 "$wants"
    ln -s "$UNIT" "$wants/$APP.service"
    say "enabled $APP.service (starts on the next boot)"
fi
say "done"
