"""Timing shared by the benchmarks."""

import statistics
import time


def median_seconds(function, runs):
    """Return the median seconds of `runs` calls of `function`, after one warm-up call."""
    function()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def median_ms(function, runs=40):
    """Return the median milliseconds of `runs` calls, after one warm-up call."""
    return median_seconds(function, runs) * 1000
