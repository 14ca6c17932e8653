"""Process and thread set-up for the parts whose latency matters.

KUKA's RSI and the ROS drivers built on it recommend a real-time capable PC: an answer
that misses its cycle is dropped by the controller, and 100 of them stop the robot.
Where the OS permits (Linux, root or ``CAP_SYS_NICE``), the RSI thread and the fake
controller's thread ask for ``SCHED_FIFO``; they sleep almost all the time, so they
take little from other work. Where it is not permitted, they run as normal threads.

What the allocator keeps is a process-wide choice made by the entry points
(:func:`choreo.runtime.configure_process`, :func:`choreo.runtime.keep_freed_memory`).
"""

from __future__ import annotations

import logging
import os
import threading

log = logging.getLogger(__name__)

#: SCHED_FIFO priority asked for (1..99; KUKA drivers use ~50-95).
RT_PRIORITY = 50


def make_current_thread_realtime(priority: int = RT_PRIORITY) -> bool:
    """Ask for SCHED_FIFO at ``priority`` for the calling thread; True if granted."""
    setter = getattr(os, "sched_setscheduler", None)
    policy = getattr(os, "SCHED_FIFO", None)
    if setter is None or policy is None:
        return False
    try:
        setter(threading.get_native_id(), policy, os.sched_param(priority))
    except (OSError, ValueError) as exc:
        log.info("real-time scheduling not granted (%s); running as a normal thread", exc)
        return False
    return True
