"""The ``jaxtrack`` command line: thin entry points over library functions.

Each subcommand lives in a module of this package with ``HELP`` (one line), ``configure(parser)``
and ``run(args)``, and ``OUTPUTS`` (argument -> ``"file"`` or ``"dir"``: checked writable before
the work starts, unless a URL, :mod:`jaxtrack.paths`); heavy imports happen inside ``run`` so that
``jaxtrack --help`` is fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from jaxtrack.errors import JaxtrackError
from jaxtrack.files import writable_dir, writable_file

OUTPUT_CHECKS = {"file": writable_file, "dir": writable_dir}

# subcommand -> module
COMMANDS = {
    "demo": "jaxtrack.cli.demo",
    "study": "jaxtrack.cli.study",
    "train": "jaxtrack.cli.train",
    "launch": "jaxtrack.cli.launch",
    "score": "jaxtrack.cli.score",
    "convert": "jaxtrack.cli.convert",
    "convert-data": "jaxtrack.cli.convert_data",
    "export": "jaxtrack.cli.export",
    "track": "jaxtrack.cli.track",
    "eval": "jaxtrack.cli.eval",
}


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors (``jaxtrack <cmd>: error: ..``, exit 2) and a hint for values
    that start with ``-`` (``--init -100,..`` is read as an option: write ``--init=-100,..``)."""

    def error(self, message):
        if "expected one argument" in message:
            option = message.split()[1].rstrip(":")
            message += f" (write {option}=VALUE when the value starts with '-', e.g. --init=-100,20,50,40)"
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser():
    parser = Parser(
        prog="jaxtrack", description="Siamese tracking research in JAX, built around label assignment.")
    subcommands = parser.add_subparsers(dest="subcommand", required=True, metavar="COMMAND", parser_class=Parser)
    for name, module_name in COMMANDS.items():
        module = importlib.import_module(module_name)
        sub = subcommands.add_parser(name, help=module.HELP, description=module.__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
        module.configure(sub)
        sub.set_defaults(run=module.run, outputs=module.OUTPUTS)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    from jaxtrack.paths import is_url  # after parsing: --help stays light

    try:
        for dest, kind in args.outputs.items():
            if getattr(args, dest) is not None and not is_url(getattr(args, dest)):
                OUTPUT_CHECKS[kind](getattr(args, dest), "--" + dest)
        return args.run(args) or 0
    except JaxtrackError as error:
        print(f"jaxtrack {args.subcommand}: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"jaxtrack {args.subcommand}: interrupted; finished outputs were kept", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
