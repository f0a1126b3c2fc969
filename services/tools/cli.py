"""The ``psm`` command: ``psm stack ...``, ``psm serve``, ``psm migrate``, ``psm seed``."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print("usage: psm {stack,serve,migrate,catalogue,stats,seed} ...\n"
              "  stack up|down|status|start|stop [pg|kafka|es]   the local servers\n"
              "  serve [--services a,b]                          every service (or a subset) in one process\n"
              "  migrate                                         apply every schema migration, create topics\n"
              "  catalogue rebuild|status                        rebuild the search index from the events\n"
              "  stats rebuild                                   rebuild the deal statistics from the events\n"
              "  seed [--seed N] [--patents N]                   load the demo market (a second run adds nothing)")
        return 0
    command, rest = argv[0], argv[1:]
    if command == "stack":
        from deploy.local.stack import main as stack_main

        return stack_main(rest)
    if command == "serve":
        from services.tools.main import serve

        return serve(rest)
    if command == "catalogue":
        from search.cli import main as catalogue_main

        return catalogue_main(rest)
    if command == "stats":
        from services.stats.rebuild import main as stats_main

        return stats_main(rest)
    if command == "migrate":
        from services.tools.main import migrate

        return migrate(rest)
    if command == "seed":
        from services.tools.demo.command import seed

        return seed(rest)
    print(f"psm: unknown command {command!r}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
