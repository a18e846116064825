"""Runs httpbin's own test suite against a running teapot.

httpbin's tests (tests/test_httpbin.py of the httpbin sdist on PyPI) talk to
the Flask app through its test client. This file replaces that client, for
the whole run, by one that sends each request over real HTTP (with
`requests`) to the server at TEAPOT_URL, and gives back a response with the
parts of Flask's that the tests read. Nothing else of the suite is changed.
"""

import json
import os

import httpbin
import pytest
import requests

BASE = os.environ.get("TEAPOT_URL", "http://127.0.0.1:8418").rstrip("/")


class Headers:
    """The response's fields, read as werkzeug's Headers reads them."""

    def __init__(self, pairs):
        self._pairs = list(pairs)

    def get(self, name, default=None):
        for n, v in self._pairs:
            if n.lower() == name.lower():
                return v
        return default

    def get_all(self, name):
        return [v for n, v in self._pairs if n.lower() == name.lower()]

    getlist = get_all

    def __getitem__(self, name):
        v = self.get(name)
        if v is None:
            raise KeyError(name)
        return v

    def __contains__(self, name):
        return self.get(name) is not None

    def items(self):
        return list(self._pairs)

    def keys(self):
        return [n for n, _ in self._pairs]

    def __iter__(self):
        return iter(self._pairs)

    def __repr__(self):
        return f"Headers({self._pairs!r})"


class Response:
    """What the tests read of a Flask test response."""

    def __init__(self, r):
        self.status_code = r.status_code
        # The content as sent: Flask's test client decodes no coding.
        self.data = r.raw.read(decode_content=False)
        self.headers = Headers(r.raw.headers.items())
        length = self.headers.get("Content-Length")
        self.content_length = int(length) if length is not None else None
        self.content_type = self.headers.get("Content-Type")
        self.location = self.headers.get("Location")

    def get_data(self, as_text=False):
        return self.data.decode("utf-8") if as_text else self.data

    @property
    def json(self):
        return json.loads(self.data)


class Client:
    """Flask's test client's calls, sent over HTTP to teapot."""

    def __init__(self):
        self.session = requests.Session()

    def open(self, path="/", method="GET", headers=None, data=None, content_type=None,
             query_string=None, follow_redirects=False, **_ignored):
        if isinstance(path, bytes):
            path = path.decode("utf-8")
        fields = {}
        if isinstance(headers, dict):
            fields.update(headers)
        elif headers:
            for name, value in headers:
                fields[name] = value
        # A field without a name cannot go on the wire (Flask's test
        # client passes it to the app without HTTP in between).
        fields = {n: v for n, v in fields.items() if n}
        if content_type is not None:
            fields["Content-Type"] = content_type
        if isinstance(data, str):
            data = data.encode("utf-8")
        r = self.session.request(
            method,
            BASE + path,
            headers=fields,
            data=data,
            params=query_string,
            allow_redirects=follow_redirects,
            stream=True,
            timeout=30,
        )
        return Response(r)

    def get(self, path="/", **kw):
        return self.open(path, method="GET", **kw)

    def post(self, path="/", **kw):
        return self.open(path, method="POST", **kw)

    def put(self, path="/", **kw):
        return self.open(path, method="PUT", **kw)

    def patch(self, path="/", **kw):
        return self.open(path, method="PATCH", **kw)

    def delete(self, path="/", **kw):
        return self.open(path, method="DELETE", **kw)

    def head(self, path="/", **kw):
        return self.open(path, method="HEAD", **kw)

    def options(self, path="/", **kw):
        return self.open(path, method="OPTIONS", **kw)


@pytest.fixture(autouse=True)
def _over_http(monkeypatch):
    monkeypatch.setattr(httpbin.app, "test_client", lambda *a, **k: Client())
