"""Command-line subcommands of the case studies; each module has ``register(subparsers)`` and ``run(args)``."""


def study_parser(subparsers, name: str, help: str, doc: str | None, commands: list[str]):
    """The parser of ``workbench <name> {command,...}`` and the sub-parsers object its commands are
    added to (the chosen one is ``args.<name>_cmd``)."""
    import argparse

    p = subparsers.add_parser(name, help=help, description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest=f"{name}_cmd", metavar="{" + ",".join(commands) + "}")
    sub.required = True
    return p, sub
