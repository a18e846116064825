"""Python httpx, following redirects (its default is not to), with one
Client for the repeated request."""
import os
import sys

import httpx

method = os.environ["TEAPOT_GRADE_METHOD"]
body = b"teapot" if method == "POST" else None
try:
    with httpx.Client(timeout=10, follow_redirects=True) as client:
        for _ in range(int(os.environ.get("TEAPOT_GRADE_REPEAT", "1"))):
            r = client.request(method, os.environ["TEAPOT_GRADE_URL"], content=body)
            sys.stdout.write(r.text)
except Exception as e:  # the library's error is the point
    print(f"error: {e}", file=sys.stderr)
    sys.exit(1)
