"""Helpers of the dashboard tests."""

from __future__ import annotations

import json
import urllib.request


def post_command(port: int, name: str) -> str:
    """Press a dashboard button over HTTP; return the dashboard's reply."""
    req = urllib.request.Request(f"http://127.0.0.1:{port}/api/command/{name}", method="POST")
    with urllib.request.urlopen(req, timeout=5) as resp:
        return str(json.loads(resp.read())["reply"])
