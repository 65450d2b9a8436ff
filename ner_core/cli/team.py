"""``datasets``, ``types``, ``pool``, ``users`` and ``job``: what a team shares in the database."""
from __future__ import annotations

import argparse
import json
import os
import sys
import textwrap
from pathlib import Path

from ..data.corpus import EXPORTS, SPLITS, UNLABELLED_KINDS
from ..data.tag_schemes import SCHEMES
from ..storage.datasets import DEFAULT_DATASET
from ..storage.users import ROLES
from .options import FlagError, at_least, text_or_corpus


def cmd_pool(args: argparse.Namespace) -> int:
    from ..storage.datasets import open_dataset
    from ..storage.pool import Pool

    if not args.author.strip():
        raise FlagError("--author: give the name the added sentences are credited to")
    pool = Pool(open_dataset(args.dataset))
    if args.action == "add":
        read = text_or_corpus(args, pool.store.token_style)
        print(read.summary(), file=sys.stderr)
        intake = pool.add([s.words for s in read.sentences], "stdin" if str(args.data) == "-" else Path(args.data).name,
                          args.author, args.any_script)
        print(f"dataset {args.dataset!r}: " + intake.summary() + (" (--any-script keeps them)" if intake.other_scripts else ""))
        return 0
    if args.action == "rank":
        from ..models.device import resolve_device
        from ..workbench.jobs import JobError, run_here
        from ..workbench.pool_rank import PoolRankSpec

        resolve_device()  # $NER_DEVICE, checked before the job starts

        try:  # the same one-at-a-time lock as the app's background jobs
            result = run_here("pool-rank", PoolRankSpec(args.dataset, args.strategy), args.dataset,
                              echo=lambda event: print(json.dumps(event), file=sys.stderr, flush=True))
        except JobError as err:
            print(f"error: {err}", file=sys.stderr)
            return 1
        print(f"ranked {result['sentences']:,} pool sentence(s) with {result['model']} in {result['seconds']} s"
              + (f" ({result['note']})" if result.get("note") else ""))
        return 0
    counts, late = pool.counts(), pool.unranked()
    print(", ".join(f"{n:,} {state}" for state, n in counts.items())
          + (f"; {late:,} open not ranked (after the ranked ones until 'pool rank')" if late and late < counts["open"] else ""))
    for item in pool.items(limit=args.top):
        score = "unranked" if item.score is None else f"{item.score:.3f}"
        text = textwrap.shorten(" ".join(item.words), 100, placeholder=f" … ({len(item.words)} tokens)")  # a line each
        print(f"{item.id:>7}  {score:>8}  {item.reason or ''}  |  {text}")
    return 0


