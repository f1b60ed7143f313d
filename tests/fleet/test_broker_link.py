"""The broker's link against hostile brokers: one that sends a packet too large to hold, one that
accepts and drops every connection at once, one that never acknowledges a rep.

Each broker here is a tiny socket server in the test: it is the attacker (no real broker does
these things on purpose), the station's side is the real publisher with its real paho client.
The well-behaved case against a real Mosquitto is in test_fleet.py (whose every connection now
carries the Maximum Packet Size property, so Mosquitto accepting it is tested there too).
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time

import pytest
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from station.fleet.attach import Fleet
from station.fleet.packet_guard import MAX_PACKET, Framing, PacketTooLarge
from tests.helpers.fleet import eventually, sim_station

CONNACK_V5 = b"\x20\x03\x00\x00\x00"  # success, no properties
CONNACK_V311 = b"\x20\x02\x00\x00"


def _read(conn: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return data


def read_packet(conn: socket.socket) -> tuple[int, bytes]:
    """One MQTT packet: (its type, its body)."""
    first = _read(conn, 1)[0]
    length, shift = 0, 0
    while True:
        byte = _read(conn, 1)[0]
        length |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            break
    return first >> 4, _read(conn, length)


def max_packet_of(connect: bytes) -> int | None:
    """The Maximum Packet Size a CONNECT body announces (None: none; MQTT 3.1.1 has none)."""
    level = connect[6]
    if level != 5:
        return None
    props, _ = Properties(PacketTypes.CONNECT).unpack(connect[10:])
    return getattr(props, "MaximumPacketSize", None)


class HostileBroker:
    """Accepts connections and answers CONNECT, then behaves as ``how`` says:

    - ``drop``: closes the connection at once;
    - ``no-acks``: takes every rep and acknowledges none (acknowledges the status and answers
      pings, so the connection looks alive);
    - ``huge``: sends a PUBLISH header announcing 256 MiB, then its body a MiB at a time for as
      long as the station reads.
    """

    def __init__(self, how: str) -> None:
        self.how = how
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.server.getsockname()[1])
        self.connects: list[bytes] = []  # each CONNECT's body
        self.body_sent: list[int] = []  # ``huge``: body bytes the station took, per connection
        self.closed_by_station = threading.Event()
        self.publishes = 0
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            with conn, contextlib.suppress(OSError, ConnectionError):
                self._client(conn)

    def _client(self, conn: socket.socket) -> None:
        kind, body = read_packet(conn)
        assert kind == 1
        self.connects.append(body)
        conn.sendall(CONNACK_V5 if body[6] == 5 else CONNACK_V311)
        if self.how == "drop":
            return
        if self.how == "huge":
            self._huge(conn, body[6] == 5)
            return
        while True:
            kind, body = read_packet(conn)
            topic = body[2:2 + int.from_bytes(body[:2], "big")] if kind == 3 else b""
            if kind == 3 and topic.endswith(b"/status"):
                conn.sendall(b"\x40\x02" + body[2 + len(topic):4 + len(topic)])  # PUBACK: status only
            elif kind == 3:
                self.publishes += 1  # a rep: no PUBACK, ever
            elif kind == 12:
                conn.sendall(b"\xd0\x00")

    def _huge(self, conn: socket.socket, v5: bool) -> None:
        length = 2**28 - 1  # the largest MQTT can frame
        header = b"\x30\xff\xff\xff\x7f" + b"\x00\x01t" + (b"\x00" if v5 else b"")
        conn.settimeout(10)
        sent = 0
        try:
            conn.sendall(header)
            chunk = b"\0" * 2**20
            while sent < length - len(header):
                sent += conn.send(chunk)
        except OSError:
            self.closed_by_station.set()  # the station closed: reset or broken pipe
        finally:
            self.body_sent.append(sent)

    def close(self) -> None:
        self.server.close()


@pytest.fixture
def broker(request):
    hostile = HostileBroker(request.param)
    yield hostile
    hostile.close()


@pytest.mark.parametrize("broker", ["huge"], indirect=True)
def test_a_broker_sending_a_256_mib_packet_is_cut_off_after_its_header(broker, tmp_path) -> None:
    station = sim_station(tmp_path / "data", reps=0)
    fleet = Fleet(station, f"mqtt://127.0.0.1:{broker.port}")
    fleet.start()
    try:
        assert broker.closed_by_station.wait(20), "the station read on into the 256 MiB packet"
        # What the kernel's socket buffers take before the station closes: a few MiB at most, never
        # the 256 MiB (paho alone reads it all, into one growing bytes object).
        assert broker.body_sent[0] < 32 * 2**20, broker.body_sent
        mqtt = eventually(lambda: station.health()["mqtt"],
                          lambda m: "268435460 bytes" in (m["reason"] or ""))
        assert "packet of 268435460 bytes" in mqtt["reason"] and mqtt["state"] in ("retrying", "connecting")
        # MQTT 5: the broker was told the maximum in CONNECT.
        assert max_packet_of(broker.connects[0]) == MAX_PACKET
    finally:
        fleet.stop()
        station.stop()


@pytest.mark.parametrize("broker", ["drop"], indirect=True)
def test_a_broker_that_accepts_and_drops_at_once_meets_a_growing_back_off(broker, tmp_path) -> None:
    station = sim_station(tmp_path / "data", reps=0)
    fleet = Fleet(station, f"mqtt://127.0.0.1:{broker.port}")
    fleet.start()
    try:
        # Connected (CONNACK) and dropped each time: every connection was short, so each is a
        # failure and the wait doubles (1, 2, 4 s ...); the old rule took any CONNACK as served
        # and came back after 0.2 s, 268 times a minute.
        figures = eventually(lambda: fleet.publisher.figures(), lambda f: f["connects"] >= 3, timeout=20)
        assert figures["connects"] >= 3
        assert fleet.publisher.backoff_s >= 4.0, figures  # 1 s, 2 s, then 4 s before the 4th
        assert figures["state"] in ("retrying", "connecting")
    finally:
        fleet.stop()
        station.stop()


@pytest.mark.parametrize("broker", ["no-acks"], indirect=True)
def test_a_broker_that_never_acknowledges_is_left_and_the_reps_wait(broker, tmp_path) -> None:
    from station.coach.vocabulary import Verdict

    station = sim_station(tmp_path / "data", reps=0)
    set_id = station.store.reps.start_set(time.time())
    for n in (1, 2):  # two reps in the log, as the loop stores them
        station.store.reps.add(set_id, time.time(), n, Verdict.GOOD, [], {})
    fleet = Fleet(station, f"mqtt://127.0.0.1:{broker.port}")
    fleet.publisher.ack_timeout_s = 1.0  # ACK_TIMEOUT_S is 30 s; the rule is the same
    fleet.start()
    try:
        # The reps went out, no PUBACK came: the station leaves and connects again, and says why.
        mqtt = eventually(lambda: station.health()["mqtt"],
                          lambda m: "did not acknowledge" in (m["reason"] or "")
                          and len(broker.connects) >= 2,
                          timeout=20)
        assert "did not acknowledge rep" in mqtt["reason"] and len(broker.connects) >= 2
        assert broker.publishes >= 2
        assert mqtt["last_ack_id"] == 0 and mqtt["acked"] == 0
        assert eventually(lambda: station.health()["mqtt"]["reps_waiting"], lambda n: n == 2) == 2
    finally:
        fleet.stop()
        station.stop()


def test_framing_follows_packets_split_anywhere_and_takes_one_at_the_limit() -> None:
    # CONNACK, PUBACK, a PUBLISH of exactly the limit, PINGRESP, fed one byte at a time.
    limit = 200
    publish = b"\x30" + bytes([197 & 0x7F | 0x80, 197 >> 7]) + b"x" * 197  # 3 + 197 = 200 bytes
    stream = CONNACK_V5 + b"\x40\x02\x00\x01" + publish + b"\xd0\x00"
    framing = Framing(limit)
    for i in range(len(stream)):
        framing.feed(stream[i:i + 1])
    framing.feed(stream)  # and all at once
    with pytest.raises(PacketTooLarge, match="201 bytes"):
        Framing(limit).feed(CONNACK_V5 + b"\x30" + bytes([198 & 0x7F | 0x80, 198 >> 7]))
    # A remaining length with a fifth byte is no MQTT packet at all.
    with pytest.raises(PacketTooLarge):
        Framing(2**30).feed(b"\x30\xff\xff\xff\xff\x01")
