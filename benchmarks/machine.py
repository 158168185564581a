"""Is the machine quiet enough for a speed figure? Every benchmark prints :func:`report` first.

A figure measured while other jobs load the machine is not evidence for a speed claim: README and
docs figures come from runs whose header says ``idle``, and carry that header's date.
"""

from __future__ import annotations

import datetime
import os
import platform


def machine_state():
    """-> dict: ``load`` (1, 5, 15-minute load averages), ``cores`` (int), ``date`` (ISO local time
    to the second), ``idle`` (bool: the 1-minute load is below half the cores)."""
    load = os.getloadavg()
    cores = os.cpu_count() or 1
    return {"load": load, "cores": cores, "idle": load[0] < 0.5 * cores,
            "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds")}


def report():
    """Print one line (date, machine, load, cores, idle or NOT IDLE) and return :func:`machine_state`."""
    state = machine_state()
    load = " ".join(f"{value:.2f}" for value in state["load"])
    verdict = "idle" if state["idle"] else "NOT IDLE: do not report these figures"
    print(f"{state['date']}  {platform.machine()} {platform.system()}, {state['cores']} cores, "
          f"load average {load}: {verdict}", flush=True)
    return state
