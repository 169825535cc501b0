"""Command-line subcommands of the case studies; each module has ``register(subparsers)`` and ``run(args)``."""
