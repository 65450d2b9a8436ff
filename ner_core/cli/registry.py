"""``registry``: a dataset's trained model sets and which one its pages use; list, activate, roll back, delete old ones (the
Registry page's actions, for an engineer who scripts: helper-92 found the command line could register entries but not
activate one)."""
from __future__ import annotations

import argparse
import json
import sys

from ..storage.datasets import DEFAULT_DATASET
from .options import FlagError, at_least


def cmd_registry(args: argparse.Namespace) -> int:
    from ..storage.datasets import open_dataset
    from ..workbench.registry import activate, active_id, entry_rows, load_index, missing_active, prune, roll_back

    if args.json and args.action != "list":
        raise FlagError("--json is for registry list")
    if (args.keep is None) == (args.action == "prune"):
        raise FlagError("registry prune needs --keep N" if args.keep is None else "--keep is for registry prune only")
    open_dataset(args.dataset)  # an unknown one: named with the known ones
    if args.action == "prune":
        pruned = prune(args.keep, None, args.dataset)
        print(f"deleted {len(pruned.removed)} entr{'y' if len(pruned.removed) == 1 else 'ies'} of {args.dataset!r}"
              + (f" ({', '.join(pruned.removed)})" if pruned.removed else "") + f", {pruned.freed / 1e6:.1f} MB freed; kept the "
              f"{args.keep} newest, the active one and the one a roll back re-activates")
    elif args.action == "activate":
        if not args.entry:
            raise FlagError("registry activate needs the ENTRY to activate ('registry list' lists them)")
        activate(args.entry, None, args.dataset)
        print(f"activated {args.entry}: the pages and commands of dataset {args.dataset!r} use it from their next run")
    elif args.action == "roll-back":
        before = active_id(args.dataset)
        print(f"rolled back from {before} to {roll_back(None, args.dataset, active=before)}")
    elif args.json:  # helper-100: a script parsed tab-separated lines
        index = load_index(args.dataset)
        print(json.dumps({"dataset": args.dataset, "active": index["active"],
                          "entries": [{"active": row["id"] == index["active"], **row} for row in entry_rows(index, args.dataset)]}))
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
    p = sub.add_parser("registry", help="a dataset's trained model sets: list them, activate one, roll back, delete old "
                                        "ones (as the Registry page)")
    p.add_argument("action", choices=("list", "activate", "roll-back", "prune"),
                   help="list: every entry, the active one marked *; activate ENTRY; roll-back: re-activate the one before; "
                        "prune --keep N (0 or more): delete all but the N newest entries (never the active one or the one a roll back "
                        "re-activates)")
    p.add_argument("entry", nargs="?", help="activate: the entry's id (as 'registry list' shows it; 'shipped': the "
                                            "checkpoints/ models of the default corpus)")
    p.add_argument("--keep", type=at_least(0), help="prune: how many of the newest entries to keep")
    p.add_argument("--json", action="store_true", help="list: one JSON line on stdout (the active entry, and every entry's row)")
    p.add_argument("--dataset", default=DEFAULT_DATASET, help="the dataset (default: default, the project's corpus)")
    p.set_defaults(func=cmd_registry)
