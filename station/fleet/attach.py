"""A station's place in a chain's fleet: Prometheus metrics and the MQTT publisher, wired in.

    fleet = Fleet(station, mqtt_url=None)   # None: the broker from settings (empty: MQTT off)
    app = create_app(station, metrics=fleet.metrics)
    station.start(); fleet.start(); ...; station.stop(); fleet.stop()

The publisher's thread runs even with MQTT off, so a broker set on the staff page is used
without a restart.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from station.fleet.mqtt import Publisher
from station.fleet.prometheus import StationMetrics

if TYPE_CHECKING:
    from station.runtime.station import Station


class Fleet:
    """Metrics and publisher of one station; both listen to its loop from construction on."""

    def __init__(self, station: Station, mqtt_url: str | None = None) -> None:
        self.metrics = StationMetrics.attach(station)
        self.publisher = Publisher(station, mqtt_url)
        station.observers.append(self.publisher)
        station.health_parts.append(self.publisher.health)
        self.metrics.mqtt = self.publisher.figures

    def start(self) -> None:
        self.publisher.start()

    def stop(self) -> None:
        self.publisher.stop()
