"""``python app.py`` (what ``./dev app`` runs) with a wrong option or ``--help``: Streamlit's own answer, before any warm-up."""
import subprocess
import sys
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parents[2] / "app.py"


@pytest.mark.parametrize(("args", "said", "code"), [(["--server.bogus", "1"], "No such option '--server.bogus'", 2),
                                                    (["--help"], "Usage: streamlit run [OPTIONS]", 0)])
def test_a_wrong_option_or_help_is_answered_without_warming_up(tmp_path, args, said, code):
    env = {"NER_DATA_DIR": str(tmp_path), "NER_DB_URL": f"sqlite:///{tmp_path / 'db.sqlite'}", "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, str(APP), *args], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == code and said in done.stdout + done.stderr
    assert "warm-up" not in done.stdout + done.stderr