def cmd_datasets(args: argparse.Namespace) -> int:
    import shlex

    from ..storage.datasets import (COVERING_SPLIT, archive_dataset, archived_datasets, dataset_names, dataset_paths, import_dataset,
                                   name_for_file, split_rules)
    from ..storage.db import data_dir, make_engine

    engine = make_engine()
    if args.json and args.action != "list":
        raise FlagError("--json is for datasets list")
    if args.action == "list":  # name, file, split: the files' own (train/val/test sentences) or the seeded 80/10/10
        rules = split_rules(engine)
        listed = [{"name": name, "file": path, "on_machine": os.path.isfile(path), "split": rules.get(name, COVERING_SPLIT),
                   "archived": None} for name, path in dataset_paths(engine).items()]  # the default corpus: no row before its use
        hidden = archived_datasets(engine)
        archived = [{"name": name, "file": None, "on_machine": None, "split": None, "archived": {"by": by, "at": at.isoformat()}}
                    for name, (by, at) in hidden.items()]
        if args.json:  # helper-100: a script parsed tab-separated lines
            print(json.dumps(listed + archived))
            return 0
        for d in listed:
            print(f"{d['name']}\t{d['file']}{'' if d['on_machine'] else ' (not on this machine)'}\t{d['split']}")
        for name, (by, at) in hidden.items():
            print(f"{name}\t(archived)\tarchived by {by} on {at:%Y-%m-%d %H:%M} (datasets restore --dataset NAME shows it "
                  "again)")  # three columns, as every row (helper-100)
        return 0
    if args.action in ("archive", "restore"):
        archive_dataset(engine, args.dataset, args.author, restore=args.action == "restore")
        print(f"dataset {args.dataset!r} " + ("restored: the app lists it again" if args.action == "restore" else
              "archived: hidden from the app's sidebar and from commands, its sentences, corrections and models kept; "
              "`datasets restore` brings it back"))
        return 0
    if args.file is None:  # a usage error, as argparse's own (exit 2)
        args.command_parser.error(f"datasets {args.action} needs the {'corpus ' if args.action == 'import' else ''}FILE")
    if str(args.file) == "-":
        raise FlagError(f"datasets {args.action} takes a file, not stdin (-): its name tells the format")
    if args.action == "export":
        return _export(args)
    name = args.name if args.name is not None else name_for_file(args.file.name, dataset_names(engine))
    parts = {k: (path, path.name) for k, path in (("dev", args.dev), ("test", args.test)) if path is not None}
    if len(parts) == 1:  # before any file is read: a usage error (helper-93)
        raise FlagError("give both --dev and --test (the files' own split), or neither (the file is split 80/10/10)")
    store = import_dataset(engine, name, args.file, args.file.name, data_dir() / "datasets",
                           log=lambda summary: print(summary, file=sys.stderr), **parts)
    counts = dict(zip(SPLITS, map(len, store.split_indices())))
    empty = [part for part in SPLITS[1:] if not counts[part]]  # a file of a few sentences: nothing to score on
    sizes = ", ".join(f"{n:,} {part}" for part, n in counts.items())
    total = len(store.original)
    print(f"imported {total:,} sentence{'s' * (total != 1)} as dataset {name!r} ({sizes}"
          + (", the files' own split" if parts else ", split 80/10/10" if empty else f", {COVERING_SPLIT}")
          + f"): `pool add --dataset {shlex.quote(name)} FILE` adds raw text to it; the app lists it in the sidebar, where "
          "Retrain trains its first models")
    if empty:
        print(f"note: {' and '.join(empty)} hold{'s' * (len(empty) == 1)} no sentence: a model trained on it has nothing to be "
              "scored on; import more sentences, or give --dev and --test files", file=sys.stderr)
    return 0


def _export(args: argparse.Namespace) -> int:
    from ..data.corpus import SPAN_FORMATS, format_of, write_corpus
    from ..storage.datasets import corpus_owner, open_dataset

    out = args.file
    fmt = args.format or format_of(str(out))  # the path as given in any message (helper-90)
    if not out.parent.is_dir():
        raise ValueError(f"{out}: no directory {out.parent}; create it first")
    store = open_dataset(args.dataset)
    if (owner := corpus_owner(out)) is not None:  # helper-85: a user's original corpus, replaced
        raise ValueError(f"{out} is the corpus file of dataset {owner!r}: write the export elsewhere")
    if out.exists() and not args.force:
        raise ValueError(f"{out} exists: give --force to replace it, or another name")
    numbered = store.numbered()
    write_corpus((s for _, s in numbered), out, fmt, args.scheme or "IOB2", (i for i, _ in numbered))
    scheme = "" if fmt in SPAN_FORMATS else f", {args.scheme or 'IOB2'} tags"
    print(f"wrote {len(numbered):,} sentences of dataset {args.dataset!r} as it is now to {out} ({fmt}{scheme})")
    return 0


def cmd_types(args: argparse.Namespace) -> int:
    from ..storage.datasets import open_dataset
    from ..storage.entity_types import add_type, guidelines, remove_type, set_guideline

    store = open_dataset(args.dataset)
    if args.action != "list" and not args.name:
        raise FlagError(f"types {args.action} needs the type's NAME")
    if args.action == "describe":
        if args.text is None:
            raise FlagError("types describe needs --text (an empty one takes the guideline back)")
        set_guideline(store, args.name, args.text, args.author)
    if args.action == "add":
        print(f"dataset {args.dataset!r}: added {add_type(store, args.name, args.author)!r}, a rare type: train-method's "
              "models learn it (retrain keeps the active models' types)")
    elif args.action == "remove":
        remove_type(store, args.name)
        print(f"dataset {args.dataset!r}: removed {args.name!r}")
    tagset, added, notes = store.tagset, store.added_types(), guidelines(store)
    for t in tagset.types:
        print(f"{t}\t{'rare' if t in tagset.weak else 'frequent'}\t{'added later' if t in added else 'of the file'}\t"
              + notes.get(t, "").replace("\n", " "))
    return 0


def cmd_job(args: argparse.Namespace) -> int:
    from ..workbench.jobs import run_job

    return run_job(args.id)


