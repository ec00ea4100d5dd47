"""A frame-level WebSocket client (RFC 6455) on a plain socket, for the conformance suite.

Independent of the relay and of any WebSocket library: it writes exactly the
bytes a test asks for (wrong masks, reserved bits, odd opcodes, non-minimal
fragments) and reads frames back without interpreting them, so a test can
assert what the server really did. Every read is bounded by the socket timeout.
"""

from __future__ import annotations

import base64
import hashlib
import os
import socket
import struct
from dataclasses import dataclass
from typing import Optional

TIMEOUT = 5.0
GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

CONT, TEXT, BINARY, CLOSE, PING, PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA


@dataclass
class Frame:
    fin: bool
    rsv: int
    opcode: int
    payload: bytes

    @property
    def close_code(self) -> Optional[int]:
        return struct.unpack(">H", self.payload[:2])[0] if self.opcode == CLOSE and len(self.payload) >= 2 else None

    @property
    def close_reason(self) -> bytes:
        return self.payload[2:] if self.opcode == CLOSE else b""


@dataclass
class HandshakeResponse:
    status: int
    headers: dict[str, str]  # lower-case names
    head: bytes


class Closed(Exception):
    """The TCP connection ended (EOF or reset) while a frame was expected."""


def accept_value(key: str) -> str:
    return base64.b64encode(hashlib.sha1(key.encode() + GUID).digest()).decode()


def encode_frame(opcode: int, payload: bytes = b"", *, fin: bool = True, rsv: int = 0,
                 mask: Optional[bytes] = None, masked: bool = True, length_form: Optional[int] = None) -> bytes:
    """One frame as bytes. `rsv` is the 3 reserved bits (0–7); `masked=False`
    sends the payload in the clear, as only a server may; `length_form` forces
    the 7-, 16- or 64-bit length encoding (7, 16, 64) instead of the shortest."""
    n = len(payload)
    form = length_form or (7 if n < 126 else 16 if n < 65536 else 64)
    first = (0x80 if fin else 0) | (rsv & 7) << 4 | (opcode & 0xF)
    mask_bit = 0x80 if masked else 0
    if form == 7:
        assert n < 126
        header = bytes([first, mask_bit | n])
    elif form == 16:
        assert n < 65536
        header = bytes([first, mask_bit | 126]) + struct.pack(">H", n)
    else:
        header = bytes([first, mask_bit | 127]) + struct.pack(">Q", n)
    if not masked:
        return header + payload
    key = mask if mask is not None else os.urandom(4)
    return header + key + xor(payload, key)


