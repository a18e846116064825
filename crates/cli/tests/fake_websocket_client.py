"""A WebSocket client for the grade tests, written on sockets so that it can
break one rule of RFC 6455 at a time:

    python3 fake_websocket_client.py MODE URL

MODE is `good` (checks Sec-WebSocket-Accept, masks, answers pings and the
Close), `trusting` (takes any Sec-WebSocket-Accept), `unmasked` (sends its
frames unmasked), `no-pong` (ignores pings) or `no-close` (does not answer
the server's Close). Each text message is printed and sent back until the
server closes. Exit 1 when the handshake is refused.
"""

import base64
import hashlib
import os
import socket
import struct
import sys
from urllib.parse import urlsplit

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def frame(opcode, payload, masked):
    head = bytes([0x80 | opcode])
    if not masked:
        return head + bytes([len(payload)]) + payload
    key = os.urandom(4)
    body = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
    return head + bytes([0x80 | len(payload)]) + key + body


def read_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


def read_frame(sock):
    b0, b1 = read_exact(sock, 2)
    length = b1 & 0x7F
    if length == 126:
        (length,) = struct.unpack("!H", read_exact(sock, 2))
    elif length == 127:
        (length,) = struct.unpack("!Q", read_exact(sock, 8))
    return b0 & 0x0F, read_exact(sock, length)


def main():
    mode, url = sys.argv[1], urlsplit(sys.argv[2])
    sock = socket.create_connection((url.hostname, url.port or 80), timeout=10)
    key = base64.b64encode(os.urandom(16))
    sock.sendall(
        b"GET " + url.path.encode() + b" HTTP/1.1\r\nHost: " + url.netloc.encode()
        + b"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13"
        + b"\r\nSec-WebSocket-Key: " + key + b"\r\n\r\n"
    )
    head = b""
    while b"\r\n\r\n" not in head:
        head += read_exact(sock, 1)
    lines = head.decode("latin-1").split("\r\n")
    fields = {k.strip().lower(): v.strip() for k, _, v in (l.partition(":") for l in lines[1:] if l)}
    want = base64.b64encode(hashlib.sha1(key + GUID).digest()).decode()
    if not lines[0].startswith("HTTP/1.1 101"):
        sys.exit(f"no switch: {lines[0]}")
    if fields.get("sec-websocket-accept") != want and mode != "trusting":
        sock.close()
        sys.exit("Sec-WebSocket-Accept does not match the key")
    masked = mode != "unmasked"
    try:
        while True:
            opcode, payload = read_frame(sock)
            if opcode == 0x9 and mode != "no-pong":
                sock.sendall(frame(0xA, payload, masked))
            elif opcode == 0x1:
                print(payload.decode(), flush=True)
                sock.sendall(frame(0x1, payload, masked))
            elif opcode == 0x8:
                if mode != "no-close":
                    sock.sendall(frame(0x8, payload[:2], masked))
                # The server closes the TCP connection first.
                while sock.recv(4096):
                    pass
                return
    except EOFError:
        return


main()
