"""Command-line interface: ``glassnet <command>`` (see ``glassnet --help``)."""
