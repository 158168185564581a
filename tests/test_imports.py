"""Import hygiene of the installed package, checked in fresh interpreters: no module imports torch
(the PyTorch restatements live in the non-installed ``reference/``), the assigners import no
plotting library (the pictures live in :mod:`jaxtrack.figures`), and ``jaxtrack --help`` imports
no heavy library (the subcommands import theirs when they run)."""

import os
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _run(code):
    """Run ``code`` in a fresh interpreter that imports this tree's ``jaxtrack``."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def test_assign_imports_no_plotting_library():
    _run("import sys, jaxtrack.assign, jaxtrack.assign.label_study\n"
         "assert 'matplotlib' not in sys.modules, 'jaxtrack.assign imports matplotlib'")


def test_no_module_of_the_package_imports_torch():
    modules = sorted(".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
                     for path in (ROOT / "jaxtrack").rglob("*.py"))
    assert "jaxtrack.cli.demo" in modules and "jaxtrack.figures.plots" in modules
    out = _run("import importlib, sys\n"
               f"for name in {modules!r}:\n"
               "    importlib.import_module(name)\n"
               "    assert 'torch' not in sys.modules, f'importing {name} imports torch'\n"
               "print(len(sys.modules))")
    assert int(out) > len(modules)


def test_command_line_help_imports_no_heavy_library():
    _run("import sys\nfrom jaxtrack import cli\ncli.build_parser()\n"
         "heavy = [m for m in ('numpy', 'jax', 'ml_collections', 'matplotlib') if m in sys.modules]\n"
         "assert not heavy, f'jaxtrack --help imports {heavy}'")
