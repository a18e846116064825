"""teapot over HTTP/3, driven by aioquic's HTTP/3 client (an implementation
independent of the server's quinn and h3 crates).

    TEAPOT_BIN=target/debug/teapot python -m pytest tests/h3

Starts `teapot serve --tls-self-signed --http3` on a free loopback port and
stops it at the end."""

import asyncio
import os
import socket
import subprocess
import time

import pytest

from h3client import connection

H3_NO_ERROR = 0x100
H3_GENERAL_PROTOCOL_ERROR = 0x101
H3_INTERNAL_ERROR = 0x102
H3_VERSION_FALLBACK = 0x110


def free_port():
    # A port free for both TCP and UDP.
    while True:
        with socket.socket() as tcp, socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            tcp.bind(("127.0.0.1", 0))
            port = tcp.getsockname()[1]
            try:
                udp.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port


@pytest.fixture(scope="module")
def server():
    binary = os.environ.get("TEAPOT_BIN", "target/debug/teapot")
    port = free_port()
    proc = subprocess.Popen(
        [binary, "serve", "--tls-self-signed", "--http3", "--bind", f"127.0.0.1:{port}"],
        env={**os.environ, "TEAPOT_LOG": "warn"},
    )
    deadline = time.monotonic() + 20
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError("teapot did not start")
            time.sleep(0.1)
    yield port
    proc.terminate()
    assert proc.wait(15) == 0


def run(port, *requests, **settings):
    """Sends each (method, path, headers, body) on one connection, one after
    the other, and returns what came back."""

    async def go():
        out = []
        async with connection("127.0.0.1", port, **settings) as client:
            for method, path, headers, body in requests:
                out.append(await client.request(method, f"127.0.0.1:{port}", path, headers, body))
        return out

    return asyncio.run(go())


def get(port, path, headers=()):
    return run(port, ("GET", path, list(headers), b""))[0]


def test_final_answer_with_alt_svc(server):
    ex = get(server, "/418")
    assert ex.status == 418
    assert ex.body == b"418 I'm a teapot\n"
    assert ex.final["content-length"] == str(len(ex.body))
    assert ex.final["alt-svc"] == f'h3=":{server}"; ma=86400'


def test_103_early_hints_come_first_with_their_link(server):
    ex = get(server, "/103")
    assert [h[":status"] for h in ex.heads] == [103, 200]
    assert "rel=preload" in ex.heads[0]["link"]
    assert "date" not in ex.heads[0]


def test_two_102_before_the_final_answer(server):
    ex = get(server, "/102?count=2")
    assert [h[":status"] for h in ex.heads] == [102, 102, 200]


@pytest.mark.parametrize("code", [204, 304])
def test_no_content(server, code):
    ex = get(server, f"/{code}")
    assert ex.status == code
    assert ex.body == b""
    assert "content-length" not in ex.final or ex.final["content-length"] == "0"


def test_expect_100_continue_is_answered_before_the_body(server):
    async def go():
        async with connection("127.0.0.1", server) as client:
            return await client.expect_continue(f"127.0.0.1:{server}", "/anything", b"after the 100")

    ex = asyncio.run(go())
    assert [h[":status"] for h in ex.heads] == [100, 200]
    import json

    assert json.loads(ex.body)["data"] == "after the 100"


def test_405_names_the_allowed_methods(server):
    ex = get(server, "/405")
    assert ex.status == 405
    assert "POST" in ex.final["allow"]


def test_post_is_echoed(server):
    body = b"hello over QUIC " * 1000
    ex = run(server, ("POST", "/anything", [("content-type", "text/plain")], body))[0]
    assert ex.status == 200
    import json

    echoed = json.loads(ex.body)
    assert echoed["data"] == body.decode()
    assert echoed["method"] == "POST"
    assert echoed["url"].startswith("https://")


def test_reset_fault_is_a_stream_reset(server):
    reset, after = run(server, ("GET", "/fault/reset", [], b""), ("GET", "/200", [], b""))
    assert reset.reset == H3_INTERNAL_ERROR
    assert reset.final is None
    # Only the stream was reset: the connection goes on.
    assert after.status == 200


