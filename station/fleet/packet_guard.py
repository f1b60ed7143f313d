"""An MQTT client that refuses a packet larger than it allows, before reading a byte of its body.

paho-mqtt (2.2.0, the locked version) enforces no maximum on what it receives: it reads a packet's
remaining length, then asks the socket for all of it at once and grows one ``bytes`` by
concatenation as the data comes. A broker that sends one PUBLISH of 256 MiB (the most MQTT's
four-byte length can frame) took the station to 873 MiB resident (benchmarks/memory_attacks.py),
past the unit's ``MemoryMax``. paho's only hook on that path is the socket read
(``Client._sock_recv``), so :class:`GuardedClient` follows MQTT's framing on the bytes paho reads
(:class:`Framing`) and ends the connection the moment a fixed header announces a packet over
``max_packet``: paho then closes the socket and reports the connection lost, and nothing of the
body was buffered. Each read is also capped at :data:`READ_CHUNK`, so no read asks for more.

For MQTT 5, :func:`connect_properties` announces the maximum in CONNECT (Maximum Packet Size), so a
broker that keeps the rules never sends a larger packet; MQTT 3.1.1 has no way to say it, and the
connection is closed as that specification asks of a protocol violation.

    >>> f = Framing(64)
    >>> f.feed(bytes([0x40, 2, 0, 1])); f.feed(bytes([0xD0, 0]))   # a PUBACK, a PINGRESP
    >>> try:
    ...     f.feed(bytes([0x30, 0xFF, 0xFF, 0xFF, 0x7F]))                 # a 256 MiB PUBLISH
    ... except PacketTooLarge as exc:
    ...     print(exc)
    the broker sent a packet of 268435460 bytes (this station takes at most 64)
"""

from __future__ import annotations

from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

# What a broker sends this station: CONNACK, PUBACK, PINGRESP, DISCONNECT (it subscribes to
# nothing), a few bytes each plus at most a reason string and user properties. 64 KiB leaves room
# for any of those (MQTT 5 has the broker drop properties rather than exceed the maximum) and
# bounds one packet's buffer at a hundredth of the unit's 640 MiB cap.
MAX_PACKET = 64 * 1024
# The most one socket read asks for: paho asks for a whole packet's body at once.
READ_CHUNK = 64 * 1024


class PacketTooLarge(ConnectionError):
    """The broker announced a packet over the maximum; the connection ends (paho sees a lost
    connection: it catches OSError from its socket reads)."""


class Framing:
    """MQTT's framing followed over a byte stream: a command byte, a variable-length remaining
    length (1-4 bytes, 7 bits each), then that many bytes of body. :meth:`feed` raises
    PacketTooLarge as soon as a header announces more than ``limit`` bytes in all."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._body = 0  # body bytes still to come of the current packet
        self._in_header = False  # after a command byte, reading the remaining length
        self._length = self._shift = self._header = 0

    def feed(self, data: bytes) -> None:
        i, n = 0, len(data)
        while i < n:
            if self._body:
                take = min(self._body, n - i)
                self._body -= take
                i += take
                continue
            byte = data[i]
            i += 1
            if not self._in_header:  # a command byte begins a packet
                self._in_header, self._length, self._shift, self._header = True, 0, 0, 1
                continue
            self._length |= (byte & 0x7F) << self._shift
            self._shift += 7
            self._header += 1
            if byte & 0x80 and self._header < 5:
                continue
            self._in_header = False
            total = self._header + self._length
            if total > self.limit or byte & 0x80:  # a fifth length byte is no MQTT either
                raise PacketTooLarge(f"the broker sent a packet of {total} bytes (this station takes at "
                                     f"most {self.limit})")
            self._body = self._length


class GuardedClient(mqtt.Client):
    """paho's client with :class:`Framing` on its socket reads; ``too_large`` says why it ended
    a connection (None: it did not).

        client = GuardedClient(CallbackAPIVersion.VERSION2, client_id="wall-1", max_packet=MAX_PACKET)
    """

    def __init__(self, *args: Any, max_packet: int = MAX_PACKET, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.max_packet = max_packet
        self.too_large: str | None = None
        self._framing = Framing(max_packet)

    def _sock_recv(self, bufsize: int) -> bytes:
        data = super()._sock_recv(min(bufsize, READ_CHUNK))
        try:
            self._framing.feed(data)
        except PacketTooLarge as exc:
            self.too_large = str(exc)
            raise
        return data


def connect_properties(max_packet: int = MAX_PACKET) -> Properties:
    """MQTT 5 CONNECT properties announcing ``max_packet`` (Maximum Packet Size)."""
    props = Properties(PacketTypes.CONNECT)
    props.MaximumPacketSize = max_packet
    return props
