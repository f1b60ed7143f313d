"""The header's gpiochip found by its label in a fake sysfs tree, and handed to gpiozero's lgpio factory.

The trees copy what the kernels show (paths from raspberrypi/linux #5638 and #6144, the numbers
reported for 6.12.96 in gpiozero #1166 and Adafruit_Blinka #1119): only gpiochip11-15 on a Pi 5.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import ClassVar

import pytest
from gpiozero import Device

from station.config.settings import Settings
from station.runtime import devices
from station.runtime.devices import Devices, describe_pins, pin_factory

STANDIN = Path(__file__).resolve().parents[2] / "deploy/rig/standins/lgpio/__init__.py"


def chip(sys_root: Path, parent: str, number: int, label: str | None, base: int | None = None) -> None:
    """One gpiochip as the kernel lays it out: the bus device ``<parent>/gpiochipN`` linked from
    /sys/bus/gpio/devices, and (``base`` given) the legacy class entry ``<parent>/gpio/gpiochip<base>``
    with its label, linked from /sys/class/gpio."""
    device = sys_root / "devices/platform" / parent / f"gpiochip{number}"
    device.mkdir(parents=True)
    bus = sys_root / "bus/gpio/devices"
    bus.mkdir(parents=True, exist_ok=True)
    (bus / device.name).symlink_to(device)
    if base is not None and label is not None:
        legacy = device.parent / "gpio" / f"gpiochip{base}"
        legacy.mkdir(parents=True)
        (legacy / "label").write_text(label + "\n")
        (legacy / "base").write_text(f"{base}\n")
        classes = sys_root / "class/gpio"
        classes.mkdir(parents=True, exist_ok=True)
        (classes / legacy.name).symlink_to(legacy)


def pi5_kernel_6_12_96(sys_root: Path) -> Path:
    """A Pi 5 after the renumbering: RP1 is gpiochip13, the SoC's brcmstb banks around it."""
    chip(sys_root, "soc/107d508500.gpio", 11, "gpio-brcmstb@107d508500", 512)
    chip(sys_root, "soc/107d508500.gpio", 12, "gpio-brcmstb@107d508520", 544)  # two on one parent
    chip(sys_root, "axi/1000120000.pcie/1f000d0000.gpio", 13, "pinctrl-rp1", 569)
    chip(sys_root, "soc/107d517c00.gpio", 14, "gpio-brcmstb@107d517c00", 623)
    return sys_root


def test_the_pi_5s_header_chip_is_found_by_label_whatever_its_number(tmp_path) -> None:
    root = pi5_kernel_6_12_96(tmp_path)
    chips = devices.gpiochips(root)
    assert chips[13] == "pinctrl-rp1" and chips[14] == "gpio-brcmstb@107d517c00"
    assert 11 not in chips and 12 not in chips  # one parent, two chips: not paired by guesswork
    assert devices.header_chip(root) == 13


def test_a_pi_4_and_a_kernel_with_the_numbered_class_entries(tmp_path) -> None:
    pi4 = tmp_path / "pi4"
    chip(pi4, "soc/fe200000.gpio", 0, "pinctrl-bcm2711", 512)
    chip(pi4, "soc/firmware/gpio", 1, "raspberrypi-exp-gpio", 570)
    assert devices.header_chip(pi4) == 0 and devices.gpiochips(pi4)[1] == "raspberrypi-exp-gpio"

    # Kernels from 6.17 name a class entry chipN after the character device (and may drop the
    # legacy gpiochip<base> ones): that label wins.
    new = tmp_path / "new"
    chip(new, "axi/1f000d0000.gpio", 13, None)
    (new / "class/gpio/chip13").mkdir(parents=True)
    (new / "class/gpio/chip13/label").write_text("pinctrl-rp1\n")
    assert devices.header_chip(new) == 13

    assert devices.header_chip(tmp_path / "no-sys") is None and devices.gpiochips(tmp_path / "no-sys") == {}


