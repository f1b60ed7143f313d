"""Real Mosquitto and Prometheus (Debian's packages) as subprocesses for the fleet tests and the
outage benchmark: loopback only, free ports, their files in a folder of the caller's."""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

MOSQUITTO = shutil.which("mosquitto") or ("/usr/sbin/mosquitto" if Path("/usr/sbin/mosquitto").exists()
                                          else None)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


class Mosquitto:
    """A broker on 127.0.0.1:``port`` with persistence in ``folder`` (so queued messages for a
    durable subscriber survive a stop and start, as on a real broker)."""

    def __init__(self, folder: Path, *, password: tuple[str, str] | None = None,
                 tls: tuple[Path, Path] | None = None, acl: str | None = None,
                 extra: tuple[str, ...] = ()) -> None:
        assert MOSQUITTO, "mosquitto is not installed"
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        # Run as whoever runs the tests: as root, mosquitto would otherwise drop to its own user,
        # which cannot read a test's private folder.
        lines = [f"user {pwd.getpwuid(os.getuid()).pw_name}", f"listener {self.port} 127.0.0.1",
                 "persistence true",
                 f"persistence_location {folder}/", f"log_dest file {folder}/mosquitto.log",
                 "max_queued_messages 100000"]
        if password:
            subprocess.run(["mosquitto_passwd", "-b", "-c", str(folder / "passwd"), *password], check=True,
                           capture_output=True)
            lines += ["allow_anonymous false", f"password_file {folder / 'passwd'}"]
        else:
            lines.append("allow_anonymous true")
        if tls:
            lines += [f"certfile {tls[0]}", f"keyfile {tls[1]}"]
        if acl is not None:
            (folder / "acl").write_text(acl)
            lines.append(f"acl_file {folder / 'acl'}")
        (folder / "mosquitto.conf").write_text("\n".join([*lines, *extra]) + "\n")
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Mosquitto:
        self.proc = subprocess.Popen([MOSQUITTO, "-c", str(self.folder / "mosquitto.conf")],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wait_port(self.port)
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # SIGTERM: mosquitto saves its persistence first
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def __enter__(self) -> Mosquitto:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class Listener:
    """A durable QoS 1 subscriber (its session kept by the broker while it is away) that records
    every message in arrival order."""

    def __init__(self, port: int, topic: str, client_id: str = "fleet-test-listener", *,
                 auth: tuple[str, str] | None = None, tls_ca: Path | None = None) -> None:
        self.messages: list[tuple[str, bytes, bool]] = []  # topic, payload, retained
        self.topic = topic
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=False)
        if auth:
            self.client.username_pw_set(*auth)
        if tls_ca:
            self.client.tls_set(ca_certs=str(tls_ca))
        self.client.on_connect = lambda c, u, f, rc, p: c.subscribe(topic, qos=1)
        self.client.on_message = lambda c, u, m: self.messages.append((m.topic, m.payload, bool(m.retain)))
        self.client.reconnect_delay_set(0.2, 1)
        self.client.connect("127.0.0.1", port, keepalive=10)
        self.client.loop_start()

    def payloads(self, suffix: str) -> list[bytes]:
        return [p for t, p, _ in list(self.messages) if t.endswith(suffix)]

    def rep_ids(self) -> list[int]:
        return [json.loads(p)["id"] for p in self.payloads("/rep")]

    def wait(self, until: Callable[[], bool], timeout: float = 20.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if until():
                return True
            time.sleep(0.05)
        return until()

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


def make_certs(folder: Path, name: str = "ca") -> dict[str, Path]:
    """A CA and a server certificate for 127.0.0.1/localhost signed by it (openssl CLI)."""
    folder.mkdir(parents=True, exist_ok=True)
    ca, ca_key = folder / f"{name}.pem", folder / f"{name}.key"
    cert, key, csr = folder / f"{name}-server.pem", folder / f"{name}-server.key", folder / f"{name}.csr"
    ext = folder / f"{name}.ext"
    ext.write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    run = lambda *args: subprocess.run(["openssl", *args], check=True, capture_output=True)  # noqa: E731
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", f"/CN={name} test CA",
        "-keyout", str(ca_key), "-out", str(ca))
    run("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", str(key),
        "-out", str(csr))
    run("x509", "-req", "-in", str(csr), "-CA", str(ca), "-CAkey", str(ca_key), "-CAcreateserial",
        "-days", "2", "-extfile", str(ext), "-out", str(cert))
    return {"ca": ca, "cert": cert, "key": key}


