"""Deploy files: shellcheck, systemd's own checks, the first-boot parser, and a real install in a
fresh Debian Bookworm root made with debootstrap."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import types
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
IN_CI = bool(os.environ.get("CI"))
CACHE = Path.home() / ".cache" / "hinge-station"


def need(tool: str) -> str:
    found = shutil.which(tool)
    if found:
        return found
    reason = f"{tool} is not installed (`make test` installs it when CI is set)"
    if IN_CI:
        pytest.fail(reason + " and CI is set")
    pytest.skip(reason)


def scripts() -> list[Path]:
    return sorted(p for p in [*DEPLOY.rglob("*.sh"), *(ROOT / "benchmarks").glob("*.sh")])


def test_every_script_is_shellcheck_clean() -> None:
    shellcheck = need("shellcheck")
    found = scripts()
    assert len(found) >= 6
    done = subprocess.run([shellcheck, "-x", *map(str, found)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout


def unit_copy(tmp_path: Path, name: str) -> Path:
    """The unit with its program paths pointed at a binary that exists here (verify checks them)."""
    text = (DEPLOY / name).read_text()
    text = re.sub(r"ExecStart=\S+", "ExecStart=/bin/true", text)
    out = tmp_path / ("hinge-station.service" if name == "station.service" else Path(name).name)
    out.write_text(text)
    return out


@pytest.mark.parametrize("name", ["station.service", "firstboot/hinge-firstboot.service",
                                  "kiosk/hinge-kiosk.service"])
def test_units_pass_systemd_analyze_verify(tmp_path, name) -> None:
    analyze = need("systemd-analyze")
    done = subprocess.run([analyze, "verify", str(unit_copy(tmp_path, name))], capture_output=True, text=True)
    problems = [line for line in (done.stdout + done.stderr).splitlines()
                if "hinge" in line.lower() or "station" in line.lower()]
    assert done.returncode == 0 and not problems, done.stdout + done.stderr


def test_station_unit_exposure_is_4_or_lower(tmp_path) -> None:
    analyze = need("systemd-analyze")
    done = subprocess.run([analyze, "security", "--offline=yes", str(unit_copy(tmp_path, "station.service"))],
                          capture_output=True, text=True)
    match = re.search(r"Overall exposure level for \S+: ([0-9.]+)", done.stdout)
    assert match, done.stdout + done.stderr
    exposure = float(match.group(1))
    print(f"systemd-analyze security: exposure {exposure}")
    assert exposure <= 4.0
    unit = (DEPLOY / "station.service").read_text()
    for line in ("Type=notify", "WatchdogSec=", "Restart=on-failure", "StartLimitBurst=",
                 "NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes",
                 "ReadWritePaths=/var/lib/hinge-station", "User=hinge-station",
                 "SupplementaryGroups=video gpio", "MemoryMax=", "TasksMax="):
        assert line in unit


def test_a_restart_staff_ask_for_is_not_a_failure_and_is_restarted() -> None:
    from station.runtime.restart import EXIT_RESTART, MIN_UPTIME_S

    unit = (DEPLOY / "station.service").read_text()
    assert f"SuccessExitStatus={EXIT_RESTART}\n" in unit
    assert f"RestartForceExitStatus={EXIT_RESTART}\n" in unit
    burst = int(re.search(r"StartLimitBurst=(\d+)", unit).group(1))
    interval = int(re.search(r"StartLimitIntervalSec=(\d+)", unit).group(1))
    # Restarts on purpose, one per MIN_UPTIME_S at most, leave at least one start for a crash.
    assert interval / MIN_UPTIME_S < burst


def firstboot():
    path = DEPLOY / "firstboot" / "hinge_firstboot.py"
    spec = importlib.util.spec_from_file_location("hinge_firstboot", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_firstboot_parses_validates_and_scrubs_secrets(tmp_path) -> None:
    fb = firstboot()
    zones = tmp_path / "zoneinfo" / "Europe"
    zones.mkdir(parents=True)
    (zones / "London").write_text("TZif")
    text = ("# comment\nhostname=hinge-2\nwifi_ssid=Gym Staff\nwifi_password=s3cret-pass\nwifi_country=GB\n"
            "timezone=Europe/London\nstaff_setup_code=orange-dowel-42\ncolour=blue\n")
    values, warnings = fb.parse(text, zoneinfo=tmp_path / "zoneinfo")
    assert values["wifi_ssid"] == "Gym Staff" and values["hostname"] == "hinge-2"
    assert warnings == ["line 8: unknown key 'colour' ignored"]
    scrubbed = fb.scrub(text)
    assert "s3cret-pass" not in scrubbed and "orange-dowel-42" not in scrubbed
    assert "hostname=hinge-2" in scrubbed and "# comment" in scrubbed
    cmds = fb.commands(values)
    assert ["hostnamectl", "set-hostname", "hinge-2"] in cmds and any("nmcli" in c for c in cmds)
    for bad, field in [("hostname=Not_OK", "hostname"), ("wifi_country=gb", "wifi_country"),
                       ("timezone=Mars/Base", "timezone"),
                       ("wifi_password=short\nwifi_ssid=x", "wifi_password"),
                       ("staff_setup_code=a b", "staff_setup_code"), ("just words", "key=value")]:
        with pytest.raises(fb.FirstBootError, match=field):
            fb.parse(bad, zoneinfo=tmp_path / "zoneinfo")


def test_firstboot_dry_run_writes_the_code_and_removes_secrets_from_the_file(tmp_path, capsys) -> None:
    fb = firstboot()
    boot = tmp_path / "hinge-station.txt"
    boot.write_text("hostname=hinge-3\nwifi_ssid=Gym\nwifi_password=long-enough\nstaff_setup_code=abc-123-xyz\n")
    assert fb.main(["--file", str(boot), "--data", str(tmp_path / "data"), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "would run: hostnamectl set-hostname hinge-3" in out and "long-enough" not in out
    code = tmp_path / "data" / "setup_code"
    assert code.read_text().strip() == "abc-123-xyz" and code.stat().st_mode & 0o777 == 0o600
    assert "long-enough" not in boot.read_text() and "abc-123-xyz" not in boot.read_text()
    bad = tmp_path / "bad.txt"
    bad.write_text("hostname=NOPE!\nwifi_password=keep-me-safe\n")
    assert fb.main(["--file", str(bad), "--data", str(tmp_path / "data"), "--dry-run"]) == 1
    assert "keep-me-safe" not in bad.read_text() and "ERROR" in bad.read_text()


def test_firstboot_runs_once_and_leaves_a_marker(tmp_path, monkeypatch) -> None:
    fb = firstboot()
    ran: list[list[str]] = []
    ok = subprocess.CompletedProcess([], 0)
    fake = types.SimpleNamespace(run=lambda cmd, check: ran.append(cmd) or ok)
    monkeypatch.setattr(fb, "subprocess", fake)
    boot, done = tmp_path / "hinge-station.txt", tmp_path / "state" / "done"
    boot.write_text("hostname=hinge-4\nwifi_ssid=Gym\nwifi_password=long-enough\n")
    args = ["--file", str(boot), "--data", str(tmp_path / "data"), "--done", str(done)]
    assert fb.main(args) == 0 and done.exists()
    assert any(cmd[0] == "nmcli" for cmd in ran)
    ran.clear()
    boot.write_text("hostname=hinge-5\nwifi_ssid=Gym\n")  # a second boot: nothing is applied again
    assert fb.main(args) == 0 and ran == []
    unit = (DEPLOY / "firstboot" / "hinge-firstboot.service").read_text()
    assert "ConditionPathExists=!/var/lib/hinge-firstboot/done" in unit
    assert re.search(r"^Before=.*avahi-daemon\.service", unit, re.M)
    # A file that cannot be parsed applies nothing and leaves no marker: the fix is applied next boot.
    done.unlink()
    boot.write_text("hostname=NOPE!\n")
    assert fb.main(args) == 1 and not done.exists()


def test_firstboot_puts_the_new_hostname_into_etc_hosts(tmp_path, monkeypatch) -> None:
    """hostnamectl alone leaves the image's name on 127.0.1.1 and sudo says "unable to resolve
    host" (issue 25 item 6): the hosts file names the new host, its other lines untouched."""
    fb = firstboot()
    ok = subprocess.CompletedProcess([], 0)
    monkeypatch.setattr(fb, "subprocess", types.SimpleNamespace(run=lambda cmd, check: ok))
    hosts = tmp_path / "hosts"
    # As pi-gen's stage1/02-net-tweaks writes it for TARGET_HOSTNAME=hinge-station.
    hosts.write_text("127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n"
                     "ff02::1\t\tip6-allnodes\n\n127.0.1.1\t\thinge-station\n")
    boot = tmp_path / "hinge-station.txt"
    boot.write_text("hostname=hinge-6\n")
    args = ["--file", str(boot), "--data", str(tmp_path / "data"), "--done", str(tmp_path / "done"),
            "--hosts", str(hosts)]
    assert fb.main(args) == 0
    lines = hosts.read_text().splitlines()
    assert [x for x in lines if x.startswith("127.0.1.1")] == ["127.0.1.1\thinge-6"]
    assert lines[:4] == ["127.0.0.1\tlocalhost", "::1\t\tlocalhost ip6-localhost ip6-loopback",
                         "ff02::1\t\tip6-allnodes", ""]
    assert fb.hosts_naming("127.0.0.1 localhost\n", "hinge-7") == "127.0.0.1 localhost\n127.0.1.1\thinge-7\n"


