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
        for _ in range(int(os.environ.get("TEAPOT_GRADE_REPEAT", "1"))):
            async with session.request(method, url, data=body, expect100=expect) as r:
                sys.stdout.write(await r.text())


try:
    asyncio.run(main())
except Exception as e:  # the library's error is the point
    print(f"error: {e}", file=sys.stderr)
    sys.exit(1)
