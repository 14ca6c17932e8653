"""The dashboard's web server: the page, a websocket of snapshots, the artist's commands.

Starlette on uvicorn, in a background thread of the process that publishes (session,
monitor, bridge, replay). Bound to 127.0.0.1 by default; bound elsewhere, every request
needs the token (``?token=...`` or the ``X-Choreo-Token`` header), so that nobody else
on the network can stop a session.

Routes: ``/`` (the page), ``/static/*``, ``/api/state`` (one snapshot, JSON),
``POST /api/command/{name}`` (pause | resume | stop | skip), ``/ws`` (a snapshot every
``1 / rate_hz`` s; the client may send ``{"command": name}`` or ``{"ping": x}``, which
comes back as ``{"pong": x}`` at once, the anchor of the latency benchmark).
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import json
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from choreo.dashboard.state import DashboardFeed
from choreo.errors import ConfigError, StreamError

STATIC_DIR = Path(__file__).with_name("static")
#: Snapshots pushed per second over the websocket.
DEFAULT_RATE_HZ = 20.0
DEFAULT_PORT = 8765


def is_loopback(host: str) -> bool:
    """Whether ``host`` is reachable only from this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _json(data: Any) -> str:
    # allow_nan=False: a NaN that slipped through is a bug, not a value for the page.
    return json.dumps(data, allow_nan=False, separators=(",", ":"))


def build_app(
    feed: DashboardFeed, token: str | None = None, rate_hz: float = DEFAULT_RATE_HZ
) -> Any:
    """The Starlette application serving ``feed`` (``token``: required on every request)."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response
    from starlette.routing import Mount, Route, WebSocketRoute
    from starlette.staticfiles import StaticFiles
    from starlette.types import ASGIApp, Receive, Scope, Send
    from starlette.websockets import WebSocket, WebSocketDisconnect

    def allowed(scope: Scope) -> bool:
        if token is None:
            return True
        query = dict(
            kv.split("=", 1) if "=" in kv else (kv, "")
            for kv in scope.get("query_string", b"").decode("latin-1").split("&")
            if kv
        )
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        given = query.get("token") or headers.get("x-choreo-token") or ""
        return hmac.compare_digest(given.encode(), token.encode())

    class TokenGate:
        """Refuses requests without the token (403; a websocket is closed with 1008)."""

        def __init__(self, app: ASGIApp) -> None:
            self.app = app

        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] in ("http", "websocket") and not allowed(scope):
                if scope["type"] == "websocket":
                    await send({"type": "websocket.close", "code": 1008})
                    return
                resp = PlainTextResponse("choreo dashboard: token required", status_code=403)
                await resp(scope, receive, send)
                return
            await self.app(scope, receive, send)

    async def index(request: Request) -> Response:
        return FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-store"})

    async def state(request: Request) -> Response:
        return JSONResponse(json.loads(_json(feed.snapshot())))

    async def command(request: Request) -> Response:
        name = request.path_params["name"]
        try:
            reply = feed.command(name)
        except ValueError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        return JSONResponse({"command": name, "reply": reply})

    async def ws(websocket: WebSocket) -> None:
        await websocket.accept()
        period = 1.0 / rate_hz
        since = 0

        async def listen() -> None:
            while True:
                msg = await websocket.receive_text()
                try:
                    data = json.loads(msg)
                except ValueError:
                    await websocket.send_text(_json({"error": "not JSON"}))
                    continue
                if "ping" in data:
                    await websocket.send_text(_json({"pong": data["ping"], "wall": time.time()}))
                elif "command" in data:
                    try:
                        reply = feed.command(str(data["command"]))
                    except ValueError as exc:
                        reply = f"error: {exc}"
                    await websocket.send_text(_json({"command": data["command"], "reply": reply}))

        listener = asyncio.create_task(listen())
        try:
            while not listener.done():
                snap = feed.snapshot(since)
                since = snap["n_points"]
                await websocket.send_text(_json(snap))
                await asyncio.sleep(period)
        except (WebSocketDisconnect, RuntimeError, OSError):
            pass
        finally:
            listener.cancel()

    async def no_icon(request: Request) -> Response:
        return Response(status_code=204)

    routes = [
        Route("/", index),
        Route("/favicon.ico", no_icon),
        Route("/api/state", state),
        Route("/api/command/{name}", command, methods=["POST"]),
        WebSocketRoute("/ws", ws),
        Mount("/static", app=StaticFiles(directory=STATIC_DIR), name="static"),
    ]
    return TokenGate(Starlette(routes=routes))


@dataclass
class DashboardServer:
    """A running dashboard (uvicorn in a daemon thread); :meth:`close` stops it.

    Use :func:`serve_dashboard` to start one.
    """

    feed: DashboardFeed
    host: str
    port: int
    token: str | None
    _server: Any = None
    _thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The page's address (with the token when one is needed)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/" + (f"?token={self.token}" if self.token else "")

    def close(self) -> None:
        """Stop serving (waits up to 5 s for the server thread)."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(5.0)
            self._thread = None

    def __enter__(self) -> DashboardServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def serve_dashboard(
    feed: DashboardFeed,
    host: str = "127.0.0.1",
    port: int = DEFAULT_PORT,
    token: str | None = None,
    rate_hz: float = DEFAULT_RATE_HZ,
) -> DashboardServer:
    """Serve ``feed`` at ``http://host:port/`` from a background thread.

    Parameters
    ----------
    host, port
        Where to listen (port 0: a free one, see :attr:`DashboardServer.port`).
    token
        Required on every request; off loopback one is generated when not given.
    rate_hz
        Snapshots per second over the websocket (>= 10 for a live view).

    Raises
    ------
    ConfigError
        ``rate_hz`` is not positive.
    StreamError
        The port cannot be bound (named).
    """
    import socket

    import uvicorn

    if not rate_hz > 0:
        raise ConfigError(f"dashboard rate {rate_hz} Hz: must be > 0")
    if token is None and not is_loopback(host):
        token = secrets.token_urlsafe(16)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise StreamError(
            f"dashboard: cannot listen on {host}:{port} ({exc.strerror}); "
            "choose another --dashboard-port"
        ) from None
    bound_port = sock.getsockname()[1]
    config = uvicorn.Config(
        build_app(feed, token, rate_hz),
        log_level="warning",
        ws="websockets-sansio",
        lifespan="off",
        access_log=False,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="choreo-dashboard", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 10.0
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise StreamError(f"dashboard: the web server on {host}:{bound_port} did not start")
        time.sleep(0.01)
    return DashboardServer(feed, host, bound_port, token, server, thread)
