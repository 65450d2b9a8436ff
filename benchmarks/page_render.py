"""Render time of each app page with the shipped models and the full corpus (Streamlit AppTest).

    python benchmarks/page_render.py

Prints the first render (cold: models load, the corpus is read and tagged) and the next render
(warm: everything cached). Goal: warm render <= 2 s for every page.
"""
from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PAGES = ["pages/predict.py", "pages/errors.py", "pages/suspicious.py", "pages/annotate.py", "pages/retrain.py", "pages/registry.py"]


def main() -> None:
    from streamlit.testing.v1 import AppTest

    os.environ.setdefault("NER_DATA_DIR", tempfile.mkdtemp())
    print(f"{'page':<22} {'cold s':>8} {'warm s':>8}")
    for page in PAGES:
        app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
        app.switch_page(page)
        t0 = time.perf_counter()
        app.run()
        cold = time.perf_counter() - t0
        t0 = time.perf_counter()
        app.run()
        warm = time.perf_counter() - t0
        status = "error: " + app.exception[0].message if app.exception else ""
        print(f"{page:<22} {cold:>8.2f} {warm:>8.2f} {status}")


if __name__ == "__main__":
    main()
