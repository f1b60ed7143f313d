"""Prometheus metrics of one station, served at ``/metrics`` (see deploy/fleet/ for the scraping).

Counters that the loop moves (reps, faults, sets) are updated by :class:`StationMetrics` as a
:class:`~station.runtime.health.LoopObserver`, on the loop's thread, a few microseconds per frame. They
start from the rep log's totals, so a restart does not send them back to zero. Everything else
(camera up, switch stuck, database ok, reps waiting for MQTT, fps) is read when Prometheus
scrapes. Each station has its own registry, never prometheus_client's global one, so two
stations in one process (the tests) do not mix.

    >>> import tempfile, pathlib
    >>> from station.camera.sources import SimSource
    >>> from station.config.settings import Settings
    >>> from station.runtime.station import Station
    >>> station = Station(Settings(), SimSource(fast=True), data_dir=pathlib.Path(tempfile.mkdtemp()))
    >>> metrics = StationMetrics(station)
    >>> b'hinge_reps_total{verdict="good"} 0.0' in metrics.exposition()
    True
    >>> station.stop()
"""

from __future__ import annotations

import platform
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    Info,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from station import __version__
from station.coach.vocabulary import FaultCode, Verdict
from station.runtime import health, thermal

if TYPE_CHECKING:
    from station.runtime.station import Station

# Seconds, Prometheus's base unit. Pose inference: 5-10 ms on a desktop, 30-80 ms on a Pi 4.
INFERENCE_BUCKETS = (0.002, 0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1.0)
COACH_BUCKETS = (0.00002, 0.00005, 0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01)


class StationMetrics:
    """The registry of one station and the observer that keeps its counters.

    ``mqtt``: a callable returning the publisher's figures (see :meth:`Publisher.figures`), set
    when MQTT is configured; without it the MQTT metrics say "not enabled".
    """

    def __init__(self, station: Station) -> None:
        self.station = station
        self.mqtt: Callable[[], dict[str, Any]] | None = None
        self.registry = CollectorRegistry()
        reg = self.registry
        self.reps = Counter("hinge_reps", "Reps in the rep log, by verdict", ["verdict"], registry=reg)
        self.faults = Counter("hinge_rep_faults", "Faults named in reps, by fault code", ["fault"],
                              registry=reg)
        self.sets = Counter("hinge_sets", "Sets started", registry=reg)
        self.inference = Histogram("hinge_inference_seconds", "Pose inference time per frame",
                                   buckets=INFERENCE_BUCKETS, registry=reg)
        self.coach = Histogram("hinge_coach_seconds", "Coach time per frame", buckets=COACH_BUCKETS,
                               registry=reg)
        Info("hinge_build", "The station's version", registry=reg).info(
            {"version": __version__, "python": platform.python_version()})
        reg.register(_LiveCollector(self))
        ProcessCollector(registry=reg)
        PlatformCollector(registry=reg)
        self._seed()

    def _seed(self) -> None:
        """Counters carry on from the rep log's totals; every verdict and fault code is present
        from the start (at 0), so rate() and alerts see a series before the first such rep."""
        totals = self.station.store.history.totals()
        for verdict in Verdict:
            self.reps.labels(verdict).inc(totals["reps"].get(verdict, 0))
        for code in FaultCode:
            self.faults.labels(code).inc(totals["faults"].get(code, 0))
        self.sets.inc(totals["sets"])

    # ---------------------------------------------------------------- LoopObserver
    def frame(self, inference_ms: float | None, coach_ms: float) -> None:
        if inference_ms is not None:
            self.inference.observe(inference_ms / 1000)
        self.coach.observe(coach_ms / 1000)

    def events(self, events: list[dict[str, Any]]) -> None:
        for e in events:
            kind = e.get("event")
            if kind == "rep_finished" and "id" in e:  # counted once it is in the log
                self.reps.labels(e["verdict"]).inc()
                for code in e["faults"]:
                    self.faults.labels(code).inc()
            elif kind == "set_started":
                self.sets.inc()

    @classmethod
    def attach(cls, station: Station) -> StationMetrics:
        """Metrics for ``station``, listening to its loop from now on."""
        metrics = cls(station)
        station.observers.append(metrics)
        return metrics

    # ---------------------------------------------------------------- exposition
    content_type = CONTENT_TYPE_LATEST

    def exposition(self) -> bytes:
        """The Prometheus text format, as ``/metrics`` serves it (content type :attr:`content_type`)."""
        return generate_latest(self.registry)


