"""Rep events over MQTT, store-and-forward from the rep log: nothing lost, duplicates allowed.

The rep log is the queue. The publisher remembers (in the log's ``outbox`` table) the last rep
the broker acknowledged; it reads the reps after it in id order, publishes each with QoS 1 and
moves the mark on PUBACK. While the broker is away, or the station is restarted or killed, reps
wait in the log and go out in order when it returns; a rep sent but not yet acknowledged when
the connection broke is sent again (the message carries the log's ``id`` so consumers can drop
the duplicate). Memory is bounded: at most ``WINDOW`` reps are in flight.

Topics, under ``<prefix>`` (``hinge-station/<station name>`` unless set):

- ``<prefix>/rep``: one JSON message per rep, QoS 1.
- ``<prefix>/status``: ``online`` / ``offline``, retained, ``offline`` also as the last will.
- ``<prefix>/health``: a short health summary every ``mqtt_health_s`` seconds.
- ``<prefix>/bringup``: the installer's bring-up report (:mod:`station.bringup.report`), retained,
  sent on connecting and whenever it is saved again, so a chain sees which walls passed.
- with Home Assistant discovery on: ``<prefix>/state`` (retained) and the sensors' configs.

It runs on its own thread with a fresh paho client per connection (so nothing paho queued for
an old connection is sent out of order), reconnects with a growing back-off, and never touches
the loop: the loop only sets a flag when a rep is stored.

What a broker can do to the station is bounded: a packet over
:data:`~station.fleet.packet_guard.MAX_PACKET` ends the connection before its body is read
(:mod:`station.fleet.packet_guard`); a connection that ends within :data:`STABLE_S` of opening
counts as a failure, so a broker that accepts and drops at once is met with the growing back-off,
not a reconnect storm; and a rep left unacknowledged for :data:`ACK_TIMEOUT_S` ends the
connection (a broker that takes reps and never acknowledges them would otherwise keep the station
"connected" while the backlog grows).

    publisher = Publisher(station)          # the URL from settings, or Publisher(station, url=...)
    station.observers.append(publisher); station.health_parts.append(publisher.health)
    publisher.start(); ...; publisher.stop()
"""

from __future__ import annotations

import collections
import contextlib
import json
import logging
import random
import ssl
import threading
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from station import __version__
from station.fleet.broker import BrokerConfig, broker_config
from station.fleet.packet_guard import MAX_PACKET, GuardedClient, connect_properties
from station.storage import StoreError, documents
from station.storage.outbox import Outbox

if TYPE_CHECKING:
    from station.runtime.station import Station

log = logging.getLogger("station.mqtt")

WINDOW = 20  # reps in flight at once: bounds memory, keeps a backlog moving at loopback speed
KEEPALIVE_S = 30
CONNACK_TIMEOUT_S = 10.0
MAX_BACKOFF_S = 10.0  # a broker back after an outage is used within 10 s
# A connection counts as served (the back-off starts again from 1 s) once it has lasted this long:
# one keep-alive interval, time for the broker to have answered a ping. One that ends sooner is a
# failure, so a broker that accepts and drops at once gets a reconnect at most every MAX_BACKOFF_S.
STABLE_S = float(KEEPALIVE_S)
# A rep sent and not acknowledged for this long ends the connection (and counts as a failure): the
# patience paho itself gives a broker's answer to a ping (KEEPALIVE_S) before it calls the
# connection lost. A broker that is there acknowledges a QoS 1 publish in milliseconds.
ACK_TIMEOUT_S = float(KEEPALIVE_S)
MARK_EVERY_S = 0.5  # the outbox mark is written at most this often (and when stopping)
POLL_S = 0.25  # the longest a stored rep waits before the publisher looks (without a wake-up)
OUTBOX = "mqtt"
DRAIN_S = 3.0  # on a clean stop, how long to keep sending what is left in the log


