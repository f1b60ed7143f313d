"""Home Assistant MQTT discovery: one device per station with four entities.

Reps today, good rate today, last verdict and camera up, all read from one retained JSON
message at ``<prefix>/state``; the device is available while ``<prefix>/status`` says
``online``. Home Assistant creates the entities from retained configuration messages under its
discovery prefix (``homeassistant/<component>/<node>/<object>/config``).

    >>> from station.fleet.broker import broker_config
    >>> from station.config.settings import Settings
    >>> cfg = broker_config(Settings(station_name="wall-1"), "mqtt://ha.lan")
    >>> [topic for topic, _ in discovery(cfg, "1.0")][0]
    'homeassistant/sensor/hinge_station_wall-1/reps_today/config'
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from station.storage import periods

if TYPE_CHECKING:
    from station.fleet.broker import BrokerConfig
    from station.runtime.station import Station
    from station.storage.outbox import Outbox

# object id -> (component, name, extra configuration)
ENTITIES: dict[str, tuple[str, str, dict[str, Any]]] = {
    "reps_today": ("sensor", "Reps today", {
        "value_template": "{{ value_json.reps_today }}", "unit_of_measurement": "reps",
        "state_class": "total_increasing", "icon": "mdi:human-handsdown"}),
    "good_rate": ("sensor", "Good rate today", {
        "value_template": "{{ value_json.good_rate_today }}", "unit_of_measurement": "%",
        "state_class": "measurement", "icon": "mdi:check-circle-outline"}),
    "last_verdict": ("sensor", "Last verdict", {
        "value_template": "{{ value_json.last_verdict }}", "icon": "mdi:clipboard-check-outline"}),
    "camera": ("binary_sensor", "Camera", {
        "value_template": "{{ 'ON' if value_json.camera_up else 'OFF' }}", "device_class": "connectivity"}),
}


def discovery(cfg: BrokerConfig, version: str) -> Iterator[tuple[str, str]]:
    """(topic, retained JSON payload) for each entity of this station's device."""
    node = f"hinge_station_{cfg.station}"
    device = {"identifiers": [node], "name": f"Hinge Station {cfg.station}", "manufacturer": "Hinge Station",
              "model": "hip-hinge coach", "sw_version": version}
    for object_id, (component, name, extra) in ENTITIES.items():
        config = {"name": name, "unique_id": f"{node}_{object_id}", "state_topic": f"{cfg.prefix}/state",
                  "availability_topic": f"{cfg.prefix}/status", "payload_available": "online",
                  "payload_not_available": "offline", "device": device, **extra}
        yield f"{cfg.ha_prefix}/{component}/{node}/{object_id}/config", json.dumps(config)


def state(outbox: Outbox, station: Station) -> str:
    """The JSON the entities read: reps and good rate since local midnight, last verdict, camera."""
    reps, good = outbox.day(periods.today_start())
    last = outbox.after(max(0, outbox.newest() - 1), 1)
    return json.dumps({"reps_today": reps, "good_rate_today": round(100 * good / reps, 1) if reps else None,
                       "last_verdict": last[0]["verdict"] if last else None,
                       "camera_up": station.camera == "ok", "t": round(time.time(), 3)})