def test_truncate_fault_delivers_what_it_sent_then_resets(server):
    # QUIC drops what a reset stream has not delivered: the server lets the
    # head and the 100 bytes arrive before it resets.
    ex = get(server, "/fault/truncate")
    assert ex.status == 200
    assert ex.final["content-length"] == "1024"
    assert ex.body == b"x" * 100
    assert ex.reset == H3_INTERNAL_ERROR


def test_bad_chunk_fault_ends_the_connection_as_broken(server):
    async def go():
        async with connection("127.0.0.1", server) as client:
            ex = await client.request("GET", f"127.0.0.1:{server}", "/fault/bad-chunk")
            await asyncio.wait_for(client.wait_closed(), 5)
            return ex, client._quic._close_event

    ex, closed = asyncio.run(go())
    assert ex.status == 200
    assert ex.body == b"hello"
    assert closed.error_code == H3_GENERAL_PROTOCOL_ERROR


def test_close_fault_closes_the_connection(server):
    ex = get(server, "/fault/close")
    assert ex.closed == H3_NO_ERROR


@pytest.mark.parametrize("path", ["/101", "/426"])
def test_http11_only_answers_send_the_client_back(server, path):
    ex = get(server, path)
    assert ex.reset == H3_VERSION_FALLBACK
    assert ex.heads == []


def test_trailers_as_a_trailing_headers_frame(server):
    ex = get(server, "/trailers?Server-Timing=db;dur=1", [("te", "trailers")])
    assert ex.status == 200
    assert ex.final["trailers"] == {"server-timing": "db;dur=1"}


def test_limits_as_on_http2(server):
    # Within what the server advertises but over its own limits: its 431
    # and 414 with problem details; a body over --max-body: 413.
    fields = [(f"x-big{i}", "a" * 1000) for i in range(20)]
    big_head, long_uri, big_body = run(
        server,
        ("GET", "/200", fields, b""),
        ("GET", "/" + "a" * 9000, [], b""),
        ("POST", "/anything", [], b"x" * (11 * 1024 * 1024)),
    )
    assert big_head.status == 431
    assert big_head.final["content-type"] == "application/problem+json"
    assert long_uri.status == 414
    assert big_body.status == 413


def test_more_streams_than_allowed_wait_their_turn(server):
    async def go():
        async with connection("127.0.0.1", server) as client:
            return await asyncio.gather(
                *[client.request("GET", f"127.0.0.1:{server}", "/delay/0.2") for _ in range(300)]
            )

    statuses = {ex.status for ex in asyncio.run(go())}
    assert statuses == {200}
    # The server is still up.
    assert get(server, "/200").status == 200


def test_a_small_window_gets_the_whole_answer_beside_others(server):
    # A tiny initial window: the large answer goes as the client opens it,
    # whole, while other streams and other connections are answered.
    async def go():
        async with connection("127.0.0.1", server, max_stream_data=1024, max_data=4096) as slow:
            large = asyncio.ensure_future(
                slow.request("GET", f"127.0.0.1:{server}", "/bytes/90000?seed=7", timeout=60)
            )
            beside = await slow.request("GET", f"127.0.0.1:{server}", "/200")
            async with connection("127.0.0.1", server) as other:
                elsewhere = await other.request("GET", f"127.0.0.1:{server}", "/bytes/90000?seed=7")
            large = await large
            return beside.status, elsewhere, large

    beside, elsewhere, large = asyncio.run(go())
    assert beside == 200
    assert large.status == 200 and len(large.body) == 90000
    assert large.body == elsewhere.body


def test_metrics_count_http3_exchanges(server):
    def count(body):
        for line in body.decode().splitlines():
            if line.startswith('teapot_protocol_requests_total{protocol="HTTP/3"}'):
                return int(float(line.split()[-1]))
        raise AssertionError("no HTTP/3 series")

    before, _, _, after = run(
        server,
        ("GET", "/metrics", [], b""),
        ("GET", "/200", [], b""),
        ("GET", "/404", [], b""),
        ("GET", "/metrics", [], b""),
    )
    # The first /metrics itself, and the two between.
    assert count(after.body) - count(before.body) == 3