def test_the_image_config_passes_pi_gens_checks(tmp_path) -> None:
    check = DEPLOY / "pi-gen" / "check-config.sh"
    filled = tmp_path / "config"
    text = (DEPLOY / "pi-gen" / "config").read_text()
    filled.write_text(text.replace("FIRST_USER_PASS=\n", "FIRST_USER_PASS='long-enough-42'\n"))
    assert subprocess.run(["bash", str(check), str(filled)], capture_output=True).returncode == 0
    # As committed (no password), and as it was (ARCH in the config), pi-gen would stop at once.
    done = subprocess.run(["bash", str(check), str(DEPLOY / "pi-gen" / "config")], capture_output=True,
                          text=True)
    assert done.returncode == 1 and "FIRST_USER_PASS" in done.stderr
    filled.write_text(filled.read_text() + "ARCH=arm64\n")
    assert subprocess.run(["bash", str(check), str(filled)], capture_output=True).returncode == 1
    # A pi-gen checkout whose branch builds trixie while the config says bookworm.
    pigen = tmp_path / "pi-gen"
    for stage in ("stage0", "stage1", "stage2"):
        (pigen / stage).mkdir(parents=True)
    filled.write_text(text.replace("FIRST_USER_PASS=\n", "FIRST_USER_PASS='long-enough-42'\n"))
    for release, code in (("bookworm", 0), ("trixie", 1)):
        (pigen / "build.sh").write_text(f"export ARCH=arm64\nexport RELEASE=${{RELEASE:-{release}}} # x\n")
        done = subprocess.run(["bash", str(check), str(filled), str(pigen)], capture_output=True, text=True)
        assert done.returncode == code, done.stderr
    assert (DEPLOY / "pi-gen" / "stage-hinge" / "00-install" / "00-packages-nr").exists()


