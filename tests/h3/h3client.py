"""A small HTTP/3 client on aioquic that records everything a response
stream carries: every header block (interim ones included), the content,
trailers, and a stream reset with its error code."""

import asyncio
import ssl
from dataclasses import dataclass, field

from aioquic.asyncio import connect
from aioquic.asyncio.protocol import QuicConnectionProtocol
from aioquic.h3.connection import H3_ALPN, H3Connection
from aioquic.h3.events import DataReceived, HeadersReceived
from aioquic.quic.configuration import QuicConfiguration
from aioquic.quic.events import ConnectionTerminated, StreamReset


@dataclass
class Exchange:
    """What came back on one request stream."""

    heads: list = field(default_factory=list)
    body: bytes = b""
    reset: int | None = None
    closed: int | None = None

    @property
    def interim(self):
        return [h for h in self.heads if 100 <= h[":status"] < 200][: len(self.heads) - 1]

    @property
    def final(self):
        return self.heads[-1] if self.heads and self.heads[-1][":status"] >= 200 else None

    @property
    def status(self):
        return self.final[":status"] if self.final else None


def _head(pairs):
    head = {}
    for name, value in pairs:
        name, value = name.decode(), value.decode()
        if name == ":status":
            head[name] = int(value)
        elif name in head:
            head[name] += ", " + value
        else:
            head[name] = value
    return head


class Client(QuicConnectionProtocol):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.h3 = H3Connection(self._quic)
        self.open = {}

    def quic_event_received(self, event):
        if isinstance(event, StreamReset) and event.stream_id in self.open:
            ex, done = self.open.pop(event.stream_id)
            ex.reset = event.error_code
            done.set_result(ex)
            return
        if isinstance(event, ConnectionTerminated):
            for ex, done in self.open.values():
                ex.closed = event.error_code
                if not done.done():
                    done.set_result(ex)
            self.open.clear()
            return
        for e in self.h3.handle_event(event):
            if e.stream_id not in self.open:
                continue
            ex, done = self.open[e.stream_id]
            if isinstance(e, HeadersReceived):
                head = _head(e.headers)
                if ":status" in head:
                    ex.heads.append(head)
                else:
                    ex.heads[-1].setdefault("trailers", {}).update(head)
            elif isinstance(e, DataReceived):
                ex.body += e.data
            if getattr(e, "stream_ended", False):
                self.open.pop(e.stream_id)
                done.set_result(ex)

    async def expect_continue(self, authority, path, body, timeout=10):
        """A POST with `Expect: 100-continue`: the body goes only after an
        interim 100 arrives (or a final answer, then it does not go)."""
        sid = self._quic.get_next_available_stream_id()
        fields = [
            (b":method", b"POST"),
            (b":scheme", b"https"),
            (b":authority", authority.encode()),
            (b":path", path.encode()),
            (b"expect", b"100-continue"),
            (b"content-length", str(len(body)).encode()),
        ]
        self.h3.send_headers(sid, fields, end_stream=False)
        done = asyncio.get_running_loop().create_future()
        ex = Exchange()
        self.open[sid] = (ex, done)
        self.transmit()
        deadline = asyncio.get_running_loop().time() + timeout
        while not ex.heads and not done.done():
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError("no answer to the Expect")
            await asyncio.sleep(0.01)
        if ex.heads and ex.heads[0][":status"] == 100:
            self.h3.send_data(sid, body, end_stream=True)
            self.transmit()
        return await asyncio.wait_for(done, timeout)

    async def request(self, method, authority, path, headers=(), body=b"", timeout=10):
        sid = self._quic.get_next_available_stream_id()
        fields = [
            (b":method", method.encode()),
            (b":scheme", b"https"),
            (b":authority", authority.encode()),
            (b":path", path.encode()),
        ] + [(n.lower().encode(), v.encode()) for n, v in headers]
        self.h3.send_headers(sid, fields, end_stream=not body)
        if body:
            self.h3.send_data(sid, body, end_stream=True)
        done = asyncio.get_running_loop().create_future()
        self.open[sid] = (Exchange(), done)
        self.transmit()
        return await asyncio.wait_for(done, timeout)


def connection(host, port, tickets=None, **settings):
    """An async context manager: a client connected over HTTP/3. The
    server's self-signed certificate is not verified; session tickets the
    server sends are appended to `tickets` when given."""
    config = QuicConfiguration(is_client=True, alpn_protocols=H3_ALPN, **settings)
    config.verify_mode = ssl.CERT_NONE
    handler = tickets.append if tickets is not None else None
    return connect(host, port, configuration=config, create_protocol=Client, session_ticket_handler=handler)
