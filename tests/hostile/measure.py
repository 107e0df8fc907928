"""Time and memory of one call, measured from inside the process that makes it.

`tracemalloc` gives the peak of Python's allocations during the call (every bytes object a
decoder or a reader made); a sampler thread reads the resident set size (/proc/self/statm)
every few milliseconds for the peak growth of the whole process (C buffers too, such as a
brotli decoder's window). Both start from what the process held just before the call.
"""

from __future__ import annotations

import os
import resource
import threading
import time
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

MB = 1 << 20
_PAGE = os.sysconf("SC_PAGE_SIZE")


def rss() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * _PAGE


@dataclass
class Measured:
    seconds: float = 0.0
    python_peak: int = 0  # bytes above the start, at the peak
    rss_growth: int = 0  # bytes above the start, at the peak
    max_rss_growth: int = 0  # ru_maxrss growth (the process's all-time peak; often 0)

    def __str__(self) -> str:
        return (
            f"{self.seconds:.2f} s, Python peak +{self.python_peak / MB:.1f} MB, "
            f"RSS peak +{self.rss_growth / MB:.1f} MB"
        )


@contextmanager
def measured() -> Iterator[Measured]:
    result = Measured()
    stop = threading.Event()
    before = rss()
    peak = [before]

    def sample() -> None:
        while not stop.wait(0.003):
            peak[0] = max(peak[0], rss())

    sampler = threading.Thread(target=sample, daemon=True)
    max_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    tracemalloc.start()
    tracemalloc.reset_peak()
    start_traced = tracemalloc.get_traced_memory()[0]
    sampler.start()
    started = time.monotonic()
    try:
        yield result
    finally:
        result.seconds = time.monotonic() - started
        result.python_peak = tracemalloc.get_traced_memory()[1] - start_traced
        tracemalloc.stop()
        stop.set()
        sampler.join()
        peak[0] = max(peak[0], rss())
        result.rss_growth = peak[0] - before
        max_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        result.max_rss_growth = max(0, max_after - max_before)