def xor(data: bytes, key: bytes) -> bytes:
    if not data:
        return b""
    # Whole-buffer XOR through big integers: fast enough for 64 KiB payloads.
    repeated = (key * (len(data) // 4 + 1))[:len(data)]
    return (int.from_bytes(data, "big") ^ int.from_bytes(repeated, "big")).to_bytes(len(data), "big")


def close_payload(code: Optional[int], reason: bytes = b"") -> bytes:
    return b"" if code is None else struct.pack(">H", code) + reason


class RawWebSocket:
    """An upgraded connection. `send_*` write frames as given; `recv_frame`
    returns the next server frame or raises `Closed` at end of stream."""

    def __init__(self, sock: socket.socket, leftover: bytes = b""):
        self.sock = sock
        self.buf = leftover

    # -- handshake ------------------------------------------------------------------

    @staticmethod
    def request(port: int, path: str, headers: dict[str, Optional[str]], timeout: float = TIMEOUT,
                request_line: Optional[str] = None) -> tuple[socket.socket, HandshakeResponse, bytes]:
        """Sends an upgrade request with exactly `headers` (None values are left
        out) and reads the response head. Returns the socket, the parsed head and
        any bytes read past it."""
        sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        sock.settimeout(timeout)
        lines = [request_line or f"GET {path} HTTP/1.1"]
        lines += [f"{name}: {value}" for name, value in headers.items() if value is not None]
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        data = b""
        while b"\r\n\r\n" not in data:
            try:
                chunk = sock.recv(4096)
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                break
            data += chunk
        head, _, rest = data.partition(b"\r\n\r\n")
        return sock, parse_head(head), rest

    @staticmethod
    def upgrade_headers(port: int, protocol: Optional[str], key: Optional[str] = None) -> dict[str, Optional[str]]:
        return {
            "Host": f"127.0.0.1:{port}",
            "Upgrade": "websocket",
            "Connection": "Upgrade",
            "Sec-WebSocket-Key": key or base64.b64encode(os.urandom(16)).decode(),
            "Sec-WebSocket-Version": "13",
            "Sec-WebSocket-Protocol": protocol,
        }

    @classmethod
    def connect(cls, port: int, path: str, protocol: str, timeout: float = TIMEOUT) -> "RawWebSocket":
        """A successful upgrade (101, the right accept value and subprotocol), or an AssertionError."""
        headers = cls.upgrade_headers(port, protocol)
        sock, response, rest = cls.request(port, path, headers, timeout)
        ok = (response.status == 101
              and response.headers.get("sec-websocket-accept") == accept_value(headers["Sec-WebSocket-Key"])
              and response.headers.get("sec-websocket-protocol") == protocol)
        if not ok:
            sock.close()
            raise AssertionError(f"upgrade refused or malformed: {response.head!r}")
        return cls(sock, rest)

    # -- sending --------------------------------------------------------------------

    def send_raw(self, data: bytes):
        self.sock.sendall(data)

    def send_frame(self, opcode: int, payload: bytes = b"", **kw):
        self.sock.sendall(encode_frame(opcode, payload, **kw))

    def send_text(self, text: str | bytes, **kw):
        self.send_frame(TEXT, text.encode() if isinstance(text, str) else text, **kw)

    def send_fragments(self, opcode: int, parts: list[bytes]):
        """One message as len(parts) frames: `opcode` first, continuations after, FIN on the last."""
        for i, part in enumerate(parts):
            self.send_frame(opcode if i == 0 else CONT, part, fin=i == len(parts) - 1)

    def send_close(self, code: Optional[int] = 1000, reason: bytes = b""):
        self.send_frame(CLOSE, close_payload(code, reason))

    # -- receiving ------------------------------------------------------------------

    def _fill(self, n: int):
        while len(self.buf) < n:
            try:
                chunk = self.sock.recv(65536)  # bounded by the socket timeout
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                raise Closed(f"connection ended with {len(self.buf)} of {n} bytes buffered")
            self.buf += chunk

    def _take(self, n: int) -> bytes:
        self._fill(n)
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def recv_frame(self) -> Frame:
        b0, b1 = self._take(2)
        assert not b1 & 0x80, "a server frame must not be masked (RFC 6455 §5.1)"
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack(">H", self._take(2))[0]
        elif n == 127:
            n = struct.unpack(">Q", self._take(8))[0]
        return Frame(fin=bool(b0 & 0x80), rsv=(b0 >> 4) & 7, opcode=b0 & 0xF, payload=self._take(n))

    def recv_data(self) -> Frame:
        """The next text or binary frame (control frames skipped)."""
        while True:
            frame = self.recv_frame()
            if frame.opcode in (TEXT, BINARY, CONT):
                return frame
            if frame.opcode == CLOSE:
                raise AssertionError(f"expected a data frame, got close {frame.close_code} {frame.close_reason!r}")

    def recv_until_close(self) -> tuple[Frame, list[Frame]]:
        """Reads until the server's close frame; returns it and the frames before it."""
        before = []
        while True:
            frame = self.recv_frame()
            if frame.opcode == CLOSE:
                return frame, before
            before.append(frame)

    def at_eof(self) -> bool:
        """Whether the server closed the TCP connection (after its close frame):
        True on EOF or reset, False if data arrives instead."""
        try:
            self._fill(len(self.buf) + 1)
        except Closed:
            return True
        return False

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def parse_head(head: bytes) -> HandshakeResponse:
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2) if lines and lines[0] else []
    status = int(parts[1]) if len(parts) >= 2 and parts[1].isdigit() else 0
    headers = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    return HandshakeResponse(status, headers, head)
