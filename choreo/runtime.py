"""Process-wide settings, made by entry points only: the CLI, the benchmark scripts, the
processes choreo starts (the RSI process, the benchmark's workers) and the test suite.

A library module never changes the whole process on import or in a constructor: what
the allocator keeps, how many threads torch and the BLAS use, or the environment that
liblsl reads when it loads. :func:`configure_process` makes those choices once, at
start-up; :func:`limited_threads` is for code that needs fewer threads for a while
(the learner's small matrices, the prior's training) and gives them back after.
"""

from __future__ import annotations

import ctypes
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

#: The variable liblsl reads its configuration file from, once, when it is loaded.
LSL_CONFIG_ENV = "LSLAPICFG"


@dataclass(frozen=True)
class ProcessSetup:
    """What :func:`configure_process` did.

    Attributes
    ----------
    lsl_config
        The liblsl configuration file in effect (``LSLAPICFG``), or None.
    freed_memory_kept
        True when glibc was told to keep freed memory (:func:`keep_freed_memory`).
    threads, pool_threads
        The thread counts set for torch and for the BLAS/OpenMP pools, or None
        (untouched).
    """

    lsl_config: str | None
    freed_memory_kept: bool
    threads: int | None
    pool_threads: int | None


def configure_process(
    *,
    threads: int | None = None,
    pool_threads: int | None = None,
    keep_memory: bool = True,
    quiet_lsl: bool = True,
) -> ProcessSetup:
    """Make the process-wide choices of an entry point (call it first, once).

    Parameters
    ----------
    threads
        torch's intra-op threads (torch is imported to set it); None leaves its default.
    pool_threads
        Threads of every BLAS/OpenMP pool loaded so far (threadpoolctl); None leaves
        them. A process per core (the benchmark's workers) wants 1 of each.
    keep_memory
        Keep freed memory for reuse (:func:`keep_freed_memory`): the processes that plan
        choreographies on the clock (bridge, RSI process, learner) plan without page
        faults.
    quiet_lsl
        Keep liblsl's own log to errors (:func:`quiet_liblsl`); must come before pylsl is
        imported.
    """
    lsl = quiet_liblsl() if quiet_lsl else os.environ.get(LSL_CONFIG_ENV)
    kept = keep_freed_memory() if keep_memory else False
    for n in (threads, pool_threads):
        if n is not None and n < 1:
            raise ValueError(f"thread counts must be at least 1 (got {n})")
    if threads is not None:
        import torch

        torch.set_num_threads(threads)
    if pool_threads is not None:
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=pool_threads)
    return ProcessSetup(lsl, kept, threads, pool_threads)


def quiet_liblsl() -> str | None:
    """Point ``LSLAPICFG`` at a configuration that keeps liblsl's log to errors (its
    INFO lines clutter the terminal). A user's own setting is left alone.

    Returns
    -------
    str or None
        The configuration file in effect; None when it could not be written (only
        cosmetic).
    """
    if LSL_CONFIG_ENV in os.environ:
        return os.environ[LSL_CONFIG_ENV]
    cfg = Path(tempfile.gettempdir()) / f"choreo-lsl_api-{os.getuid()}.cfg"
    try:
        if not cfg.exists():
            cfg.write_text("[log]\nlevel = -2\n")
    except OSError:
        return None
    os.environ[LSL_CONFIG_ENV] = str(cfg)
    return str(cfg)


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


@cache
def _blas_pools() -> Any:
    """The thread pools of the loaded BLAS libraries (found once: it walks the libraries)."""
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


@contextmanager
def limited_threads(n: int, torch_too: bool = True, blas: bool = True) -> Iterator[None]:
    """Run the block with ``n`` torch threads and at most ``n`` BLAS threads, then give
    back the counts from before.

    Parameters
    ----------
    n
        Thread count inside the block (>= 1).
    torch_too
        Set torch's intra-op threads (torch is imported).
    blas
        Limit the BLAS pools loaded so far (numpy's, torch's).
    """
    if n < 1:
        raise ValueError(f"threads must be at least 1 (got {n})")
    set_threads = None
    before = n
    if torch_too:
        import torch

        set_threads = torch.set_num_threads
        before = torch.get_num_threads()
        if before != n:
            set_threads(n)
    try:
        if blas:
            with _blas_pools().limit(limits=n, user_api="blas"):
                yield
        else:
            yield
    finally:
        if set_threads is not None and before != n:
            set_threads(before)
