"""The ``jaxtrack`` command line: thin entry points over library functions.

Each subcommand lives in a module of this package with ``HELP`` (one line), ``configure(parser)``
and ``run(args)``; heavy imports happen inside ``run`` so that ``jaxtrack --help`` is fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from jaxtrack.errors import JaxtrackError

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


def build_parser():
    parser = argparse.ArgumentParser(
        prog="jaxtrack", description="Siamese tracking research in JAX, built around label assignment.")
    subcommands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, module_name in COMMANDS.items():
        module = importlib.import_module(module_name)
        sub = subcommands.add_parser(name, help=module.HELP, description=module.__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
        module.configure(sub)
        sub.set_defaults(run=module.run)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args) or 0
    except JaxtrackError as error:
        print(f"jaxtrack {args.command}: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"jaxtrack {args.command}: interrupted; finished outputs were kept", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