class Recorder:
    """Stands for gpiozero's LGPIOFactory: keeps the chip it was given."""

    made: ClassVar[list[int | None]] = []

    def __init__(self, chip: int | None = None) -> None:
        self._chip = chip
        Recorder.made.append(chip)

    def close(self) -> None:
        pass


@pytest.fixture
def fake_lgpio_factory(monkeypatch) -> type[Recorder]:
    module = ModuleType("gpiozero.pins.lgpio")
    module.LGPIOFactory = Recorder  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "gpiozero.pins.lgpio", module)
    monkeypatch.setattr(Device, "pin_factory", None)  # restored afterwards
    Recorder.made = []
    return Recorder


def test_the_lgpio_factory_gets_the_chip_the_label_names(tmp_path, monkeypatch, fake_lgpio_factory) -> None:
    root = pi5_kernel_6_12_96(tmp_path)
    monkeypatch.setenv("GPIOZERO_PIN_FACTORY", "lgpio")
    factory = pin_factory(mock=False, sys_root=root)
    assert isinstance(factory, Recorder) and fake_lgpio_factory.made == [13]
    assert factory is Device.pin_factory  # gpiozero's default: shared, closed by gpiozero at exit
    assert pin_factory(mock=False, sys_root=root) is factory and fake_lgpio_factory.made == [13]
    assert describe_pins(factory, sys_root=root) == "recorder: gpiochip13 (pinctrl-rp1)"


def test_no_labelled_chip_leaves_the_choice_to_gpiozero(tmp_path, monkeypatch, fake_lgpio_factory) -> None:
    monkeypatch.setenv("GPIOZERO_PIN_FACTORY", "mock")  # another factory by name: not ours to pick
    factory = pin_factory(mock=False, sys_root=pi5_kernel_6_12_96(tmp_path))
    try:
        assert fake_lgpio_factory.made == [] and type(factory).__name__ == "MockFactory"
    finally:
        factory.close()


@pytest.fixture
def standin_lgpio(tmp_path, monkeypatch) -> Iterator[ModuleType]:
    """The rig's lgpio stand-in (deploy/rig/standins/lgpio), imported as ``lgpio``."""
    monkeypatch.setenv("LG_WD", str(tmp_path))
    spec = importlib.util.spec_from_file_location("lgpio", STANDIN)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setitem(sys.modules, "lgpio", module)
    monkeypatch.setattr(Device, "pin_factory", None)
    sys.modules.pop("gpiozero.pins.lgpio", None)
    yield module
    sys.modules.pop("gpiozero.pins.lgpio", None)  # it imported the stand-in: not for other tests


def test_the_standin_refuses_a_missing_chip_in_upstreams_words(standin_lgpio) -> None:
    # lgpio_extra.py: error(error_text(status)); error.__str__ is repr(value), so the health page
    # shows 'can not open gpiochip' quoted, as a Pi does.
    with pytest.raises(standin_lgpio.error) as missing:
        standin_lgpio.gpiochip_open(4242)
    assert missing.value.value == "can not open gpiochip" and str(missing.value) == "'can not open gpiochip'"
    with pytest.raises(standin_lgpio.error, match="bad gpiochip"):
        standin_lgpio.gpiochip_open(-1)


def test_gpiozero_opens_the_labelled_chip_through_lgpio(tmp_path, monkeypatch, standin_lgpio) -> None:
    opened: list[int] = []
    real_open = standin_lgpio.gpiochip_open

    def spy(gpiochip: int) -> int:
        opened.append(gpiochip)
        return real_open(gpiochip)

    monkeypatch.setattr(standin_lgpio, "gpiochip_open", spy)
    monkeypatch.setenv("GPIOZERO_PIN_FACTORY", "lgpio")
    monkeypatch.setattr(devices, "SYS", pi5_kernel_6_12_96(tmp_path / "sys"), raising=False)
    with pytest.raises(standin_lgpio.error):
        pin_factory(mock=False)
    assert opened == [13]  # gpiozero's own guess would be 0 here (no /dev/gpiochip4)

    broken = Devices.open(Settings())
    assert broken.problem is not None
    assert broken.pins.startswith("lgpio: the pins cannot be opened (error: 'can not open gpiochip')")
