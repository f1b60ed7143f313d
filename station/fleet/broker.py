"""Where a station's MQTT goes: the broker, the topics and the name, from settings.

Both the publisher (:mod:`station.fleet.mqtt`) and the Home Assistant discovery
(:mod:`station.fleet.home_assistant`) read a :class:`BrokerConfig`; it lives here so that neither
has to import the other for it.
"""

from __future__ import annotations

import re
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit


@dataclass(frozen=True)
class BrokerConfig:
    """Where and how to connect, from settings (and ``station run --mqtt``)."""

    host: str
    port: int
    tls: bool
    ca_file: str
    user: str
    password: str
    prefix: str
    station: str
    health_s: float
    home_assistant: bool
    ha_prefix: str

    @property
    def url(self) -> str:
        return f"{'mqtts' if self.tls else 'mqtt'}://{self.host}:{self.port}"


def station_name(configured: str) -> str:
    """The configured name, else the host name, in characters safe in a topic and a label.

    >>> station_name("wall-3"), station_name("") == station_name(socket.gethostname())
    ('wall-3', True)
    """
    return re.sub(r"[^A-Za-z0-9_.-]", "-", configured or socket.gethostname())[:64] or "station"


def broker_config(settings: Any, url: str | None = None) -> BrokerConfig | None:
    """The broker to use (None: MQTT is off). ``url`` overrides ``settings.mqtt_url``.

    >>> from station.config.settings import Settings
    >>> cfg = broker_config(Settings(station_name="w1"), "mqtts://broker.lan")
    >>> cfg.url, cfg.prefix
    ('mqtts://broker.lan:8883', 'hinge-station/w1')
    """
    url = url if url is not None else settings.mqtt_url
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
        raise ValueError(f"{url}: not an mqtt:// or mqtts:// URL")
    tls = parts.scheme == "mqtts"
    name = station_name(settings.station_name)
    return BrokerConfig(
        host=parts.hostname, port=parts.port or (8883 if tls else 1883), tls=tls,
        ca_file=settings.mqtt_ca_file, user=settings.mqtt_user, password=settings.mqtt_password,
        prefix=settings.mqtt_topic_prefix or f"hinge-station/{name}", station=name,
        health_s=settings.mqtt_health_s, home_assistant=settings.home_assistant,
        ha_prefix=settings.home_assistant_prefix)