def fake_pigen(tmp_path: Path) -> Path:
    """The parts of a pi-gen bookworm-arm64 checkout that prepare.sh and these tests read: its stage
    folders, build.sh's ARCH and RELEASE lines, and stage2's EXPORT_IMAGE as upstream has it."""
    pigen = tmp_path / "pi-gen"
    for stage in ("stage0", "stage1", "stage2"):
        (pigen / stage).mkdir(parents=True)
    (pigen / "build.sh").write_text("export ARCH=arm64\nexport RELEASE=${RELEASE:-bookworm}\n")
    # The suffix pi-gen bookworm-arm64 d7a31c6a's stage2/EXPORT_IMAGE sets (line 1; lines 2-4 add
    # "-qemu" when USE_QEMU=1, which the image's config does not set).
    (pigen / "stage2" / "EXPORT_IMAGE").write_text('IMG_SUFFIX="-lite"\n')
    models = tmp_path / "models"
    models.mkdir()
    for name in ("pose_detection.tflite", "pose_landmark_full.tflite"):
        (models / name).write_bytes(b"model")
    done = subprocess.run(["bash", str(DEPLOY / "pi-gen" / "prepare.sh"), str(pigen), str(models)],
                          env={**os.environ, "HINGE_FIRST_USER_PASS": "long-enough-42"}, capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr
    return pigen


# What pi-gen's build.sh does with EXPORT_IMAGE files (bookworm-arm64 d7a31c6a): run_stage queues a
# stage that has one and no SKIP_IMAGES (lines 94-98); after the stages, each queued one's
# EXPORT_IMAGE is sourced into the same shell and export-image runs, naming the file with
# IMG_SUFFIX (lines 331-336; export-image/prerun.sh line 3).
EXPORTS = """
set -u
cd "$1"
. ./config
exports=""
for stage in $STAGE_LIST; do
    if [ ! -f "$stage/SKIP_IMAGES" ] && [ -f "$stage/EXPORT_IMAGE" ]; then exports="$exports $stage"; fi
done
USE_QEMU=0
for stage in $exports; do
    . "$stage/EXPORT_IMAGE"
    echo "$stage ${IMG_NAME}${IMG_SUFFIX:-}"
done
"""


def test_the_image_is_exported_once_without_the_lite_suffix(tmp_path) -> None:
    """Only stage-hinge's image, named hinge-station (issue 25 item 6): not stage2's Lite image first,
    and not stage2's IMG_SUFFIX="-lite" left over for ours."""
    pigen = fake_pigen(tmp_path)
    done = subprocess.run(["bash", "-c", EXPORTS, "exports", str(pigen)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["stage-hinge hinge-station"]


def test_the_stage_stages_the_models_outside_tmp(tmp_path) -> None:
    """on_chroot mounts a tmpfs on the root's /tmp when none is there (pi-gen's scripts/common): the
    models must wait elsewhere, and no pip cache may stay in the image (issue 25 item 6)."""
    pigen = fake_pigen(tmp_path)
    rootfs = tmp_path / "rootfs"
    (rootfs / "tmp").mkdir(parents=True)
    script = tmp_path / "chroot-script"
    # on_chroot as pi-gen defines it, minus the chroot: the commands it was given are kept.
    fake = f'on_chroot() {{ cat > {script}; }}; export -f on_chroot; ./00-run.sh'
    done = subprocess.run(["bash", "-c", fake], cwd=pigen / "stage-hinge" / "00-install", capture_output=True,
                          text=True, env={**os.environ, "ROOTFS_DIR": str(rootfs)})
    assert done.returncode == 0, done.stderr
    assert list((rootfs / "tmp").iterdir()) == []
    given = re.search(r"--models-from (\S+)", script.read_text())
    assert given is not None, script.read_text()
    staged = rootfs / given.group(1).lstrip("/")
    assert not given.group(1).startswith(("/tmp", "/run")) and (staged / "pose_detection.tflite").is_file()
    assert f"rm -rf {given.group(1)}" in script.read_text()


def pigen_checkout() -> Path:
    """pi-gen's checkout as `make pi-check` clones it into its cache (or $HINGE_PIGEN)."""
    rig_cache = Path(os.environ.get("HINGE_RIG_CACHE") or CACHE / "rig")
    folder = Path(os.environ.get("HINGE_PIGEN") or rig_cache / "pi-gen")
    if not (folder / "build.sh").exists():
        pytest.skip(f"no pi-gen checkout in {folder}: `sudo make pi-check` clones it (or set HINGE_PIGEN)")
    if os.geteuid() != 0:
        pytest.skip("pi-gen's build.sh runs as root only")
    return folder


def test_pi_gens_own_build_sh_accepts_the_image_config() -> None:
    """pi-gen's build.sh itself, every stage skipped: all its checks before the first stage pass on the
    prepared config, and the committed config (no password, rename wizard off) stops it, as it did."""
    pigen = pigen_checkout()
    for tool in ("quilt", "parted", "zerofree", "mkdosfs", "bsdtar", "rsync", "pigz", "arch-test", "capsh"):
        need(tool)  # pi-gen's `depends`: `make pi-check` installs them
    from station.config.paths import models_dir

    script = DEPLOY / "pi-gen" / "dry-run.sh"
    env = {**os.environ, "HINGE_FIRST_USER_PASS": "dry-run-only-42"}
    done = subprocess.run(["bash", str(script), str(pigen), str(models_dir())], env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0 and "Build finished" in done.stdout, done.stdout[-1500:] + done.stderr[-1500:]
    assert "User rename on the first boot is disabled" in done.stdout
    stages = re.search(r'^STAGE_LIST="([^"]+)"', (DEPLOY / "pi-gen" / "config").read_text(), re.M)
    assert stages is not None
    for stage in stages.group(1).split():
        assert re.search(rf"Begin /\S+/{stage}$", done.stdout, re.M), stage
    refused = subprocess.run(["bash", str(script), str(pigen), str(models_dir())], capture_output=True,
                             text=True, timeout=300,
                             env={**env, "HINGE_PIGEN_CONFIG": str(DEPLOY / "pi-gen" / "config")})
    assert refused.returncode == 1 and "FIRST_USER_PASS needs to be set" in refused.stdout, refused.stdout
    assert not (pigen / "config").exists() and not (pigen / "stage-hinge").exists()  # a scratch copy only


def test_pi_gens_own_build_sh_exports_one_image_named_hinge_station(tmp_path) -> None:
    """pi-gen's real build.sh on a prepared copy, every stage and the export's own steps skipped
    (SKIP), stage SKIP_IMAGES files left as prepare.sh makes them: the export loop runs once, for
    stage-hinge, with an empty IMG_SUFFIX (issue 25 item 6; before: twice, and "-lite")."""
    pigen = pigen_checkout()
    for tool in ("quilt", "parted", "zerofree", "mkdosfs", "bsdtar", "rsync", "pigz", "arch-test", "capsh"):
        need(tool)
    from station.config.paths import models_dir

    copy = tmp_path / "pi-gen"
    shutil.copytree(pigen, copy, symlinks=True)
    done = subprocess.run(["bash", str(DEPLOY / "pi-gen" / "prepare.sh"), str(copy), str(models_dir())],
                          env={**os.environ, "HINGE_FIRST_USER_PASS": "dry-run-only-42"}, capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr
    for stage in ("stage0", "stage1", "stage2", "stage-hinge", "export-image", "export-noobs"):
        if (copy / stage).is_dir():
            (copy / stage / "SKIP").touch()
    # build.sh sources the stage's EXPORT_IMAGE just before running export-image for it: say the suffix.
    with (copy / "stage-hinge" / "EXPORT_IMAGE").open("a") as f:
        f.write('echo "EXPORT_PROBE suffix=[${IMG_SUFFIX}]"\n')
    done = subprocess.run(["./build.sh"], cwd=copy, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and "Build finished" in done.stdout, done.stdout[-1500:] + done.stderr[-1500:]
    assert len(re.findall(r"Begin \S+/export-image$", done.stdout, re.M)) == 1, done.stdout
    assert re.findall(r"^EXPORT_PROBE .*$", done.stdout, re.M) == ["EXPORT_PROBE suffix=[]"]


# ---------------------------------------------------------------------- the real install
def chroot_run(root: Path, *cmd: str, env: dict[str, str] | None = None, timeout: int = 900):
    base = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root",
            "LANG": "C.UTF-8", "DEBIAN_FRONTEND": "noninteractive"}
    return subprocess.run(["chroot", str(root), *cmd], env={**base, **(env or {})}, capture_output=True,
                          text=True, timeout=timeout)


def tree_state(root: Path) -> dict[str, str]:
    """Every file's checksum and every link's target under the paths the installer writes."""
    state = {}
    for top in ("opt/hinge-station", "etc/systemd/system", "etc/default/hinge-station",
                "var/lib/hinge-station", "etc/passwd", "etc/group"):
        base = root / top
        paths = [base] if base.is_file() else sorted(base.rglob("*")) if base.exists() else []
        for p in paths:
            if "__pycache__" in p.parts:
                continue
            key = str(p.relative_to(root))
            if p.is_symlink():
                state[key] = "-> " + os.readlink(p)
            elif p.is_file():
                state[key] = subprocess.run(["sha256sum", str(p)], capture_output=True, text=True).stdout[:64]
            state[key + ":mode"] = oct(p.lstat().st_mode)
    return state


@pytest.fixture(scope="module")
def bookworm_root(tmp_path_factory):
    if os.geteuid() != 0:
        if IN_CI:
            pytest.fail("the install test needs root (chroot) and CI is set")
        pytest.skip("the install test needs root (chroot, mount)")
    debootstrap = need("debootstrap")
    CACHE.mkdir(parents=True, exist_ok=True)
    tarball = CACHE / "bookworm-minbase-systemd-amd64.tgz"
    root = tmp_path_factory.mktemp("bookworm") / "root"
    mirror = "http://deb.debian.org/debian"
    # systemd too: the installed root is booted (test_the_unit_boots_...).
    include = "--include=python3,python3-venv,python3-pip,ca-certificates,systemd,systemd-sysv,dbus"
    if not tarball.exists():
        done = subprocess.run([debootstrap, "--variant=minbase", include, f"--make-tarball={tarball}",
                               "bookworm", str(root), mirror], capture_output=True, text=True, timeout=900)
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
        shutil.rmtree(root, ignore_errors=True)
    done = subprocess.run([debootstrap, "--variant=minbase", include, f"--unpack-tarball={tarball}",
                           "bookworm", str(root), mirror], capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    # The network as the host sees it: name resolution and its certificate authorities (a proxy's too).
    shutil.copy("/etc/resolv.conf", root / "etc" / "resolv.conf")
    shutil.copy("/etc/ssl/certs/ca-certificates.crt", root / "etc" / "ssl" / "certs" / "host-ca.crt")
    src = root / "src"
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, text=True)
    files = listed.stdout.split("\0")
    for name in filter(None, files):
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, src / name)
    from station.config.paths import models_dir

    shutil.copytree(models_dir(), root / "models-src")
    mounts = []
    for m in ("proc", "dev", "sys"):
        subprocess.run(["mount", "--bind", f"/{m}", str(root / m)], check=True)
        mounts.append(root / m)
    try:
        yield root
    finally:
        for m in reversed(mounts):
            subprocess.run(["umount", "-l", str(m)], check=False)


@pytest.mark.slow  # about a minute: debootstrap, pip installs into the root, the installer twice
def test_install_in_a_fresh_bookworm_root_then_nothing_changes(bookworm_root) -> None:
    root = bookworm_root
    env = {"PIP_CERT": "/etc/ssl/certs/host-ca.crt", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    install = ["bash", "/src/deploy/install.sh", "--skip-pi-packages", "--models-from", "/models-src"]
    first = chroot_run(root, *install, env=env)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    assert "skipping the Pi-only packages" in first.stdout
    # pip's wheels and HTTP cache (about 45 MB on a Pi) stay out of the root (issue 25 item 6).
    assert not (root / "root" / ".cache" / "pip").exists()
    check = chroot_run(root, "/opt/hinge-station/venv/bin/station", "models", "check", "--data",
                       "/var/lib/hinge-station")
    assert check.returncode == 0, check.stderr
    assert chroot_run(root, "/opt/hinge-station/venv/bin/station", "--version").returncode == 0
    wants = root / "etc/systemd/system/multi-user.target.wants/hinge-station.service"
    assert wants.is_symlink() and (root / "etc/systemd/system/hinge-station.service").is_file()
    assert "GPIOZERO_PIN_FACTORY=lgpio" in (root / "etc/default/hinge-station").read_text()
    assert chroot_run(root, "id", "hinge-station").returncode == 0

    boot_and_serve(root)

    before = tree_state(root)
    second = chroot_run(root, *install, env=env)
    assert second.returncode == 0, second.stdout + second.stderr
    assert tree_state(root) == before
    assert not re.search(r"^==> (wrote|installing|created|enabled|added)", second.stdout, re.M), second.stdout

    removed = chroot_run(root, "bash", "/src/deploy/install.sh", "--uninstall")
    assert removed.returncode == 0 and not (root / "opt/hinge-station").exists() and not wants.exists()
    assert (root / "var/lib/hinge-station/models/pose_detection.tflite").exists()  # data kept


def rig():
    spec = importlib.util.spec_from_file_location("pi_check", DEPLOY / "rig" / "pi_check.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def update_restarts_the_station(root: Path, box, pi) -> None:
    """An update run while the station runs (issue 25 item 5): new code, same unit, restarts the
    process; a run that changes nothing leaves the same process running."""
    def main_pid() -> str:
        return box.run("systemctl", "show", "-p", "MainPID", "--value", "hinge-station").stdout.strip()

    # A clean environment: the host's pip and proxy variables must not leak into the root.
    install = ["env", "-i", "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root", "LANG=C.UTF-8", "bash",
               "/src/deploy/install.sh", "--skip-pi-packages", "--models-from", "/models-src"]
    first = main_pid()
    # README.md is part of the installed tree's stamp (install.sh), so this is a new version of the
    # station with the unit unchanged: today's `git pull && sudo deploy/install.sh`.
    with (root / "src" / "README.md").open("a") as readme:
        readme.write("\n<!-- an update -->\n")
    update = box.run(*install, timeout=600)
    assert update.returncode == 0, update.stdout[-3000:] + update.stderr[-3000:]
    assert "restarted hinge-station.service (code changed)" in update.stdout, update.stdout
    assert pi.wait_unit(box, 120) == "active"
    second = main_pid()
    assert second not in ("", "0", first), (first, second)
    again = box.run(*install, timeout=600)
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    assert "running, nothing it uses changed" in again.stdout, again.stdout
    assert main_pid() == second


def boot_and_serve(root: Path) -> None:
    """The installed root booted under systemd (nspawn): the station's own unit, with all of its
    hardening, must reach READY and serve its page (the amd64, quick version of `make pi-check`)."""
    need("systemd-nspawn")
    need("nsenter")
    for m in ("proc", "dev", "sys"):  # nspawn mounts its own
        subprocess.run(["umount", "-l", str(root / m)], check=False)
    (root / "etc" / "machine-id").write_text("")
    pi = rig()
    box = pi.Booted(root, root.parent / "boot.log")
    try:
        state = pi.wait_unit(box, 120)
        journal = box.run("journalctl", "-u", "hinge-station", "-o", "cat", "--no-pager").stdout
        assert state == "active", journal[-3000:]
        status, _ = box.get("/")
        code, body = box.get("/api/health")
        assert status == 200 and code == 200 and set(json.loads(body)) == {"status"}, body  # anonymous
        code, body = box.staff_get("/api/health")
        assert code == 200, body
        health = json.loads(body)
        assert health["pins"].startswith("mock") and health["demo"] is True  # amd64: not a Pi
        shown = box.run("systemctl", "show", "hinge-station", "-p", "ProtectSystem", "-p", "NoNewPrivileges")
        assert "ProtectSystem=strict" in shown.stdout and "NoNewPrivileges=yes" in shown.stdout
        update_restarts_the_station(root, box, pi)
    finally:
        box.stop()
    for m in ("proc", "dev", "sys"):
        subprocess.run(["mount", "--bind", f"/{m}", str(root / m)], check=True)