def rep_message(rep: dict[str, Any], station: str) -> bytes:
    """The JSON of ``<prefix>/rep`` for a rep as the log holds it.

    >>> rep_message({"id": 7, "set_id": 2, "rep": 3, "t": 0.0, "verdict": "good", "faults": [],
    ...              "metrics": {}}, "w1")[:60]
    b'{"station":"w1","id":7,"set":2,"rep":3,"t":0.0,"time":"1970-'
    """
    when = datetime.fromtimestamp(rep["t"], UTC).isoformat(timespec="milliseconds")
    body = {"station": station, "id": rep["id"], "set": rep["set_id"], "rep": rep["rep"], "t": rep["t"],
            "time": when, "verdict": rep["verdict"], "faults": rep["faults"], "metrics": rep["metrics"]}
    return json.dumps(body, separators=(",", ":")).encode()


class _Session:
    """One connection: its paho client and what is in flight on it."""

    def __init__(self, client: mqtt.Client) -> None:
        self.client = client
        self.connack: mqtt.ReasonCode | None = None
        self.lost: str | None = None  # why the connection ended
        self.inflight: collections.deque[list[Any]] = collections.deque()  # [rep id, mid, acked, sent at]
        self.by_mid: dict[int, list[Any]] = {}
        self.refused: str | None = None  # a PUBACK with a failure reason (MQTT 5)
        self.timed_out = False  # no CONNACK in time
        self.stalled = False  # a rep went unacknowledged for ACK_TIMEOUT_S
        self.began = time.monotonic()


