"""Commands of the robot area, registered on :data:`choreo.cli.app`.

``bridge`` runs the OSC bridge, ``fake-kuka`` a simulated KUKA controller speaking
RSI, ``send`` plays one choreography through a running bridge, ``kuka-files`` writes
the controller-side kit, ``export krl`` and ``export 3dm`` write a choreography as a
KRL program or a Rhino file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from choreo.cli import app, bench_app  # noqa: F401
from choreo.cli.options import Dashboard, DashboardHost, DashboardPort

export_app = typer.Typer(
    help="Write a choreography for other tools: a KRL program, a Rhino file.",
    no_args_is_help=True,
)
app.add_typer(export_app, name="export")


@app.command()
def bridge(
    backend: Annotated[
        str, typer.Option(help="sim, rsi, or auto (RSI if a controller answers).")
    ] = "sim",
    listen: Annotated[str, typer.Option(help="OSC HOST:PORT to listen on.")] = "127.0.0.1:9000",
    reply: Annotated[
        str, typer.Option(help="HOST:PORT that receives every reply ('none': senders only).")
    ] = "127.0.0.1:9001",
    rsi_listen: Annotated[
        str | None,
        typer.Option(
            help="HOST:PORT where the controller sends RSI telegrams "
            "(default 0.0.0.0 and the robot configuration's rsi.sensor_port)."
        ),
    ] = None,
    rsi_controller: Annotated[
        str | None, typer.Option(help="Only answer RSI telegrams from this IP.")
    ] = None,
    speed: Annotated[float, typer.Option(help="Simulator speed (1 = real time).")] = 1.0,
    allow: Annotated[
        str, typer.Option(help="Comma-separated sender IPs allowed (needed off loopback).")
    ] = "",
    config: Annotated[
        str | None, typer.Option(help="Robot configuration name or TOML path.")
    ] = None,
    heartbeat_timeout: Annotated[
        float, typer.Option(help="Seconds without heartbeat that stop a motion.")
    ] = 1.0,
    require_heartbeat: Annotated[
        bool, typer.Option("--require-heartbeat", help="Supervise every motion.")
    ] = False,
    connect_timeout: Annotated[
        float, typer.Option(help="auto: seconds to wait for a first RSI telegram.")
    ] = 2.0,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log every event.")] = False,
    dashboard: Dashboard = False,
    dashboard_host: DashboardHost = "127.0.0.1",
    dashboard_port: DashboardPort = 8765,
) -> None:
    """Run the OSC bridge to the KR6 on the simulator or a KUKA controller (RSI), until Ctrl-C."""
    import logging

    from choreo.config import validate
    from choreo.dashboard.launch import maybe_dashboard
    from choreo.robot.bridge import run_bridge
    from choreo.robot.bridge_settings import BridgeSettings, parse_endpoint

    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    settings = validate(
        BridgeSettings,
        {
            "listen": parse_endpoint(listen, "--listen"),
            "reply": None if reply.lower() == "none" else parse_endpoint(reply, "--reply"),
            "allow": [ip.strip() for ip in allow.split(",") if ip.strip()],
            "backend": backend,
            "rsi_listen": (
                parse_endpoint(rsi_listen, "--rsi-listen") if rsi_listen is not None else None
            ),
            "rsi_controller": rsi_controller,
            "speed": speed,
            "robot_config": config,
            "heartbeat_timeout_s": heartbeat_timeout,
            "require_heartbeat": require_heartbeat,
            "rsi_connect_timeout_s": connect_timeout,
        },
        "bridge options",
    )
    with maybe_dashboard("bridge", dashboard, dashboard_host, dashboard_port) as feed:
        run_bridge(settings, feed=feed)


@app.command("fake-kuka")
def fake_kuka(
    target: Annotated[
        str, typer.Option(help="HOST:PORT of the bridge's --rsi-listen.")
    ] = "127.0.0.1:49152",
    cycle_ms: Annotated[int, typer.Option(help="Sensor cycle: 4 (IPO_FAST) or 12 (IPO) ms.")] = 4,
    duration: Annotated[
        float | None, typer.Option(help="Stop after this many seconds (default: Ctrl-C).")
    ] = None,
    start: Annotated[
        str | None, typer.Option(help="Start pose 'A1,A2,A3,A4,A5,A6' in deg (default HOME).")
    ] = None,
    bind: Annotated[str, typer.Option(help="Local HOST:PORT of the controller.")] = "127.0.0.1:0",
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Write the counters and latencies here.")
    ] = None,
    config: Annotated[
        str | None, typer.Option(help="Robot configuration (its [rsi] tag names).")
    ] = None,
) -> None:
    """Run a fake KUKA controller that speaks RSI to a bridge, like a real KR C4 would."""
    from choreo.errors import InputError
    from choreo.robot.bridge_settings import parse_endpoint
    from choreo.robot.config import load_robot_config
    from choreo.robot.fake_kuka import run_fake_kuka

    start_deg = None
    if start is not None:
        try:
            start_deg = [float(v) for v in start.split(",")]
        except ValueError:
            raise InputError(f"--start: not six numbers: {start!r}") from None
        if len(start_deg) != 6:
            raise InputError(f"--start: needs 6 values A1..A6, got {len(start_deg)}")
    stats = run_fake_kuka(
        parse_endpoint(target, "--target"),
        cycle_ms,
        duration,
        start_deg,
        parse_endpoint(bind, "--bind"),
        str(json_out) if json_out else None,
        load_robot_config(config).rsi,
    )
    if stats.stopped_reason:
        raise typer.Exit(1)


@app.command()
def send(
    random: Annotated[
        int | None, typer.Option("--random", help="Send a random choreography from this seed.")
    ] = None,
    vector: Annotated[
        Path | None, typer.Option(help="File with 196 values (JSON, .npy or text).")
    ] = None,
    trial: Annotated[int, typer.Option(help="Trial id.")] = 0,
    bridge: Annotated[str, typer.Option(help="The bridge's OSC HOST:PORT.")] = "127.0.0.1:9000",
    timeout: Annotated[float, typer.Option(help="Seconds to wait for an answer.")] = 5.0,
) -> None:
    """Send one choreography to a bridge and follow it to done (exit 1 if rejected)."""
    from choreo.errors import InputError
    from choreo.robot.bridge_settings import parse_endpoint
    from choreo.robot.client import read_vector_file, run_send
    from choreo.robot.codec import random_vector

    if (random is None) == (vector is None):
        raise InputError("send: give exactly one of --random SEED or --vector FILE")
    v = random_vector(random) if random is not None else read_vector_file(str(vector))
    code = run_send(v, trial, parse_endpoint(bridge, "--bridge"), timeout)
    if code:
        raise typer.Exit(code)


@app.command("kuka-files")
def kuka_files(
    outdir: Annotated[Path, typer.Argument(help="Folder to write the kit into.")],
    config: Annotated[
        str | None, typer.Option(help="Robot configuration name or TOML path.")
    ] = None,
) -> None:
    """Write the controller kit: RSI Ethernet config, RSI context and the KRL program."""
    from choreo.robot.kuka_files import write_kuka_files

    for path in write_kuka_files(outdir, config):
        print(path)


SourceArg = Annotated[
    Path, typer.Argument(help="A vector file (196 values) or a session directory (its best).")
]


@export_app.command("krl")
def export_krl(
    source: SourceArg,
    out: Annotated[Path, typer.Argument(help="The .src to write; the .dat goes beside it.")],
    config: Annotated[
        str | None, typer.Option(help="Robot configuration name or TOML path.")
    ] = None,
) -> None:
    """Write a choreography as a KRL program (.src/.dat) that moves as planned."""
    from choreo.robot.krl_export import export_krl as write

    for path in write(source, out, config):
        print(path)


@export_app.command("3dm")
def export_3dm(
    source: SourceArg,
    out: Annotated[Path, typer.Argument(help="The .3dm Rhino file to write.")],
    config: Annotated[
        str | None, typer.Option(help="Robot configuration name or TOML path.")
    ] = None,
) -> None:
    """Write a choreography as a Rhino file: flange path and keyframe planes, in mm."""
    from choreo.robot.rhino_export import export_3dm as write

    print(write(source, out, config))
