"""Python requests, as it is used by default (redirects followed)."""
import os
import sys

import requests

method = os.environ["TEAPOT_GRADE_METHOD"]
body = b"teapot" if method == "POST" else None
try:
    r = requests.request(method, os.environ["TEAPOT_GRADE_URL"], data=body, timeout=10)
    sys.stdout.write(r.text)
except Exception as e:  # the library's error is the point
    print(f"error: {e}", file=sys.stderr)
    sys.exit(1)