class _LiveCollector(Collector):
    """What is read at scrape time from the running station rather than counted by the loop."""

    def __init__(self, metrics: StationMetrics) -> None:
        self.metrics = metrics

    def collect(self) -> Iterator[Metric]:
        station = self.metrics.station
        from station.fleet.broker import station_name

        info = GaugeMetricFamily("hinge_station_info", "The station's name (settings, else the host name)",
                                 labels=["name"])
        info.add_metric([station_name(station.settings.station_name)], 1.0)
        yield info
        yield CounterMetricFamily("hinge_frames", "Frames through the coach since start",
                                  value=station.figures.frames)
        yield _gauge("hinge_loop_fps", "Frames per second of the loop (last 3 s)", station.figures.fps())
        yield _gauge("hinge_camera_up", "1 when the camera delivers frames", station.camera == "ok")
        switch = health.switch_health(station.devices.switch)
        yield _gauge("hinge_switch_fitted", "1 when a wall switch is fitted", bool(switch["enabled"]))
        yield _gauge("hinge_switch_stuck", "1 when the wall switch has been closed too long with "
                     "nobody hinging", bool(switch["stuck"]))
        yield _gauge("hinge_database_ok", "1 when the rep log answers and its last write went through",
                     health.database_ok(station))
        yield _gauge("hinge_service_problem", "1 when the station cannot coach (e.g. models missing)",
                     station.service is not None)
        yield from _rest(station.resting.health()["rest"])
        yield from _thermal(thermal.read_thermal(thermal.SYS))
        yield from _mqtt(self.metrics.mqtt() if self.metrics.mqtt is not None else None)


def _rest(rest: dict[str, Any]) -> Iterator[Metric]:
    """Resting, watching or tracking (1 for the state the station is in), and what each costs: the
    loop's CPU in seconds a second while in it (camera reading left out; station/runtime/rest.py).
    A state not yet seen has no CPU series."""
    state = GaugeMetricFamily("hinge_rest_state", "1 for what the station does now: resting (nobody, "
                              "nothing moving), watching or tracking", labels=["state"])
    cpu = GaugeMetricFamily("hinge_loop_cpu_ratio", "The loop's CPU (share of one core, camera reading "
                            "left out) while in each state, over its last minute or so", labels=["state"])
    for name, percent in rest["loop_cpu_percent"].items():
        state.add_metric([name], float(rest["state"] == name))
        if percent is not None:
            cpu.add_metric([name], percent / 100)
    yield state
    yield cpu
    yield CounterMetricFamily("hinge_rest_wakes", "Times the station woke from resting since start",
                              value=rest["wakes"])


def _mqtt(fig: dict[str, Any] | None) -> Iterator[Metric]:
    fig = fig or {}
    yield _gauge("hinge_mqtt_enabled", "1 when a broker is configured",
                 fig.get("state", "disabled") not in ("disabled", "stopped"))
    yield _gauge("hinge_mqtt_connected", "1 while connected to the broker", fig.get("state") == "connected")
    yield _gauge("hinge_mqtt_reps_waiting", "Reps in the log the broker has not acknowledged yet",
                 fig.get("reps_waiting", 0))
    yield _gauge("hinge_mqtt_last_ack_timestamp_seconds",
                 "When the broker last acknowledged a rep (unix time; 0: never since start)",
                 fig.get("last_ack_t") or 0)
    yield CounterMetricFamily("hinge_mqtt_published_reps", "Rep messages the broker acknowledged since "
                              "start", value=fig.get("acked", 0))
    yield CounterMetricFamily("hinge_mqtt_connects", "Connections made to the broker since start",
                              value=fig.get("connects", 0))


def _thermal(heat: thermal.Thermal) -> Iterator[Metric]:
    """The CPU's temperature and the firmware's throttled flags (0/1 each, now and since boot).

    A figure the kernel does not give (not a Pi, no firmware attribute) is left out rather than
    sent as 0, so an alert on it never fires on a guess."""
    if heat.temp_c is not None:
        yield _gauge("hinge_cpu_temperature_celsius", "The CPU's temperature (thermal zone 0)", heat.temp_c)
    if heat.throttled is not None:
        flags = GaugeMetricFamily("hinge_throttled", "1 when the firmware's throttled flag is set, now or "
                                  "since boot (vcgencmd get_throttled's bits)", labels=["flag", "when"])
        for _bit, name in thermal.FLAGS:
            flags.add_metric([name, "now"], float(name in heat.now))
            flags.add_metric([name, "since_boot"], float(name in heat.since_boot))
        yield flags


def _gauge(name: str, doc: str, value: float | bool) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, doc, value=float(value))