def test_no_early_data_is_offered_or_accepted(server):
    # 0-RTT requests can be replayed (RFC 9114 §10.9, RFC 8470): the
    # server's session tickets resume TLS but allow no early data.
    tickets = []

    async def go(**settings):
        async with connection("127.0.0.1", server, **settings) as client:
            ex = await client.request("POST", f"127.0.0.1:{server}", "/anything", [], b"once")
            await asyncio.sleep(0.2)
            tls = client._quic.tls
            return ex, tls.session_resumed, tls.early_data_accepted

    first, _, _ = asyncio.run(go(tickets=tickets))
    assert first.status == 200
    assert tickets, "no session ticket"
    assert all(not t.max_early_data_size for t in tickets)
    again, resumed, early = asyncio.run(go(session_ticket=tickets[-1]))
    assert again.status == 200
    assert resumed is True
    assert early is False


def _headers(client, sid, fields):
    from aioquic.h3.connection import FrameType, encode_frame

    return encode_frame(FrameType.HEADERS, client.h3._encode_headers(sid, fields))


def _get(path=b"/200", *more):
    return [(b":method", b"GET"), (b":scheme", b"https"), (b":authority", b"t"), (b":path", path), *more]


def _malformed():
    from aioquic.h3.connection import FrameType, encode_frame

    post = [(b":method", b"POST"), (b":scheme", b"https"), (b":authority", b"t"), (b":path", b"/anything")]
    return {
        # (what goes on the request stream, what must come back)
        "data before headers": (lambda c, s: encode_frame(FrameType.DATA, b"hello"), ("closed", 0x105)),
        "not frames at all": (lambda c, s: b"\xff" * 8 + b" garbage", ("closed", 0x106)),
        "a frame cut short": (lambda c, s: b"\x01\x40\x80abc", ("closed", 0x106)),
        "no :path": (lambda c, s: _headers(c, s, _get()[:3]), ("reset", 0x10E)),
        "an upper-case field name": (lambda c, s: _headers(c, s, _get(b"/200", (b"X-Upper", b"1"))), ("reset", 0x10E)),
        "Connection in a request": (lambda c, s: _headers(c, s, _get(b"/200", (b"connection", b"close"))), ("status", 400)),
        "Transfer-Encoding in a request": (
            lambda c, s: _headers(c, s, _get(b"/200", (b"transfer-encoding", b"chunked"))),
            ("status", 400),
        ),
        "DATA shorter than Content-Length": (
            lambda c, s: _headers(c, s, post + [(b"content-length", b"10")]) + encode_frame(FrameType.DATA, b"abc"),
            ("status", 400),
        ),
        "DATA longer than Content-Length": (
            lambda c, s: _headers(c, s, post + [(b"content-length", b"2")]) + encode_frame(FrameType.DATA, b"abc"),
            ("status", 400),
        ),
        "an unknown frame type first (ignored)": (
            lambda c, s: encode_frame(0x21, b"grease") + _headers(c, s, _get()),
            ("status", 200),
        ),
    }


@pytest.mark.parametrize("case", list(_malformed()))
def test_malformed_requests_get_the_rfc_answer_and_the_server_stays_up(server, case):
    from h3client import Exchange

    payload, (kind, value) = _malformed()[case]

    async def go():
        async with connection("127.0.0.1", server) as client:
            sid = client._quic.get_next_available_stream_id()
            done = asyncio.get_running_loop().create_future()
            ex = Exchange()
            client.open[sid] = (ex, done)
            client._quic.send_stream_data(sid, payload(client, sid), end_stream=True)
            client.transmit()
            return await asyncio.wait_for(done, 5)

    ex = asyncio.run(go())
    got = {"closed": ex.closed, "reset": ex.reset, "status": ex.status}[kind]
    assert got == value, ex
    if kind == "status" and value == 400:
        assert ex.final["content-type"] == "application/problem+json"
    assert get(server, "/200").status == 200