class Prometheus:
    """Prometheus scraping ``targets`` (host:port) every second, its data in ``folder``."""

    def __init__(self, folder: Path, targets: list[str], rules: Path | None = None) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        config: dict[str, Any] = {
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "scrape_configs": [{"job_name": "hinge-station", "static_configs": [
                {"targets": targets, "labels": {"station": "test-wall"}}]}]}
        if rules:
            config["rule_files"] = [str(rules)]
        (folder / "prometheus.yml").write_text(json.dumps(config))  # JSON is YAML
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Prometheus:
        self.proc = subprocess.Popen(
            ["prometheus", f"--config.file={self.folder / 'prometheus.yml'}",
             f"--storage.tsdb.path={self.folder / 'data'}", f"--web.listen-address=127.0.0.1:{self.port}"],
            stdout=subprocess.DEVNULL, stderr=(self.folder / "prometheus.log").open("wb"))
        wait_port(self.port, 20)
        deadline = time.monotonic() + 30
        while True:  # the port opens before the storage and the rules are loaded (503 until then)
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/-/ready", timeout=2):
                    return self
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def query(self, promql: str) -> list[dict[str, Any]]:
        url = f"http://127.0.0.1:{self.port}/api/v1/query?" + urllib.parse.urlencode({"query": promql})
        with urllib.request.urlopen(url, timeout=5) as response:
            body = json.loads(response.read())
        assert body["status"] == "success", body
        return list(body["data"]["result"])

    def api(self, path: str) -> Any:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=5) as response:
            return json.loads(response.read())


class Mqtt311Only:
    """A tiny MQTT 3.1.1-only broker (as an old broker behaves, by the 3.1.1 specification): it
    answers a CONNECT of any other protocol level with "unacceptable protocol version", acknowledges
    QoS 1 publishes and records them. Enough for one client; it forwards nothing."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.server.getsockname()[1])
        self.published: list[tuple[str, bytes]] = []
        self.refused_levels: list[int] = []
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

    @staticmethod
    def _read(conn: socket.socket, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = conn.recv(n - len(data))
            if not chunk:
                raise ConnectionError("closed")
            data += chunk
        return data

    def _client(self, conn: socket.socket) -> None:
        while True:
            first = self._read(conn, 1)[0]
            length, shift = 0, 0
            while True:
                byte = self._read(conn, 1)[0]
                length += (byte & 0x7F) << shift
                shift += 7
                if not byte & 0x80:
                    break
            body = self._read(conn, length)
            kind = first >> 4
            if kind == 1:  # CONNECT: protocol name (2 + 4 bytes), then the level
                level = body[6]
                if level != 4:
                    self.refused_levels.append(level)
                    conn.sendall(b"\x20\x02\x00\x01")
                    return
                conn.sendall(b"\x20\x02\x00\x00")
            elif kind == 3:  # PUBLISH
                qos = (first >> 1) & 3
                n = int.from_bytes(body[:2], "big")
                topic, rest = body[2:2 + n].decode(), body[2 + n:]
                if qos:
                    conn.sendall(b"\x40\x02" + rest[:2])
                    rest = rest[2:]
                self.published.append((topic, rest))
            elif kind == 12:  # PINGREQ
                conn.sendall(b"\xd0\x00")
            elif kind == 14:  # DISCONNECT
                return

    def close(self) -> None:
        self.server.close()
