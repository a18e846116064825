"""Python httpx, following redirects (its default is not to)."""
import os
import sys

import httpx

method = os.environ["TEAPOT_GRADE_METHOD"]
body = b"teapot" if method == "POST" else None
try:
    r = httpx.request(method, os.environ["TEAPOT_GRADE_URL"], content=body, timeout=10, follow_redirects=True)
    sys.stdout.write(r.text)
except Exception as e:  # the library's error is the point
    print(f"error: {e}", file=sys.stderr)
    sys.exit(1)
