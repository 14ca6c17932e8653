"""Process and thread set-up for the parts whose latency matters.

KUKA's RSI and the ROS drivers built on it recommend a real-time capable PC: an answer
that misses its cycle is dropped by the controller, and 100 of them stop the robot.
Where the OS permits (Linux, root or ``CAP_SYS_NICE``), the RSI thread and the fake
controller's thread ask for ``SCHED_FIFO``; they sleep almost all the time, so they
take little from other work. Where it is not permitted, they run as normal threads.

:func:`keep_freed_memory` changes the C allocator for the whole process, so nothing
calls it on import: the processes that plan on the clock (the ``choreo bridge``
process, the RSI process, the planning benchmarks) call it at start-up.
"""

from __future__ import annotations

import ctypes
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


def keep_freed_memory() -> bool:
    """Ask glibc to keep freed memory for reuse rather than return it to the OS.

    A plan allocates a few MB of arrays (four (n, 6) arrays for ~15000 samples). By
    default glibc hands freed memory back (large blocks are mmapped, the heap is
    trimmed), so the next plan page-faults all of it in again: ~930 minor faults per
    ``check_choreography``, which doubles its CPU time (measured 4.5 -> 1.9 ms median
    on the 2-core VM). Process-wide, for the rest of the process's life: blocks under
    8 MB come from the heap, and up to 64 MB of freed heap is kept. Environment
    settings (``MALLOC_TRIM_THRESHOLD_``, ``MALLOC_MMAP_THRESHOLD_``) win; a no-op
    without glibc.

    Returns
    -------
    bool
        True when the thresholds were set.
    """
    if any(k in os.environ for k in ("MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_")):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        m_trim_threshold, m_mmap_threshold = -1, -3  # from glibc's malloc.h
        ok = libc.mallopt(m_mmap_threshold, 8 * 1024 * 1024)
        ok &= libc.mallopt(m_trim_threshold, 64 * 1024 * 1024)
    except (OSError, AttributeError):
        return False
    return bool(ok)