class Publisher:
    """The store-and-forward thread; see the module docstring."""

    def __init__(self, station: Station, url: str | None = None) -> None:
        self.station = station
        self.url_override = url
        self.outbox = Outbox(station.store.path, OUTBOX)
        self.state = "disabled"
        self.reason: str | None = None
        self.broker: str | None = None
        self.protocol = mqtt.MQTTv5
        self.retain = True  # False once a broker said it keeps no retained messages
        self.window = WINDOW  # at most what the broker says it takes at once (MQTT 5 Receive Maximum)
        self._closes = 0  # connections closed before any answer (see _await_connack)
        self._config_of: Any = None  # the settings object _cfg was made from
        self._cfg: BrokerConfig | None = None
        self.last_ack_t: float | None = None
        try:
            self.last_ack_id = self.outbox.last()
            self.reps_waiting = self.outbox.waiting(self.last_ack_id)
        except StoreError as exc:  # shown on health; the thread keeps trying and says why
            self.last_ack_id, self.reps_waiting = 0, 0
            self.state, self.reason = "error", str(exc)
        self.acked = 0
        self.connects = 0
        self.backoff_s = 1.0  # the wait before the next attempt after a failure (doubles each time)
        self.stable_s = STABLE_S
        self.ack_timeout_s = ACK_TIMEOUT_S
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._marked = self.last_ack_id
        self._marked_at = 0.0
        self._bringup_sent: int | None = None  # the bring-up report's mtime sent on this connection

    # ---------------------------------------------------------------- life
    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="mqtt-publisher", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 8.0) -> None:
        """Send what is left (up to ``DRAIN_S``), say ``offline`` (retained), keep the mark,
        disconnect; idempotent."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self._mark(force=True)
        with contextlib.suppress(StoreError):
            self.reps_waiting = self.outbox.waiting(self.last_ack_id)

    # ---------------------------------------------------------------- LoopObserver (loop thread)
    def frame(self, inference_ms: float | None, coach_ms: float) -> None:
        pass

    def events(self, events: list[dict[str, Any]]) -> None:
        if any(e.get("event") == "rep_finished" for e in events):
            self._wake.set()  # all the loop does for MQTT: the rep is already in the log

    # ---------------------------------------------------------------- for health and metrics
    def figures(self) -> dict[str, Any]:
        return {"state": self.state, "reason": self.reason, "broker": self.broker,
                "protocol": "5" if self.protocol == mqtt.MQTTv5 else "3.1.1", "retain": self.retain,
                "reps_waiting": self.reps_waiting, "last_ack_id": self.last_ack_id,
                "last_ack_t": self.last_ack_t, "acked": self.acked, "connects": self.connects,
                "backoff_s": self.backoff_s}

    def health(self) -> dict[str, Any]:
        return {"mqtt": self.figures()}

    # ---------------------------------------------------------------- the thread
    def _config(self) -> BrokerConfig | None:
        settings = self.station.settings
        if settings is self._config_of:  # settings are replaced whole when staff change them
            return self._cfg
        try:
            cfg = broker_config(settings, self.url_override)
        except ValueError as exc:
            self._set("error", str(exc))
            return None
        self._config_of, self._cfg = settings, cfg
        return cfg

    def _set(self, state: str, reason: str | None = None) -> None:
        if (state, reason) != (self.state, self.reason) and reason:
            log.warning("mqtt %s: %s", state, reason)
        self.state, self.reason = state, reason

    def _run(self) -> None:
        while not self._stop.is_set():
            cfg = self._config()
            if cfg is None:
                if self.state != "error":
                    self._set("disabled")
                self.broker = None
                self._stop.wait(1.0)
                continue
            self.broker = cfg.url
            try:
                served = self._session(cfg)
            except Exception as exc:  # a bug here must not end publishing for good
                log.exception("mqtt session failed")
                self._set("retrying", f"{type(exc).__name__}: {exc}")
                served = False
            if self._stop.is_set():
                break
            if served:
                self.backoff_s = 1.0
                self._pause(0.2)
            else:
                # Jitter, so a chain's stations do not all knock at once after the broker's restart.
                self._pause(self.backoff_s * random.uniform(0.75, 1.0))
                self.backoff_s = min(self.backoff_s * 2, MAX_BACKOFF_S)
        self.state = "stopped"

    def _pause(self, seconds: float) -> None:
        """Wait before the next attempt, counting the reps that pile up meanwhile (for health)."""
        until = time.monotonic() + seconds
        while not self._stop.is_set() and (left := until - time.monotonic()) > 0:
            with contextlib.suppress(StoreError):
                self.reps_waiting = self.outbox.waiting(self.last_ack_id)
            self._wake.clear()
            self._stop.wait(min(left, 0.5))

    def _client(self, cfg: BrokerConfig) -> GuardedClient:
        clean = {"clean_session": True} if self.protocol != mqtt.MQTTv5 else {}
        client = GuardedClient(CallbackAPIVersion.VERSION2, client_id=f"hinge-station-{cfg.station}",
                               protocol=self.protocol, max_packet=MAX_PACKET, **clean)
        if cfg.user:
            client.username_pw_set(cfg.user, cfg.password or None)
        if cfg.tls:
            client.tls_set(ca_certs=cfg.ca_file or None, cert_reqs=ssl.CERT_REQUIRED)
        client.will_set(f"{cfg.prefix}/status", "offline", qos=1, retain=self.retain)
        client.max_inflight_messages_set(self.window)
        client.connect_timeout = 5.0
        return client

    def _session(self, cfg: BrokerConfig) -> bool:
        """Connect, publish until the connection ends or the settings change; True if it served
        (connected for STABLE_S or until the settings changed, every rep acknowledged in time and
        none refused), for the back-off."""
        self._set("connecting", self.reason)
        try:
            session = _Session(self._client(cfg))
        except (OSError, ValueError) as exc:  # ssl.SSLError is an OSError: a CA file that is no PEM
            why = getattr(exc, "strerror", None) or exc
            self._set("error", f"CA file {cfg.ca_file!r} cannot be used: {why}")
            return False
        self._callbacks(session)
        # MQTT 5: the broker is told the largest packet this station takes (3.1.1 cannot say it).
        props = connect_properties(MAX_PACKET) if self.protocol == mqtt.MQTTv5 else None
        try:
            session.client.connect(cfg.host, cfg.port, keepalive=KEEPALIVE_S, properties=props)
        except ssl.SSLCertVerificationError as exc:
            against = cfg.ca_file or "the system's CAs"
            self._set("retrying", f"TLS with {cfg.url}: the broker's certificate failed verification "
                      f"against {against} ({exc.verify_message or exc.reason})")
            return False
        except ssl.SSLError as exc:
            self._set("retrying", f"TLS with {cfg.url} failed: {exc.reason or exc}")
            return False
        except (OSError, ValueError) as exc:
            self._set("retrying", f"cannot reach {cfg.url}: {getattr(exc, 'strerror', None) or exc}")
            return False
        if not self._await_connack(session, cfg):
            return False
        self.connects += 1
        self._set("connected")
        self._announce(session, cfg)
        changed = self._publish_loop(session, cfg)
        if session.refused is not None or session.stalled:
            return False  # retried after a back-off, not at once
        return changed or time.monotonic() - session.began >= self.stable_s

    def _callbacks(self, session: _Session) -> None:
        def on_connect(client: Any, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
            session.connack = reason
            if getattr(props, "RetainAvailable", 1) == 0:
                self.retain = False  # this broker keeps no retained messages: send none
            # paho cannot lower its own window once connected: ours stays within the broker's.
            self.window = max(1, min(WINDOW, getattr(props, "ReceiveMaximum", WINDOW)))

        def on_disconnect(client: Any, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
            too_large = getattr(client, "too_large", None)
            session.lost = (f"{too_large}; connection closed" if too_large
                            else str(reason) if reason is not None else "connection closed")

        def on_publish(client: Any, userdata: Any, mid: int, reason: Any, props: Any) -> None:
            entry = session.by_mid.pop(mid, None)
            failed = reason is not None and reason.is_failure
            if failed and entry is not None:
                session.refused = str(reason)  # a rep: it stays in the log; retried after a back-off
            elif failed:  # status or discovery: reps can still go; say it, carry on
                self._set(self.state, f"the broker refused a status or discovery message ({reason})")
            elif entry is not None:
                entry[2] = 1

        session.client.on_connect = on_connect
        session.client.on_disconnect = on_disconnect
        session.client.on_publish = on_publish

    def _await_connack(self, session: _Session, cfg: BrokerConfig) -> bool:
        deadline = time.monotonic() + CONNACK_TIMEOUT_S
        while session.connack is None and session.lost is None and not self._stop.is_set():
            session.client.loop(0.1)
            if time.monotonic() > deadline:
                session.lost = f"no answer from {cfg.url} within {CONNACK_TIMEOUT_S:g} s"
                session.timed_out = True
        reason = session.connack
        if reason is not None and not reason.is_failure:
            return True
        why = str(reason) if reason is not None else session.lost or "stopped"
        if reason is not None and reason.value == 0x9A:  # "Retain not supported": our will was retained
            self.retain = False
            why += "; connecting again without retained messages"
        elif reason is not None and reason.value in (0x01, 0x84) and self.protocol == mqtt.MQTTv5:
            # An MQTT 3.1.1-only broker answers MQTT 5 with "unacceptable protocol version".
            self.protocol = mqtt.MQTTv311
            why += "; trying MQTT 3.1.1 next"
        elif reason is None and session.lost is not None and not session.timed_out:
            # Closed before any answer: a broker does that while restarting, and some do to a
            # protocol they do not speak or to a retained last will they do not keep. Try each
            # combination in turn and keep the one that gets in.
            self._closes += 1
            self.protocol = mqtt.MQTTv5 if self._closes % 2 == 0 else mqtt.MQTTv311
            self.retain = (self._closes // 2) % 2 == 0
        self._set("retrying", f"{cfg.url} refused the connection: {why}" if reason is not None
                  else f"{cfg.url}: {why}")
        session.client.disconnect()
        return False

    def _announce(self, session: _Session, cfg: BrokerConfig) -> None:
        """Status (and discovery), acknowledged before any rep goes, so that reps alone fill the
        window the broker allows."""
        infos = [session.client.publish(f"{cfg.prefix}/status", "online", qos=1, retain=self.retain)]
        self._bringup_sent = None
        if cfg.home_assistant:
            from station.fleet.home_assistant import discovery

            for topic, payload in discovery(cfg, __version__):
                infos.append(session.client.publish(topic, payload, qos=1, retain=self.retain))
            self._publish_state(session, cfg)
        deadline = time.monotonic() + 5.0
        while (not all(i.is_published() for i in infos) and session.lost is None
               and time.monotonic() < deadline and not self._stop.is_set()):
            session.client.loop(0.02)

    def _publish_loop(self, session: _Session, cfg: BrokerConfig) -> bool:
        """Publish until the connection ends; True when it ended because the settings changed."""
        client = session.client
        sent = self.last_ack_id
        changed = False
        look, looked, next_health = True, 0.0, time.monotonic() + cfg.health_s
        while not self._stop.is_set() and session.lost is None and session.refused is None:
            # Look in the log when the loop stored a rep, while a backlog drains, and now and then
            # anyway (a rep stored by another process, e.g. a station restarted meanwhile).
            if self._wake.is_set() or look or time.monotonic() - looked > 2.0:
                self._wake.clear()
                looked = time.monotonic()
                sent, look = self._send_more(session, cfg, sent)
                self._publish_bringup(session, cfg)
            client.loop(0.02 if session.inflight else POLL_S)
            if self._advance(session) and cfg.home_assistant:
                self._publish_state(session, cfg)
            if time.monotonic() >= next_health:
                next_health = time.monotonic() + cfg.health_s
                client.publish(f"{cfg.prefix}/health", self._health_message(cfg), qos=0)
                if cfg.home_assistant:
                    self._publish_state(session, cfg)
            if self._unacknowledged(session):
                break
            if self._config() != cfg:
                self._set("connecting", "settings changed; reconnecting")
                changed = True
                break
        if self._stop.is_set():
            self._drain(session, cfg, sent)
        self._end(session, cfg)
        return changed

    def _unacknowledged(self, session: _Session) -> bool:
        """The oldest rep in flight has waited ACK_TIMEOUT_S for its PUBACK: the session is
        marked stalled (it ends, and is sent again on the next connection)."""
        if not session.inflight or session.inflight[0][2]:
            return False
        waited = time.monotonic() - session.inflight[0][3]
        if waited < self.ack_timeout_s:
            return False
        session.stalled = True
        self._set("retrying", f"the broker did not acknowledge rep {session.inflight[0][0]} within "
                  f"{self.ack_timeout_s:g} s; reconnecting")
        return True

    def _drain(self, session: _Session, cfg: BrokerConfig, sent: int) -> None:
        """Stopping: send what the log still holds, for a moment (the rest waits for next time)."""
        deadline = time.monotonic() + DRAIN_S
        while session.lost is None and session.refused is None and time.monotonic() < deadline:
            if self._unacknowledged(session):
                return  # this broker does not acknowledge: waiting on it is no use
            sent, _ = self._send_more(session, cfg, sent)
            session.client.loop(0.02)
            self._advance(session)
            if not session.inflight and not self.outbox.after(sent, 1):
                return

    def _send_more(self, session: _Session, cfg: BrokerConfig, sent: int) -> tuple[int, bool]:
        """Publish reps after ``sent`` up to the window; (the last id sent, more may be waiting)."""
        room = self.window - len(session.inflight)
        if room <= 0:
            return sent, True
        try:
            reps = self.outbox.after(sent, room)
            self.reps_waiting = self.outbox.waiting(self.last_ack_id)
        except StoreError as exc:
            self._set("connected", f"cannot read the rep log: {exc}")
            return sent, False
        for rep in reps:
            info = session.client.publish(f"{cfg.prefix}/rep", rep_message(rep, cfg.station), qos=1)
            entry = [rep["id"], info.mid, 0, time.monotonic()]
            session.inflight.append(entry)
            session.by_mid[info.mid] = entry
            sent = rep["id"]
        return sent, len(reps) == room

    def _advance(self, session: _Session) -> bool:
        """Move the mark over the acknowledged reps at the head of the window (in id order)."""
        moved = False
        while session.inflight and session.inflight[0][2]:
            rep_id = session.inflight.popleft()[0]
            self.last_ack_id = rep_id
            self.last_ack_t = time.time()
            self.acked += 1
            self.reps_waiting = max(0, self.reps_waiting - 1)
            moved = True
        if moved:
            self._mark()
        return moved

    def _mark(self, force: bool = False) -> None:
        now = time.monotonic()
        if self.last_ack_id != self._marked and (force or now - self._marked_at >= MARK_EVERY_S):
            try:
                self.outbox.mark(self.last_ack_id)
            except StoreError as exc:  # a stale mark only means duplicates later
                self._set(self.state, f"cannot store the outbox mark: {exc}")
                return
            self._marked, self._marked_at = self.last_ack_id, now

    def _end(self, session: _Session, cfg: BrokerConfig) -> None:
        client = session.client
        with contextlib.suppress(StoreError):
            self.reps_waiting = self.outbox.waiting(self.last_ack_id)
        if session.refused is not None:
            self._set("retrying", f"the broker refused a rep ({session.refused}); check its ACL for "
                      f"{cfg.prefix}/rep")
        elif session.lost is not None:
            self._set("retrying", f"connection to {cfg.url} lost: {session.lost}")
        if session.stalled and session.lost is None:
            client.disconnect()  # no "offline" first: it would wait for the same silent broker
            client.loop(0.1)
        elif session.lost is None:
            info = client.publish(f"{cfg.prefix}/status", "offline", qos=1, retain=self.retain)
            deadline = time.monotonic() + 2.0
            while not info.is_published() and session.lost is None and time.monotonic() < deadline:
                client.loop(0.05)
                self._advance(session)
            client.disconnect()
            client.loop(0.1)
        self._mark(force=True)

    def _health_message(self, cfg: BrokerConfig) -> str:
        h = self.station.health()
        keep = ("version", "camera", "fps", "inference_ms", "frames", "uptime_s", "database_ok", "service",
                "last_error", "disk_free_mb")
        body = {"station": cfg.station, "t": round(time.time(), 3), **{k: h.get(k) for k in keep},
                "switch_stuck": h["switch"].get("stuck"), "reps_waiting": self.reps_waiting}
        return json.dumps(body, separators=(",", ":"))

    def _publish_bringup(self, session: _Session, cfg: BrokerConfig) -> None:
        """The kept bring-up report, retained, when it is new to this connection (its file's
        mtime changed: the staff page or ``station selftest``, even from another process, saved it)."""
        path = documents.path_of(self.station.data_dir, "bringup")
        try:
            mtime = path.stat().st_mtime_ns
        except OSError:  # no report yet
            return
        if mtime == self._bringup_sent:
            return
        report = documents.read(self.station.data_dir, "bringup")
        if report is not None:
            session.client.publish(f"{cfg.prefix}/bringup", json.dumps(report, separators=(",", ":")),
                                   qos=1, retain=self.retain)
        self._bringup_sent = mtime

    def _publish_state(self, session: _Session, cfg: BrokerConfig) -> None:
        from station.fleet.home_assistant import state

        # QoS 0: a lost state is replaced by the next; it never takes a slot of the reps' window.
        session.client.publish(f"{cfg.prefix}/state", state(self.outbox, self.station), qos=0,
                               retain=self.retain)
