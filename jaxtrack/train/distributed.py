"""Multi-process runs: joining JAX's distributed runtime, and a launcher for one machine.

:func:`initialize` makes this process one of a multi-controller JAX run (one Python process per
host, ``jax.distributed``) before any JAX computation; :func:`launch` starts such a run as N local
processes talking over loopback, for tests and for machines without a cluster scheduler.
"""

from __future__ import annotations

import ipaddress
import os
import signal
import socket
import subprocess
import sys
import threading
import time

from jaxtrack.errors import JaxtrackError

ENV_COORDINATOR = "JAXTRACK_COORDINATOR"
ENV_NUM_PROCESSES = "JAXTRACK_NUM_PROCESSES"
ENV_PROCESS_ID = "JAXTRACK_PROCESS_ID"


def initialize(coordinator=None, num_processes=None, process_id=None, *, cpu_devices=None,
               distributed=False, environ=None):
    """Set up JAX for this process of a run; call before any JAX computation.

    The run's layout comes from, first found: the arguments; the environment variables
    ``JAXTRACK_COORDINATOR``, ``JAXTRACK_NUM_PROCESSES``, ``JAXTRACK_PROCESS_ID`` (set by
    :func:`launch`); a cluster launch of several tasks (``srun`` of SLURM, ``mpirun`` of Open MPI)
    or ``distributed=True``, where ``jax.distributed.initialize()`` detects the coordinator, count
    and id itself (also on Cloud TPU pod slices). Otherwise the run is one process and nothing is
    initialised. A loopback coordinator (e.g. ``127.0.0.1:PORT``) is served on loopback only.

    Args:
      coordinator: ``HOST:PORT`` of process 0's coordination service.
      num_processes: processes in the run.
      process_id: this process's index, ``0 <= process_id < num_processes``.
      cpu_devices: run on the CPU as this many devices per process (gloo collectives between
        processes).
      distributed: initialise with JAX's cluster auto-detection.
      environ: environment mapping (default ``os.environ``).
    Raises:
      JaxtrackError: an incomplete or inconsistent layout, or no layout JAX can detect.
    """
    import jax

    environ = os.environ if environ is None else environ
    coordinator = coordinator or environ.get(ENV_COORDINATOR)
    num_processes = _integer(num_processes, environ.get(ENV_NUM_PROCESSES), "number of processes")
    process_id = _integer(process_id, environ.get(ENV_PROCESS_ID), "process id")
    explicit = (coordinator, num_processes, process_id)
    if any(value is not None for value in explicit) and None in explicit:
        raise JaxtrackError("a multi-process run needs all of --coordinator, --num-processes and --process-id "
                            f"(or {ENV_COORDINATOR}, {ENV_NUM_PROCESSES}, {ENV_PROCESS_ID}); got "
                            f"coordinator={coordinator}, num_processes={num_processes}, process_id={process_id}")
    if coordinator is not None and not 0 <= process_id < num_processes:
        raise JaxtrackError(f"process id {process_id} is not in 0..{num_processes - 1}")
    if cpu_devices is not None:
        jax.config.update("jax_platforms", "cpu")
        jax.config.update("jax_num_cpu_devices", int(cpu_devices))
        jax.config.update("jax_cpu_collectives_implementation", "gloo")
    if coordinator is not None:
        host = coordinator.rpartition(":")[0].strip("[]")
        loopback = _is_loopback(host)
        jax.distributed.initialize(coordinator_address=coordinator, num_processes=num_processes,
                                   process_id=process_id, coordinator_bind_address=coordinator if loopback else None)
        if loopback:
            _cpu_collectives_on(host)
    elif distributed or cluster_tasks(environ) > 1:
        try:
            jax.distributed.initialize()
        except ValueError as error:  # JAX found no cluster layout
            raise JaxtrackError(f"JAX could not detect this cluster's layout ({error}); pass --coordinator, "
                                "--num-processes and --process-id") from error


def cluster_tasks(environ):
    """Tasks of a SLURM job step or Open MPI job this process belongs to (1 if neither)."""
    return int(environ.get("SLURM_STEP_NUM_TASKS") or environ.get("OMPI_COMM_WORLD_SIZE") or 1)


def _integer(value, text, name):
    if value is not None or text is None:
        return value
    try:
        return int(text)
    except ValueError:
        raise JaxtrackError(f"the {name} must be an integer, got {text!r}") from None


