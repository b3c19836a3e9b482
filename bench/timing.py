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


def side_by_side_ms(ours, baseline, runs=9):
    """Return the median milliseconds of `ours` and of `baseline`, called in turn.

    Alternating the two, after a warm-up call of each, gives both the same share of
    whatever else the machine is doing; timed one after the other, a busy spell
    lands on one side only and can move the ratio by half.
    """
    ours(), baseline()
    samples = ([], [])
    for _ in range(runs):
        for function, kept in zip((ours, baseline), samples, strict=True):
            start = time.perf_counter()
            function()
            kept.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples[0]), statistics.median(samples[1])
