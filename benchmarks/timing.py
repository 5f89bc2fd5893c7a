"""Timing: warm up, then several rounds of many calls; per-call min/median/max.

A round's time divided by its call count is one sample, so a round is long
enough (`round_seconds`) that perf_counter's resolution and the loop around
the call do not matter. Rounds, not single calls, are what the median is over:
on a noisy 2-core machine one preempted call must not decide a number.
"""

import gc
import statistics
import time


class Timing(object):
    def __init__(self, rounds, round_seconds, warmup_seconds):
        self.rounds = rounds
        self.round_seconds = round_seconds
        self.warmup_seconds = warmup_seconds

    def measure(self, fn):
        """Time `fn()`; return per-call seconds {min, median, max} and the counts."""
        warm_calls, start = 0, time.perf_counter()
        while warm_calls < 2 or time.perf_counter() - start < self.warmup_seconds:
            fn()
            warm_calls += 1
        per_call = (time.perf_counter() - start) / warm_calls
        calls = max(1, int(self.round_seconds / max(per_call, 1e-9)))
        samples = []
        for _ in range(self.rounds):
            t0 = time.perf_counter()
            for _ in range(calls):
                fn()
            samples.append((time.perf_counter() - t0) / calls)
        return {"min": min(samples), "median": statistics.median(samples), "max": max(samples),
                "calls_per_round": calls, "rounds": self.rounds}

    def measure_fresh(self, setup):
        """Time one call per round on fresh state: `setup()` -> (fn, cleanup), both
        untimed; only `fn()` is timed. One extra round first warms up and is dropped."""
        samples = []
        for _ in range(self.rounds + 1):
            fn, cleanup = setup()
            gc.collect()  # the previous round's garbage is not this call's cost
            t0 = time.perf_counter()
            fn()
            samples.append(time.perf_counter() - t0)
            cleanup()
        samples = samples[1:]
        return {"min": min(samples), "median": statistics.median(samples), "max": max(samples),
                "calls_per_round": 1, "rounds": self.rounds}


def format_seconds(seconds):
    if seconds is None:
        return "-"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale:
            return "%.3g %s" % (seconds / scale, unit)
    return "%.3g ns" % (seconds / 1e-9)


def gemm_peak(sizes, repeats=5):
    """numpy float32 matmul speed for n x n x n GEMMs, GFLOP/s (best of repeats)."""
    import numpy as np
    rng = np.random.default_rng(0)
    result = {}
    for n in sizes:
        a = rng.standard_normal((n, n), dtype=np.float32)
        b = rng.standard_normal((n, n), dtype=np.float32)
        a @ b
        best = min(_time_once(lambda: a @ b) for _ in range(repeats))
        result[n] = 2.0 * n ** 3 / best / 1e9
    return result


def _time_once(fn):
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0