def cmd_users(args: argparse.Namespace) -> int:
    from ..storage.db import make_engine
    from ..storage.users import (add_user, check_new_name, check_role, find_user, list_users, remove_user, removed_users, set_password,
                                 set_role)

    engine = make_engine()
    if args.json and args.action != "list":
        raise FlagError("--json is for users list")
    if args.action == "list":
        if args.role is not None:
            check_role(args.role)
        everyone = list_users(engine)
        users = [u for u in everyone if (args.name is None or u.name.lower() == args.name.lower()) and args.role in (None, u.role)]
        gone = [r for r in removed_users(engine) if args.role is None and (args.name is None or r[0].lower() == args.name.lower())]
        if args.name is not None and not users and not gone:  # a removed user by name too (helper-100)
            raise ValueError(f"no user named {args.name!r}{' with role ' + args.role if args.role else ''} "
                             "('users list' without a name lists everyone)")
        if args.json:
            print(json.dumps([{"name": u.name, "role": u.role, "removed": None} for u in users] + [
                {"name": name, "role": role, "removed": {"by": by, "at": at.isoformat()}} for name, role, at, by in gone]))
            return 0
        if not everyone:
            print("no users defined: the app runs for one person, without sign-in", file=sys.stderr)
        elif not users:
            print(f"no user has the role {args.role}", file=sys.stderr)
        for user in users:
            print(f"{user.name}\t{user.role}")
        for name, role, at, by in gone:
            print(f"{name}\tremoved on {at:%Y-%m-%d %H:%M} by {by} (was {role}; the name stays theirs: users add {name} --returning)")
        return 0
    if not args.name or (args.action in ("add", "set-role") and not args.role):
        raise FlagError(f"users {args.action} needs NAME" + (" and --role" if args.action in ("add", "set-role") else ""))
    if args.action == "add":
        check_new_name(engine, args.name, args.returning)  # name and role checked before asking for a password
        check_role(args.role)
        user = add_user(engine, args.name, args.role, _new_password(args), returning=args.returning)
        print(f"added {user.name} ({user.role})" + (": back, with what they saved before" if args.returning else ""))
    elif args.action == "set-role":
        user = set_role(engine, args.name, args.role)
        print(f"{user.name} is now {user.role} (from their next page on)")
    elif args.action == "password":
        find_user(engine, args.name)  # before asking for a password
        user = set_password(engine, args.name, _new_password(args))
        print(f"new password for {user.name}: their open sessions have ended, they sign in with it")
    else:
        from ..workbench.agreement import left_to_tag_note

        user = remove_user(engine, args.name)
        print(f"removed {user.name} ({user.role}): they can no longer sign in; what they saved keeps their name"
              + left_to_tag_note(engine, user.name))
    everyone = list_users(engine)
    if everyone and all(u.role != "admin" for u in everyone):
        print("warning: the app asks everyone to sign in, and no one is an admin: nobody can import, retrain, "
              "activate models or manage users there; make one with 'users set-role NAME --role admin'", file=sys.stderr)
    return 0


