"""``registry``: a dataset's trained model sets and which one its pages use; list, activate, roll back (the Registry page's
actions, for an engineer who scripts: helper-92 found the command line could register entries but not activate one)."""
from __future__ import annotations

import argparse
import sys

from ..storage.datasets import DEFAULT_DATASET
from .options import FlagError


def cmd_registry(args: argparse.Namespace) -> int:
    from ..storage.datasets import open_dataset
    from ..workbench.registry import activate, active_id, entry_rows, load_index, missing_active, roll_back

    open_dataset(args.dataset)  # an unknown one: named with the known ones
    if args.action == "activate":
        if not args.entry:
            raise FlagError("registry activate needs the ENTRY to activate ('registry list' lists them)")
        activate(args.entry, None, args.dataset)
        print(f"activated {args.entry}: the pages and commands of dataset {args.dataset!r} use it from their next run")
    elif args.action == "roll-back":
        before = active_id(args.dataset)
        print(f"rolled back from {before} to {roll_back(None, args.dataset, active=before)}")
    else:
        index = load_index(args.dataset)
        print("active\tid\tmodels\trecipe\ttest micro F1 (old → new)")
        for row in entry_rows(index, args.dataset):
            print("\t".join(["*" if row["id"] == index["active"] else "", row["id"], row["models"], row["recipe"] or "",
                             str(row["test micro F1"])]))
    if missing := missing_active(args.dataset):
        print(f"warning: {missing}", file=sys.stderr)
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("registry", help="a dataset's trained model sets: list them, activate one, roll back (as the "
                                        "Registry page)")
    p.add_argument("action", choices=("list", "activate", "roll-back"),
                   help="list: every entry, the active one marked *; activate ENTRY; roll-back: re-activate the one before")
    p.add_argument("entry", nargs="?", help="activate: the entry's id (as 'registry list' shows it; 'shipped': the "
                                            "checkpoints/ models of the default corpus)")
    p.add_argument("--dataset", default=DEFAULT_DATASET, help="the dataset (default: default, the project's corpus)")
    p.set_defaults(func=cmd_registry)
