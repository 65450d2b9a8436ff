"""``python -m ner_core COMMAND``: one module per group of commands, each adding its own parsers."""
from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
from typing import Iterator, Sequence

from ..models.checkpoint_dirs import CheckpointError
from ..data.corpus import CorpusError
from . import label_issues, registry, study, tag, team, train
from .options import FlagError


class Parser(argparse.ArgumentParser):
    """An argument parser whose refusal is one line, as every other refusal of the command line (its usage: ``--help``)."""

    argv: Sequence[str] = ()  # the command line being parsed (:func:`main`)

    def error(self, message: str):
        unknown = [a for a in Parser.argv if a.startswith("-") and a != "-" and a.split("=")[0] not in self._option_string_actions
                   and not a.lstrip("-").replace(".", "", 1).isdigit()]
        if message.startswith(("the following arguments are required", "one of the arguments")) and unknown:
            message = f"unrecognized arguments: {' '.join(unknown)}"  # the typo, not what it left out (helper-78: predict --bogus)
        self.exit(2, f"error: {message} (python -m ner_core{self.prog.removeprefix('python -m ner_core')} --help: the usage)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="python -m ner_core", description="The NER workbench from the command line: train, evaluate, tag and mine corpora, and manage datasets, jobs and users (each command has its --help).")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    for commands in (train, tag, label_issues, team, registry, study):
        commands.add_commands(sub)
    for command in sub.choices.values():  # an unknown option is refused with its command's usage, not the list of commands
        command.set_defaults(command_parser=command)
    return parser


class Terminated(KeyboardInterrupt):
    """SIGTERM (a plain ``kill``), raised where the program is, so that what it has half written is cleaned up as on Ctrl-C."""


def stop_on_sigterm() -> None:
    """Make SIGTERM raise :class:`Terminated` (the command line's own process only: a job's process has its handlers)."""
    def terminated(_signum: int, _frame: object) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second kill must not cut the clean-up short
        raise Terminated()

    signal.signal(signal.SIGTERM, terminated)


def main(argv: Sequence[str] | None = None) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    Parser.argv = list(sys.argv[1:] if argv is None else argv)
    args, unknown = build_parser().parse_known_args(argv)
    if unknown:
        args.command_parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    try:
        with _device_env(args):
            return args.func(args)
    except BrokenPipeError:  # the reader stopped (``| head``): the rest of the output is not wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # nor written again at exit
        return 0
    except FlagError as err:  # flags that do not go together: as argparse refuses a wrong flag
        args.command_parser.error(str(err))
    except (CorpusError, CheckpointError, ValueError, OSError, SQLAlchemyError) as err:  # a file, a disk, a database
        print(f"error: {_plain(err)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt as stop:
        print("terminated" if isinstance(stop, Terminated) else "interrupted", file=sys.stderr)
        return 143 if isinstance(stop, Terminated) else 130


@contextlib.contextmanager
def _device_env(args: argparse.Namespace) -> Iterator[None]:
    """For a command that runs models: its device (``--device``, else ``$NER_DEVICE``) checked before any file is
    read; torch's threads (``--threads``) and ``$NER_DEVICE`` set to ``--device`` while it runs, so that every model follows
    it (the frozen encoder's features too); both restored after (a caller in the same process keeps its own)."""
    if not hasattr(args, "device"):
        yield
        return
    import torch

    from ..models.device import DEVICE_ENV, resolve_device

    resolve_device(args.device)
    before, threads = os.environ.get(DEVICE_ENV), torch.get_num_threads()
    if getattr(args, "threads", None):
        torch.set_num_threads(args.threads)
    if args.device:
        os.environ[DEVICE_ENV] = args.device
    try:
        yield
    finally:
        torch.set_num_threads(threads)
        if before is None:
            os.environ.pop(DEVICE_ENV, None)
        else:
            os.environ[DEVICE_ENV] = before


def _plain(err: Exception) -> str:
    """An error in one line a user can act on (a database error without its SQL and its link to the docs)."""
    from sqlalchemy.exc import SQLAlchemyError

    if isinstance(err, SQLAlchemyError):
        cause = getattr(err, "orig", None) or err
        return f"the database (NER_DB_URL) cannot be used: {str(cause).splitlines()[0]}"
    return str(err)