def _new_password(args: argparse.Namespace) -> str:
    """The password for ``args.name``: the first line of stdin with ``--password-stdin``, else typed twice."""
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    import getpass

    if not sys.stdin.isatty():  # getpass would read the pipe and warn that it may echo
        raise ValueError("no terminal to type the password at: pipe it with --password-stdin")
    try:
        password = getpass.getpass(f"Password for {args.name}: ")
        again = getpass.getpass("Again: ")
    except EOFError:  # Ctrl-D at the prompt (helper-101: a traceback)
        raise ValueError("no password typed (end of input); nothing was stored") from None
    if again != password:
        raise ValueError("the two passwords differ; nothing was stored")
    return password


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("datasets", help="list the datasets, import a corpus file as a new one (as the app's sidebar does), "
                       "export one with its corrections and added sentences, archive one (hidden, kept whole) or restore it")
    p.add_argument("action", choices=("list", "import", "export", "archive", "restore"))
    p.add_argument("file", nargs="?", type=Path, help="import: a corpus file in any format the app imports (plain or zipped); "
                   "export: the file to write, its format by its suffix as on import (.csv, .conll, .jsonl, .spacy) or --format")
    p.add_argument("--name", help="import: the dataset's name (default: from the file's name, as the app proposes)")
    p.add_argument("--dev", type=Path, help="import: its dev file; with --test, the three files are the dataset's train, val "
                   "and test parts as published (default: FILE is split 80/10/10, seeded)")
    p.add_argument("--test", type=Path, help="import: its test file (with --dev)")
    p.add_argument("--dataset", default=DEFAULT_DATASET, help="export, archive, restore: the dataset (default: %(default)s)")
    p.add_argument("--author", default=os.environ.get("USER") or "cli", help="archive: who archives it")
    p.add_argument("--format", choices=EXPORTS, help="export: csv, conll, jsonl, spacy, or an annotation tool's own "
                   "tasks: prodigy (JSONL for `prodigy db-in`), label-studio (a JSON array for its import)")
    p.add_argument("--scheme", choices=SCHEMES, help="export: the tag scheme of a csv, conll or jsonl file (default IOB2)")
    p.add_argument("--force", action="store_true", help="export: replace FILE if it exists (never a dataset's own corpus file)")
    p.add_argument("--json", action="store_true", help="list: one JSON line on stdout (name, file, on_machine, split, archived)")
    p.set_defaults(func=cmd_datasets)

    p = sub.add_parser("types", help="a dataset's entity types: list them (with their guidelines), add one mid-project, "
                       "remove one added by mistake, describe one")
    p.add_argument("action", choices=("list", "add", "remove", "describe"))
    p.add_argument("name", nargs="?", help="add, remove, describe: the type (letters, digits, '_', '-', '.'); remove: only an "
                   "added type no sentence is tagged with")
    p.add_argument("--text", help="describe: what the type covers, as annotators are to tag it (shown beside it on the pages)")
    p.add_argument("--dataset", default=DEFAULT_DATASET, help="the dataset (default: default, the project's corpus)")
    p.add_argument("--author", default=os.environ.get("USER") or "cli", help="who added it")
    p.set_defaults(func=cmd_types)

    p = sub.add_parser("users", help="add, list, change or remove the people who sign in to the app (none: one person, no sign-in)",
                       formatter_class=argparse.RawDescriptionHelpFormatter, epilog="each action:\n"
                       "  users add NAME --role ROLE [--password-stdin] [--returning]\n  users list [NAME] [--role ROLE]\n"
                       "  users set-role NAME --role ROLE\n  users password NAME [--password-stdin]\n  users remove NAME")
    p.add_argument("action", choices=("add", "list", "set-role", "password", "remove"),
                   help="password: set a new one (a forgotten one reset; their sessions end); remove: they can no longer sign in")
    p.add_argument("name", nargs="?", help="user name (add: letters, digits, '_', '.', '-'; list: only that user)")
    p.add_argument("--role", choices=ROLES, help="annotator, reviewer or admin (each may do what the roles before it may); "
                   "list: only the users of this role")
    p.add_argument("--json", action="store_true", help="list: one JSON line on stdout (name, role, removed)")
    p.add_argument("--password-stdin", action="store_true",
                   help="add, password: read the password from the first line of stdin (else prompt)")
    p.add_argument("--returning", action="store_true", help="add: a removed user back, the same person (a removed user's "
                   "name is theirs: what they saved is attributed by it, so no new user takes it)")
    p.set_defaults(func=cmd_users)

    p = sub.add_parser("pool", help="a dataset's pool of unlabelled sentences: add a file, rank it, see it")
    common = argparse.ArgumentParser(add_help=False)  # the options of every action, before or after its FILE
    common.add_argument("--dataset", default=DEFAULT_DATASET,
                        help="the dataset whose pool (default: default, the project's corpus; an imported one by its name, as the app's sidebar lists it)")
    common.add_argument("--author", default=os.environ.get("USER") or "cli", help="who added the sentences")
    actions = p.add_subparsers(dest="action", required=True, metavar="{add,rank,status}")
    a = actions.add_parser("add", parents=[common], help="add FILE: raw text or any corpus format (tags ignored)")
    a.add_argument("data", help="a file of raw text or any corpus format (tags ignored), or - for stdin")
    a.add_argument("--input", choices=UNLABELLED_KINDS, default="auto", help="as for predict")
    a.add_argument("--any-script", action="store_true",
                   help="keep sentences mostly in a script the corpus does not use (dropped and counted by default)")
    r = actions.add_parser("rank", parents=[common], help="rank with the dataset's active model (as the app's job does)")
    r.add_argument("--strategy", choices=("rare", "uncertain", "mixed", "random"), default="mixed", help="as for mine")
    st = actions.add_parser("status", parents=[common], help="counts and the best open sentences")
    st.add_argument("--top", type=at_least(1), default=10, help="how many open sentences to list")
    p.set_defaults(func=cmd_pool)

    p = sub.add_parser("job", help="run a background job recorded in the database (the app starts these)")
    p.add_argument("id", help="the job's id")
    p.set_defaults(func=cmd_job)
