"""The ``glassnet`` command: argparse entry point; one module per subcommand."""
from __future__ import annotations

import argparse
import importlib
import sys

__all__ = ["main", "build_parser"]

# Each module defines register(subparsers) -> parser with set_defaults(func=run).
SUBCOMMANDS = ("train", "eval", "predict", "summary", "edges", "filter", "experiment",
               "stylize", "bench", "export", "compress")


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one clear line, exit 2 (argparse's convention)
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    from glassnet import __version__

    parser = _Parser(prog="glassnet", description="glassnet: a deep-learning framework you "
                     "can see through.")
    parser.add_argument("--version", action="version", version=f"glassnet {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in SUBCOMMANDS:
        try:
            mod = importlib.import_module(f"glassnet.cli.{name}")
        except ModuleNotFoundError as e:
            if e.name == f"glassnet.cli.{name}":
                continue
            raise
        mod.register(sub)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except (FileNotFoundError, ValueError, TypeError, KeyError) as e:
        msg = e.args[0] if e.args and isinstance(e.args[0], str) else str(e)
        print(f"glassnet {args.command}: error: {msg}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
