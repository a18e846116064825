"""Python requests, as it is used by default (redirects followed), with one
Session for the repeated request."""
import os
import sys

import requests

method = os.environ["TEAPOT_GRADE_METHOD"]
body = b"teapot" if method == "POST" else None
try:
    with requests.Session() as session:
        for _ in range(int(os.environ.get("TEAPOT_GRADE_REPEAT", "1"))):
            r = session.request(method, os.environ["TEAPOT_GRADE_URL"], data=body, timeout=10)
            sys.stdout.write(r.text)
except Exception as e:  # the library's error is the point
    print(f"error: {e}", file=sys.stderr)
    sys.exit(1)
