"""Run the third-party ``rsipi`` package's simulated KUKA controller (its ``EchoServer``)
on loopback, from the controller kit ``choreo kuka-files`` writes; report what it saw.

Run by tests/robot/test_rsipi_conformance.py as its own process, in a scratch working
folder: importing ``RSIPI.rsi_echo_server`` creates ``logs/`` in the working folder
and sets the root logger to DEBUG, and in its own process the controller's timing
does not depend on the test's.

Two adaptations, neither changing how it speaks RSI:

- ``EchoServer`` binds its socket to 0.0.0.0:50000 (fixed). The test suite's servers
  bind to 127.0.0.1, on free ports: the socket module it uses is swapped for one whose
  ``bind`` of 0.0.0.0:50000 becomes 127.0.0.1:0.
- Its robot starts at all zeros; the kit's program starts RSI at HOME, so its state
  (actual and setpoint axes, and the absolute-mode base pose) is set to HOME first.

It prints ``PEER {"ready": true}`` once running, runs until its stdin closes, RSI
breaks off, or ``--duration`` s pass, then writes a JSON summary to ``--json``.
"""

from __future__ import annotations

import argparse
import copy
import json
import socket
import sys
import threading
import time
import types
from typing import Any

HOME = (0.0, -90.0, 90.0, 0.0, 0.0, 0.0)


class _LoopbackSocket(socket.socket):
    def bind(self, address: Any) -> None:
        if tuple(address) == ("0.0.0.0", 50000):
            address = ("127.0.0.1", 0)
        super().bind(address)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", required=True, help="the kit's ETHERNET config XML")
    ap.add_argument("--context", required=True, help="the kit's RSI context (.rsi.xml)")
    ap.add_argument("--cycle-ms", type=int, default=4)
    ap.add_argument("--duration", type=float, default=30.0)
    ap.add_argument("--json", required=True)
    args = ap.parse_args()

    import RSIPI.rsi_echo_server as echo
    from RSIPI.config_parser import ConfigParser
    from RSIPI.rsi_limit_parser import parse_ethernet_timeout, parse_rsi_limits

    echo.socket = types.SimpleNamespace(  # type: ignore[assignment]
        socket=_LoopbackSocket,
        AF_INET=socket.AF_INET,
        SOCK_DGRAM=socket.SOCK_DGRAM,
        timeout=TimeoutError,
    )

    class RecordingEchoServer(echo.EchoServer):  # type: ignore[misc]
        """Counts the replies it accepted and the robot's pose after each."""

        def process_reply(self, xml_string: str) -> Any:
            ok = super().process_reply(xml_string)
            if ok:
                self.accepted += 1
                self.poses.append([self.state["AIPos"][f"A{i}"] for i in range(1, 7)])
            return ok

    server = RecordingEchoServer(
        config_file=args.config, delay_ms=args.cycle_ms, mode="absolute", rsi_file=args.context
    )
    server.accepted = 0
    server.poses = []
    for key in ("AIPos", "ASPos"):
        server.state[key].update({f"A{i + 1}": v for i, v in enumerate(HOME)})
    server.base_pose = {
        k: copy.deepcopy(v) for k, v in server.state.items() if isinstance(v, dict)
    }
    first_ipoc = server.ipoc_value
    parsed = ConfigParser(args.config)
    server.start()
    started = time.monotonic()
    print("PEER " + json.dumps({"ready": True}), flush=True)

    closed = threading.Event()

    def watch_stdin() -> None:
        sys.stdin.read()
        closed.set()

    threading.Thread(target=watch_stdin, daemon=True).start()
    t_end = time.monotonic() + args.duration
    while server.running and not closed.is_set() and time.monotonic() < t_end:
        time.sleep(0.01)
    broke_off = not server.running
    elapsed = time.monotonic() - started
    telegrams = (server.ipoc_value - first_ipoc) // args.cycle_ms
    server.stop()
    summary = {
        "network": parsed.get_network_settings(),
        "receive": parsed.receive_variables,
        "send": sorted(parsed.send_variables),
        "limits": {k: list(v) for k, v in parse_rsi_limits(args.context).items()},
        "timeout_packets": parse_ethernet_timeout(args.context),
        "budget": server.timeout_packets,
        "accepted": server.accepted,
        "faulty_packets": server.faulty_packets,
        "broke_off": broke_off,
        "telegrams": telegrams,
        "elapsed_s": elapsed,
        "ipoc_step": server.ipoc_increment,
        "poses": server.poses,
        "final_aipos": [server.state["AIPos"][f"A{i}"] for i in range(1, 7)],
    }
    with open(args.json, "w") as fh:
        json.dump(summary, fh)


if __name__ == "__main__":
    main()
