"""Python aiohttp, as it is used by default (redirects followed), with one
ClientSession for the repeated request."""
import asyncio
import os
import sys

import aiohttp


async def main():
    method = os.environ["TEAPOT_GRADE_METHOD"]
    body = b"teapot" if method == "POST" else None
    # aiohttp can wait for 100 Continue before the body (expect100).
    expect = os.environ.get("TEAPOT_GRADE_EXPECT") == "100-continue"
    url = os.environ["TEAPOT_GRADE_URL"]
    timeout = aiohttp.ClientTimeout(total=10)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        if os.environ.get("TEAPOT_GRADE_UPGRADE") == "websocket":
            # A WebSocket: each text message printed and sent back, until
            # the server closes (aiohttp answers pings and the Close).
            async with session.ws_connect(url) as ws:
                async for msg in ws:
                    if msg.type == aiohttp.WSMsgType.TEXT:
                        sys.stdout.write(msg.data + "\n")
                        await ws.send_str(msg.data)
                    elif msg.type == aiohttp.WSMsgType.ERROR:
                        raise ws.exception()
            return
        for _ in range(int(os.environ.get("TEAPOT_GRADE_REPEAT", "1"))):
            async with session.request(method, url, data=body, expect100=expect) as r:
                sys.stdout.write(await r.text())


try:
    asyncio.run(main())
except Exception as e:  # the library's error is the point
    print(f"error: {e}", file=sys.stderr)
    sys.exit(1)
