"""Training checkpoints: orbax behind one small class that saves and resumes the full state.

A workdir holds ``checkpoints/<step>/`` with three items: ``state`` (the train state pytree:
parameters, batch statistics, optimiser state, step, RNG key), ``data`` (the input iterator's
state, JSON) and ``config`` (the resolved experiment config, JSON), the layout that
:mod:`jaxtrack.models.model_files` reads the inference variables from (tracking, export). Orbax
writes each step into a temporary folder and renames it when complete, so a killed run never
leaves a half checkpoint that looks finished; the last ``max_to_keep`` are kept. Resuming from an
earlier step sets the later ones aside (:meth:`Checkpointer.set_aside_after`).
"""

from __future__ import annotations

import itertools

import orbax.checkpoint as ocp

from jaxtrack import paths
from jaxtrack.errors import JaxtrackError, brief
from jaxtrack.models.model_files import CHECKPOINT_ITEMS, CHECKPOINTS, existing_step, settled_reads


class Checkpointer:
    """Save and resume a training run in ``workdir/checkpoints``.

    Args:
      workdir: the run's folder, local or a URL (:func:`jaxtrack.paths.path`).
      max_to_keep: how many of the latest checkpoints to keep.
    """

    def __init__(self, workdir, *, max_to_keep=3):
        self.directory = paths.path(workdir) / CHECKPOINTS
        self.directory.mkdir(parents=True, exist_ok=True)
        self._manager = ocp.CheckpointManager(
            self.directory,
            options=ocp.CheckpointManagerOptions(max_to_keep=max_to_keep, create=True,
                                                 enable_async_checkpointing=False),
            item_names=CHECKPOINT_ITEMS,
        )

    def steps(self):
        """Steps with a complete checkpoint, oldest first."""
        self._manager.reload()
        return sorted(self._manager.all_steps())

    def latest_step(self):
        steps = self.steps()
        return steps[-1] if steps else None

    def save(self, step, state, *, data_state, config):
        """Write checkpoint ``step`` (blocking; every process of a multi-host run calls it)."""
        self._manager.save(int(step), args=ocp.args.Composite(
            state=ocp.args.StandardSave(state),
            data=ocp.args.JsonSave(data_state),
            config=ocp.args.JsonSave(config)), force=True)
        self._manager.wait_until_finished()

    def set_aside_after(self, step):
        """Move the checkpoints later than ``step`` to ``workdir/checkpoints-after-<step>/`` (a
        resume from ``step`` then writes its own) -> that folder, or None if there were none."""
        step = self._existing_step(step)
        later = [s for s in self.steps() if s > step]
        if not later:
            return None
        aside = self.directory.parent / f"{CHECKPOINTS}-after-{step}"
        for number in itertools.count(2):
            if not aside.exists():
                break
            aside = self.directory.parent / f"{CHECKPOINTS}-after-{step}.{number}"
        aside.mkdir()
        for s in later:
            (self.directory / str(s)).rename(aside / str(s))
        self._manager.reload()
        return aside

    def saved_config(self, step=None):
        """The resolved config saved with ``step`` (default: the latest), without the state."""
        step = self._existing_step(step)
        try:
            with settled_reads():
                return self._manager.restore(step, args=ocp.args.Composite(config=ocp.args.JsonRestore())).config
        except Exception as error:
            raise JaxtrackError(f"checkpoint step {step} in {self.directory} has no readable config "
                                f"({brief(error)})") from error

    def _existing_step(self, step):
        """``step``, or the latest complete one if None; an error naming the steps there if missing."""
        return existing_step(self.steps(), step, self.directory)

    def restore(self, abstract_state, step=None):
        """Restore ``(state, data_state, config)`` of ``step`` (default: the latest).

        ``abstract_state`` is a pytree of ``jax.ShapeDtypeStruct`` (with shardings) of the same
        structure, e.g. from ``jax.eval_shape``; arrays come back with those shardings.

        Raises:
          JaxtrackError: no such checkpoint, or it is corrupt or does not fit the model (the
            message lists the other steps that can be resumed from).
        """
        step = self._existing_step(step)
        try:
            with settled_reads():
                restored = self._manager.restore(step, args=ocp.args.Composite(
                    state=ocp.args.StandardRestore(abstract_state),
                    data=ocp.args.JsonRestore(),
                    config=ocp.args.JsonRestore()))
        except Exception as error:  # orbax raises many types for unreadable or mismatching files
            others = [s for s in self.steps() if s != step]
            raise JaxtrackError(
                f"checkpoint step {step} in {self.directory} is corrupt or does not match this "
                f"model/optimiser ({brief(error)}); other steps: "
                f"{others or 'none'} (resume one with --resume-step, or delete step {step})") from error
        return restored.state, restored.data, restored.config

    def close(self):
        self._manager.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()
