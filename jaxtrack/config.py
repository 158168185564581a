"""Experiment configs as Python files (big_vision style) and command-line overrides.

A config file defines ``get_config(arg=None) -> ml_collections.ConfigDict``; ``path.py:smoke``
passes ``"smoke"`` as ``arg``. ``--set a.b=value`` overrides any field (value parsed as a Python
literal when it is one; list items by index, ``data.sources.0.root=DIR``).
"""

from __future__ import annotations

import ast
import json
import importlib.util
import pathlib
import sys

from jaxtrack.errors import JaxtrackError


def plain_dict(config, what="config"):
    """A dict or ml_collections ConfigDict -> a plain, JSON-able dict (a deep copy).

    Raises:
      JaxtrackError: ``config`` is neither, or holds values JSON cannot represent.
    """
    if hasattr(config, "to_dict"):
        config = config.to_dict()
    if not isinstance(config, dict):
        raise JaxtrackError(f"{what} must be a dict or ConfigDict, got {type(config).__name__}")
    try:
        return json.loads(json.dumps(config))
    except (TypeError, ValueError) as error:
        raise JaxtrackError(f"{what} must be JSON-serialisable: {error}") from None


def load_config(config_arg, overrides=()):
    """Config from ``"path/to/config.py[:arg]"`` with ``"a.b=value"`` overrides applied.

    While the file runs, its folder is importable (experiment files share ``experiments/base.py``);
    the modules it imports from there are forgotten afterwards, so configs of another folder see
    their own.
    """
    path, _, arg = str(config_arg).partition(":")
    path = pathlib.Path(path)
    if not path.is_file():
        raise JaxtrackError(f"--config: no such file {path}")
    folder = str(path.resolve().parent)
    before = set(sys.modules)
    sys.path.insert(0, folder)
    try:
        module_spec = importlib.util.spec_from_file_location(f"jaxtrack_config_{path.stem}", path)
        module = importlib.util.module_from_spec(module_spec)
        try:
            module_spec.loader.exec_module(module)
        except Exception as error:
            raise JaxtrackError(f"--config {path}: the file does not run ({type(error).__name__}: {error})") from error
        if not hasattr(module, "get_config"):
            raise JaxtrackError(f"--config {path}: defines no get_config()")
        try:
            config = module.get_config(arg or None)
        except (ValueError, KeyError, TypeError) as error:  # e.g. an unknown size after ':'
            raise JaxtrackError(f"--config {config_arg}: get_config({arg or None!r}) refused it "
                                f"({type(error).__name__}: {error})") from error
    finally:
        sys.path.remove(folder)
        for name in set(sys.modules) - before:
            if str(getattr(sys.modules[name], "__file__", None) or "").startswith(folder):
                del sys.modules[name]
    for override in overrides:
        apply_override(config, override)
    return config


def apply_override(config, override):
    """Set ``a.b.c=value`` in a ConfigDict (value as a Python literal if it parses as one)."""
    key, sep, text = override.partition("=")
    if not sep:
        raise JaxtrackError(f"--set {override!r}: expected key=value")
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        value = text
    names = [int(name) if name.isdigit() else name for name in key.split(".")]
    *parents, leaf = names
    node = config
    for depth, name in enumerate(parents):
        node = _child(node, name, override)
        if not isinstance(node, (list, tuple)) and not hasattr(node, "keys"):
            field = ".".join(map(str, names[:depth + 1]))
            hint = "" if node is not None else f"; set it whole: --set \"{field}={{'key': value, ...}}\""
            raise JaxtrackError(f"--set {override!r}: {field} is {node!r}, not a group of fields{hint}")
    _child(node, leaf, override)
    try:
        node[leaf] = value
    except TypeError as error:  # ConfigDict keeps a field's type
        raise JaxtrackError(f"--set {override!r}: {error}") from error


def _child(node, name, override):
    """``node[name]``, or an error naming the missing field."""
    if isinstance(node, (list, tuple)):
        present = isinstance(name, int) and name < len(node)
    else:
        present = not isinstance(name, int) and name in node
    if not present:
        raise JaxtrackError(f"--set {override!r}: the config has no field {name!r}")
    return node[name]
