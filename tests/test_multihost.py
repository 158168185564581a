"""Multi-process training on JAX's distributed runtime: local processes over loopback only.

Each run is `jaxtrack launch` in a subprocess; the environment of every training process is set by
the launcher (``--cpu-devices``: JAX_PLATFORMS=cpu, JAX_NUM_CPU_DEVICES, gloo), not inherited from
this test process's 8 fake devices. The runs share a JAX compilation cache to save compile time.
"""

import ipaddress
import os
import pathlib
import re
import signal
import subprocess
import sys
import threading
import time

import jax
import numpy as np
import pytest

from jaxtrack import models
from jaxtrack.errors import JaxtrackError
from jaxtrack.train.distributed import cluster_tasks, initialize, launch

EXPERIMENTS = pathlib.Path(__file__).resolve().parents[1] / "experiments"
# fixed_iou labels draw random samples per batch row: a different row order changes the parameters
TRAIN = ["--config", str(EXPERIMENTS / "siamrpnpp_r50.py:smoke"), "--set", "optim.epochs=1",
         "--set", "optim.steps_per_epoch=8", "--set", "checkpoint_every=2", "--no-progress"]
MAIN = "import sys; from jaxtrack.cli import main; sys.exit(main())"


def _command(workdir, processes, devices):
    return [sys.executable, "-c", MAIN, "launch", "--processes", str(processes), "--cpu-devices", str(devices),
            "--", "train", *TRAIN, "--workdir", str(workdir)]


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    """The launcher's environment: no JAXTRACK_* layout, a compilation cache for this module."""
    return {**{k: v for k, v in os.environ.items() if not k.startswith("JAXTRACK_")},
            "JAX_COMPILATION_CACHE_DIR": str(tmp_path_factory.mktemp("compilation_cache"))}


def _start(command, env):
    """Start the launcher; its output lines are collected (stdout and stderr) in a list."""
    child = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = []

    def read():
        for line in child.stdout:
            lines.append(line)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    return child, lines, reader


def _run(command, env, timeout=300):
    child, lines, reader = _start(command, env)
    child.wait(timeout)
    reader.join()
    return child.returncode, "".join(lines)


def _params(workdir):
    return models.read_checkpoint(workdir)[0]["params"]


def _max_difference(a, b):
    return max(jax.tree.leaves(jax.tree.map(lambda x, y: float(np.max(np.abs(np.asarray(x) - np.asarray(y)))), a, b)))


def _complete_steps(workdir):
    folder = workdir / "checkpoints"
    return sorted(int(p.name) for p in folder.iterdir() if p.name.isdigit()) if folder.is_dir() else []


def _listening_addresses(pids):
    """Local addresses of the TCP sockets that processes ``pids`` listen on."""
    inodes = set()
    for pid in pids:
        for fd in pathlib.Path(f"/proc/{pid}/fd").iterdir():
            try:
                target = os.readlink(fd)
            except FileNotFoundError:  # closed meanwhile
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    addresses = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for row in pathlib.Path(table).read_text().splitlines()[1:]:
            fields = row.split()
            if fields[3] == "0A" and fields[9] in inodes:  # state LISTEN, owned by one of pids
                raw = bytes.fromhex(fields[1].split(":")[0])
                words = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))  # host-order words
                address = ipaddress.ip_address(words)
                addresses.append(getattr(address, "ipv4_mapped", None) or address)
    return addresses


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory, env):
    """Parameters of an uninterrupted 2-process x 2-device run."""
    workdir = tmp_path_factory.mktemp("two_by_two")
    code, output = _run(_command(workdir, 2, 2), env)
    assert code == 0, output
    assert "[0] train: finished at step 8" in output and "[1] train: finished at step 8" in output
    assert (workdir / "metrics.jsonl").read_text().count("\n") == 4  # process 0 logs, once per log_every=2
    return _params(workdir)


@pytest.mark.slow
def test_two_processes_equal_one_process_on_the_same_global_batches(uninterrupted, env, tmp_path):
    code, output = _run(_command(tmp_path, 1, 4), env)
    assert code == 0, output
    difference = _max_difference(_params(tmp_path), uninterrupted)
    print(f"max |2 processes x 2 devices - 1 process x 4 devices| = {difference:.2e}")
    assert difference <= 1e-5


@pytest.mark.slow
def test_killed_process_stops_the_run_and_the_same_command_resumes(uninterrupted, env, tmp_path):
    command = _command(tmp_path, 2, 2)
    launcher, lines, reader = _start(command, env)
    deadline = time.monotonic() + 240
    while not _complete_steps(tmp_path) and launcher.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    pids = dict(re.match(r"launch: process (\d) of 2 is pid (\d+)", line).groups() for line in lines
                if line.startswith("launch: process"))
    assert len(pids) == 2 and _complete_steps(tmp_path), "".join(lines)
    addresses = _listening_addresses(pids.values())  # the coordinator's and gloo's sockets
    assert addresses and all(address.is_loopback for address in addresses), addresses
    os.kill(int(pids["1"]), signal.SIGKILL)
    launcher.wait(120)
    reader.join()
    output = "".join(lines)
    assert launcher.returncode != 0
    assert "process 1 of 2" in output and "killed by SIGKILL" in output and "Run the same command again" in output
    stopped_at = _complete_steps(tmp_path)[-1]
    assert stopped_at < 8, output

    code, output = _run(command, env)
    assert code == 0, output
    assert "finished at step 8" in output
    assert _max_difference(_params(tmp_path), uninterrupted) < 1e-6


def test_layout_must_be_complete_and_launch_runs_train():
    with pytest.raises(JaxtrackError, match="needs all of"):
        initialize("127.0.0.1:1234", environ={})
    with pytest.raises(JaxtrackError, match="process id 2 is not in 0..1"):
        initialize(environ={"JAXTRACK_COORDINATOR": "127.0.0.1:1", "JAXTRACK_NUM_PROCESSES": "2",
                            "JAXTRACK_PROCESS_ID": "2"})
    assert cluster_tasks({"SLURM_STEP_NUM_TASKS": "4"}) == 4 and cluster_tasks({}) == 1
    with pytest.raises(JaxtrackError, match="launch runs `jaxtrack train"):
        launch(["eval", "--model", "x"], 2)
