"""Is the machine quiet enough for a speed figure? Every benchmark prints :func:`report` first.

A figure measured while other jobs load the machine is not evidence for a speed claim: README and
docs figures come from runs whose closing verdict says ``idle``, and carry the run's date. Load
averages lag (they count the benchmark itself and runs that just ended); :class:`OtherProcesses`
measures what the rest of the machine used during the run (Linux ``/proc/stat``), which is what
the verdict uses.
"""

from __future__ import annotations

import atexit
import datetime
import os
import platform
import time


OTHERS_QUIET = 0.1
"""Largest share of the CPU other processes may use during a run for an ``idle`` verdict."""


def machine_state():
    """-> dict: ``load`` (1, 5, 15-minute load averages), ``cores`` (int), ``date`` (ISO local time
    to the second), ``idle`` (bool: the 1-minute load is below half the cores)."""
    load = os.getloadavg()
    cores = os.cpu_count() or 1
    return {"load": load, "cores": cores, "idle": load[0] < 0.5 * cores,
            "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds")}


def report(verdict_at_exit=True):
    """Print one line (date, machine, cores, load averages) and return :func:`machine_state`.

    The 1-minute load average lags: it still counts a run that ended a minute ago. So the
    verdict comes at exit (``verdict_at_exit``): the share of the CPU other processes used
    during the run (:class:`OtherProcesses`), ``idle`` below :data:`OTHERS_QUIET`, else
    ``NOT IDLE: do not report these figures``.
    """
    state = machine_state()
    load = " ".join(f"{value:.2f}" for value in state["load"])
    print(f"{state['date']}  {platform.machine()} {platform.system()}, {state['cores']} cores, "
          f"load average {load} (the idle verdict is printed at the end)", flush=True)
    if verdict_at_exit:
        atexit.register(_print_verdict, OtherProcesses())
    return state


def verdict(share):
    """The idle verdict for the others' CPU ``share`` (None: unknown)."""
    if share is None:
        return "other processes' CPU use unknown (no /proc/stat): NOT IDLE: do not report these figures"
    quiet = "idle" if share < OTHERS_QUIET else "NOT IDLE: do not report these figures"
    return f"other processes used {share:.1%} of the CPU during the run: {quiet}"


def _print_verdict(others):
    print(f"{datetime.datetime.now().astimezone().isoformat(timespec='seconds')}  {verdict(others.share())}",
          flush=True)


class OtherProcesses:
    """CPU used by processes other than this one (and its children) since construction: the
    machine's busy time from ``/proc/stat`` minus this process's CPU time.

    ``share()`` -> float, the others' busy CPU-seconds per core-second of wall time (0: nothing
    else ran; 1: every core busy with other work), or None where ``/proc/stat`` is absent.
    """

    def __init__(self):
        self._start = self._sample()

    @staticmethod
    def _sample():
        try:
            with open("/proc/stat") as f:
                fields = [int(v) for v in f.readline().split()[1:]]
        except OSError:
            return None
        ticks = os.sysconf("SC_CLK_TCK")
        busy = (sum(fields) - fields[3] - fields[4]) / ticks  # all but idle and iowait
        own = os.times()
        return busy, own.user + own.system + own.children_user + own.children_system, time.monotonic()

    def share(self):
        end = self._sample()
        if end is None or self._start is None:
            return None
        (busy0, own0, t0), (busy1, own1, t1) = self._start, end
        cores = os.cpu_count() or 1
        return max(0.0, (busy1 - busy0) - (own1 - own0)) / max(t1 - t0, 1e-9) / cores