def _is_loopback(host):
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _cpu_collectives_on(host):
    """Make the CPU backend's gloo collectives listen on ``host``.

    Gloo otherwise listens on the address this machine's hostname resolves to, often not loopback;
    JAX 0.10 has no option for it, so this registers a CPU backend factory (private JAX API) that
    passes ``host`` to gloo. Takes effect because the backend has not started yet.
    """
    from jax._src import distributed, xla_bridge
    from jax._src.lib import _jax

    def make_client():
        collectives = _jax.make_gloo_tcp_collectives(distributed.global_state.client, hostname=host)
        return xla_bridge.make_cpu_client(collectives)

    xla_bridge.register_backend_factory("cpu", make_client, priority=0, fail_quietly=False)


def free_port(host="127.0.0.1"):
    """A TCP port on ``host`` that the OS reports free."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def launch(command, processes, *, cpu_devices=None, port=None, out=None, grace=10.0):
    """Run ``jaxtrack COMMAND`` as ``processes`` local processes of one JAX run over loopback.

    Process ``i`` gets ``JAXTRACK_COORDINATOR=127.0.0.1:PORT``, ``JAXTRACK_NUM_PROCESSES`` and
    ``JAXTRACK_PROCESS_ID=i`` (and, with ``cpu_devices``, JAX's CPU settings) in its environment;
    its output lines are written to ``out`` prefixed with ``[i]``. If a process fails, the others
    are stopped (SIGTERM, SIGKILL after ``grace`` seconds).

    Args:
      command: jaxtrack arguments, e.g. ``["train", "--config", ..., "--workdir", ...]``.
      processes: number of processes.
      cpu_devices: CPU devices per process (sets ``JAX_PLATFORMS=cpu``, ``JAX_NUM_CPU_DEVICES``,
        gloo collectives); None keeps the environment's JAX settings.
      port: the coordinator's port on 127.0.0.1; None takes a free one from the OS.
      out: text stream for the processes' output (default ``sys.stdout``).
    Raises:
      JaxtrackError: a process exited non-zero or was killed (the message names it).
    """
    if not command or command[0] != "train":
        raise JaxtrackError(f"launch runs `jaxtrack train ...` (after --), got {' '.join(command) or 'nothing'}")
    if processes < 1:
        raise JaxtrackError(f"--processes must be at least 1, got {processes}")
    out = sys.stdout if out is None else out
    coordinator = f"127.0.0.1:{port or free_port()}"
    lock = threading.Lock()
    children, readers = [], []
    try:
        for index in range(processes):
            env = {**os.environ, ENV_COORDINATOR: coordinator, ENV_NUM_PROCESSES: str(processes),
                   ENV_PROCESS_ID: str(index)}
            if cpu_devices is not None:
                env.update(JAX_PLATFORMS="cpu", JAX_NUM_CPU_DEVICES=str(cpu_devices),
                           JAX_CPU_COLLECTIVES_IMPLEMENTATION="gloo")
            child = subprocess.Popen(
                [sys.executable, "-c", "import sys; from jaxtrack.cli import main; sys.exit(main())", *command],
                env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)
            children.append(child)
            _write(out, lock, f"launch: process {index} of {processes} is pid {child.pid} (coordinator {coordinator})")
            reader = threading.Thread(target=_relay, args=(child.stdout, f"[{index}] ", out, lock), daemon=True)
            reader.start()
            readers.append(reader)
        while True:
            codes = [child.poll() for child in children]
            failed = next((i for i, code in enumerate(codes) if code not in (None, 0)), None)
            if failed is not None or all(code == 0 for code in codes):
                break
            time.sleep(0.1)
    finally:
        _stop(children, grace)
        for reader in readers:
            reader.join()
    if failed is not None:
        raise JaxtrackError(
            f"process {failed} of {processes} (pid {children[failed].pid}) {_describe(codes[failed])}; the other "
            "processes were stopped. Run the same command again to resume from the last checkpoint that all "
            "processes wrote.")


def _relay(stream, prefix, out, lock):
    for line in stream:
        _write(out, lock, prefix + line.rstrip("\n"))


def _write(out, lock, line):
    with lock:
        print(line, file=out, flush=True)


def _stop(children, grace):
    """SIGTERM the children still running, SIGKILL those alive after ``grace`` seconds."""
    running = [child for child in children if child.poll() is None]
    for child in running:
        child.terminate()
    deadline = time.monotonic() + grace
    for child in running:
        try:
            child.wait(max(deadline - time.monotonic(), 0))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def _describe(code):
    """``Popen.returncode`` -> words."""
    if code < 0:
        return f"was killed by {signal.Signals(-code).name} (exit code {code})"
    return f"exited with code {code}"
