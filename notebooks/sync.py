"""Pair the notebooks' jupytext "percent" scripts with output-free ``.ipynb`` files, and run them.

The ``.py`` file is the source of truth: edit it (or edit the notebook in Jupyter and bring the
change back with ``--to-py``), then regenerate the ``.ipynb``. No dependency beyond the standard
library; the format is jupytext's percent format (``# %%`` starts a code cell, ``# %% [markdown]``
a markdown cell whose lines are commented with ``# ``, optional ``tags=[...]`` after the marker),
so ``jupytext --sync`` works on these files too.

Usage (from the repository root)::

  python notebooks/sync.py                # rewrite every notebooks/*.ipynb from its .py
  python notebooks/sync.py --check        # exit 1 if an .ipynb differs from its .py (CI)
  python notebooks/sync.py --to-py NAME   # rewrite NAME.py from NAME.ipynb (outputs dropped)
  python notebooks/sync.py --run NAME     # execute NAME.py cell by cell, as the tests do
"""

from __future__ import annotations

import argparse
import json
import pathlib
import re
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent
NOTEBOOKS = ("label_maps", "training_and_study")
MARKER = re.compile(r"^# %%(?P<rest>.*)$")
METADATA = {
    "jupytext": {"formats": "ipynb,py:percent"},
    "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
    "language_info": {"name": "python"},
}
HEADER = """# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---
"""


def _strip_blank(lines):
    while lines and not lines[0].strip():
        lines = lines[1:]
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    return lines


def _parse_marker(rest, where):
    """``" [markdown] tags=[...]"`` -> (cell type, metadata dict)."""
    rest = rest.strip()
    kind = "code"
    if rest.startswith("[markdown]"):
        kind, rest = "markdown", rest[len("[markdown]"):].strip()
    metadata = {}
    if rest:
        match = re.fullmatch(r"tags=(\[.*\])", rest)
        if not match:
            raise ValueError(f"{where}: unsupported cell marker options {rest!r} (only tags=[...])")
        metadata["tags"] = json.loads(match.group(1))
    return kind, metadata


def read_cells(path):
    """Cells of a percent script -> list of dicts ``{"type", "source", "metadata"}``."""
    path = pathlib.Path(path)
    lines = path.read_text().splitlines()
    if lines and lines[0] == "# ---":  # jupytext's YAML header: fixed metadata here, skip it
        end = lines.index("# ---", 1)
        lines = lines[end + 1:]
    cells, current = [], None
    for number, line in enumerate(lines, 1):
        match = MARKER.match(line)
        if match:
            kind, metadata = _parse_marker(match.group("rest"), f"{path.name}:{number}")
            current = {"type": kind, "lines": [], "metadata": metadata}
            cells.append(current)
        elif current is None:
            if line.strip():
                raise ValueError(f"{path.name}:{number}: text before the first '# %%' cell marker")
        else:
            current["lines"].append(line)
    out = []
    for cell in cells:
        lines = _strip_blank(cell["lines"])
        if cell["type"] == "markdown":
            bad = [line for line in lines if line and not line.startswith("#")]
            if bad:
                raise ValueError(f"{path.name}: markdown line not commented: {bad[0]!r}")
            lines = [line[2:] if line.startswith("# ") else line[1:] for line in lines]
        out.append({"type": cell["type"], "source": "\n".join(lines), "metadata": cell["metadata"]})
    return out


def to_notebook(cells, stem):
    """Cells -> nbformat 4.5 notebook dict without outputs (deterministic cell ids)."""
    notebook_cells = []
    for index, cell in enumerate(cells):
        source = cell["source"].splitlines(keepends=True)
        entry = {"cell_type": cell["type"], "id": f"{stem}-{index}", "metadata": dict(cell["metadata"]),
                 "source": source}
        if cell["type"] == "code":
            entry.update(execution_count=None, outputs=[])
        notebook_cells.append(entry)
    return {"cells": notebook_cells, "metadata": METADATA, "nbformat": 4, "nbformat_minor": 5}


def notebook_text(cells, stem):
    """The ``.ipynb`` file text, formatted as Jupyter writes it (indent 1, sorted keys)."""
    return json.dumps(to_notebook(cells, stem), indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def notebook_cells(path):
    """Cells of an ``.ipynb`` -> the same dicts as :func:`read_cells` (outputs ignored)."""
    data = json.loads(pathlib.Path(path).read_text())
    out = []
    for cell in data["cells"]:
        source = cell["source"]
        metadata = {k: v for k, v in cell.get("metadata", {}).items() if k == "tags"}
        out.append({"type": cell["cell_type"], "source": "".join(source) if isinstance(source, list) else source,
                    "metadata": metadata})
    return out


def percent_text(cells):
    """Cells -> percent script text (the inverse of :func:`read_cells`)."""
    parts = [HEADER]
    for cell in cells:
        marker = "# %%" + (" [markdown]" if cell["type"] == "markdown" else "")
        if cell["metadata"].get("tags"):
            marker += " tags=" + json.dumps(cell["metadata"]["tags"])
        source = cell["source"]
        if cell["type"] == "markdown":
            source = "\n".join(("# " + line) if line else "#" for line in source.splitlines())
        parts.append(f"{marker}\n{source}\n")
    return "\n".join(parts)


def execute(path, namespace=None, *, after_cell=None, verbose=False):
    """Run the code cells of a percent script in one namespace, in order, as a kernel would.

    The script's folder comes first on ``sys.path`` while it runs, as for a kernel started there,
    so the modules beside it (``notebook_display``) import from any working directory.
    ``after_cell(index)`` is called after each code cell (e.g. to close figures). A failing cell
    raises with its index in the traceback's file name (``NAME.py [cell 3]``).
    """
    path = pathlib.Path(path).resolve()
    namespace = {"__name__": "__main__"} if namespace is None else namespace
    sys.path.insert(0, str(path.parent))
    try:
        for index, cell in enumerate(read_cells(path)):
            if cell["type"] != "code":
                continue
            start = time.perf_counter()
            exec(compile(cell["source"], f"{path.name} [cell {index}]", "exec"), namespace)
            if after_cell is not None:
                after_cell(index)
            if verbose:
                print(f"[{path.name} cell {index}: {time.perf_counter() - start:.1f} s]", flush=True)
    finally:
        sys.path.remove(str(path.parent))
    return namespace


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only check that every .ipynb matches its .py")
    parser.add_argument("--to-py", metavar="NAME", help="rewrite NAME.py from NAME.ipynb")
    parser.add_argument("--run", metavar="NAME", help="execute NAME.py cell by cell")
    args = parser.parse_args(argv)
    if args.to_py:
        (HERE / f"{args.to_py}.py").write_text(percent_text(notebook_cells(HERE / f"{args.to_py}.ipynb")))
        return 0
    if args.run:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        execute(HERE / f"{args.run}.py", after_cell=lambda _: plt.close("all"), verbose=True)
        return 0
    stale = []
    for stem in NOTEBOOKS:
        text = notebook_text(read_cells(HERE / f"{stem}.py"), stem)
        target = HERE / f"{stem}.ipynb"
        if not target.exists() or target.read_text() != text:
            stale.append(target.name)
            if not args.check:
                target.write_text(text)
    if args.check and stale:
        print(f"out of date: {', '.join(stale)}; run python notebooks/sync.py", file=sys.stderr)
        return 1
    if not args.check:
        print(f"wrote {', '.join(stale) or 'nothing (all up to date)'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
