"""Test set-up: 8 fake CPU devices (before JAX starts) and the shared benchmark data."""

import os
import pathlib

os.environ.setdefault("JAX_NUM_CPU_DEVICES", "8")
os.environ.setdefault("JAX_PLATFORMS", "cpu")

import jax  # noqa: E402  (after the environment above)
import pytest  # noqa: E402

jax.config.update("jax_num_cpu_devices", 8)

SHARED_DATA = pathlib.Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data():
    """The real benchmark sequences beside the repository (``../shared/data``); skip without."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"benchmark sequences not found at ../shared/data (looked in {SHARED_DATA})")
    return SHARED_DATA
