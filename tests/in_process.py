"""The command line run in this process (``python -m ner_core ARGS`` without a fresh interpreter's imports
and GloVe load): its exit code and what it printed, as :class:`subprocess.CompletedProcess` gives them."""
import contextlib
import io
import os
import subprocess
from pathlib import Path

from ner_core.cli import main


def run_cli(*args: str, checkpoints: Path | None = None) -> subprocess.CompletedProcess:
    """``main(args)`` with stdout and stderr captured; ``checkpoints`` sets ``$NER_CHECKPOINTS`` for the call."""
    out, err = io.StringIO(), io.StringIO()
    before = os.environ.get("NER_CHECKPOINTS")
    if checkpoints is not None:
        os.environ["NER_CHECKPOINTS"] = str(checkpoints)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(list(args))
            except SystemExit as exit_:  # argparse's refusal of a flag: exit 2 with its message
                code = exit_.code
    finally:
        if before is None:
            os.environ.pop("NER_CHECKPOINTS", None)
        else:
            os.environ["NER_CHECKPOINTS"] = before
    return subprocess.CompletedProcess(["python", "-m", "ner_core", *args], code, out.getvalue(), err.getvalue())
