"""Warming the app server up before it lets anyone in: what a first visit would otherwise wait for.

``python app.py [streamlit options]`` (what ``./dev app`` runs) imports the heavy libraries, loads the
default dataset's active model, tags its test split for Error analysis and fills its review queue (the train
split's, stored: only a first start has work to do there), then starts Streamlit in the
same process. Streamlit's resource caches belong to the process, so the first visitor finds them filled;
the server answers only once they are. ``streamlit run app.py`` still works, cold.
``NER_WARM_UP=0`` skips the warm-up (a quick restart while developing).
"""
from __future__ import annotations

import logging
import os
import sys
import time
from contextlib import contextmanager
from typing import Callable, Iterator

def warm_up(log: Callable[[str], None] = print) -> None:
    """Import, load, tag and fill what the first visits to Predict, Error analysis and the review queue need,
    logging each step's seconds."""
    with _step("imports (torch, pandas, plotly, spaCy, Streamlit's pages)", log):
        import pandas  # noqa: F401
        import plotly.express  # noqa: F401
        import torch  # noqa: F401

        from ner_core.data.tokenize import tokenize

        tokenize("Warm up.")  # spaCy's tokenizer, built once per process
        from pages.models import get_analysis, load_model
        from pages.ui import (ERRORS_FIRST_SPLIT, REVIEW_FIRST_SPLIT, correction_store, current_split, review_queue, split_ids,
                              split_parts, split_source_key)
    from ner_core.data.corpus import default_corpus_path
    from ner_core.storage.datasets import DEFAULT_DATASET
    from ner_core.workbench.registry import available_models

    if not os.path.isfile(corpus := default_corpus_path()):  # the pages offer the import instead
        raise FileNotFoundError(f"the project's corpus {corpus}: no such file")
    models = available_models(DEFAULT_DATASET)
    if not models:
        log("warm-up: no trained model under checkpoints/: nothing to load")
        return
    path = next(iter(models.values()))  # the sidebar's first family: what a page opens with
    with _step(f"the model ({os.path.basename(path)})", log):
        model = load_model(path)
    with _step(f"the {ERRORS_FIRST_SPLIT} split tagged for Error analysis", log):
        split, version = current_split(DEFAULT_DATASET)
        correction_store(DEFAULT_DATASET).token_style  # noqa: B018 - read once (Predict tokenises typed text so)
        sentences = split.part(ERRORS_FIRST_SPLIT)
        get_analysis(path, model, split_source_key(DEFAULT_DATASET, ERRORS_FIRST_SPLIT, version), sentences,
                     split_ids(DEFAULT_DATASET, ERRORS_FIRST_SPLIT, version))
    with _step(f"the review queue of the {REVIEW_FIRST_SPLIT} split", log):
        from ner_core.quality.review_session import fill_review_queue

        single = list(available_models(DEFAULT_DATASET, single=True).values())
        fill_review_queue(review_queue(DEFAULT_DATASET), split_parts(DEFAULT_DATASET), REVIEW_FIRST_SPLIT, single, load_model)


def serve(app: str, args: list[str]) -> None:
    """Warm up (unless ``$NER_WARM_UP`` is ``0``), then run ``streamlit run app *args`` in this process; never returns."""
    import click
    from streamlit.web import bootstrap, cli

    from pages.tab_guards import navigation_only

    try:  # Streamlit's configuration as `streamlit run` will read it, first: read during the warm-up without the
        # command line's options, its later reading with them would warn that server options changed
        options = cli.main_run.make_context("streamlit run", [app, *args]).params
    except click.exceptions.Exit as done:  # --help, printed
        sys.exit(done.exit_code)
    except click.ClickException:  # a wrong option: `streamlit run` says so, with its usage
        sys.exit(cli.main(["run", app, *args], prog_name="streamlit"))
    if os.environ.get("NER_WARM_UP", "1") != "0":
        bootstrap.load_config_options({k: v for k, v in options.items() if k not in ("target", "args")})
        started = time.perf_counter()
        logging.disable(logging.WARNING)  # Streamlit's calls outside a session warn ("missing ScriptRunContext"): expected
        try:
            warm_up()
            print(f"warm-up done in {time.perf_counter() - started:.1f} s; starting the server", flush=True)
        except Exception as err:  # noqa: BLE001 - the pages say what is wrong (a missing corpus, a broken model): serve them
            print(f"warm-up stopped: {type(err).__name__}: {err}; starting the server", flush=True)
        finally:
            logging.disable(logging.NOTSET)
    navigation_only()  # before the first visit: no page runs without app.py even once (pages/tab_guards.py)
    sys.exit(cli.main(["run", app, *args], prog_name="streamlit"))


@contextmanager
def _step(what: str, log: Callable[[str], None]) -> Iterator[None]:
    started = time.perf_counter()
    yield
    log(f"warm-up: {what} in {time.perf_counter() - started:.1f} s")
