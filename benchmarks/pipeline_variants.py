"""Score the voted pipeline with other strong or weak taggers in place of the shipped ones.

    python benchmarks/pipeline_variants.py --weak DIR [DIR ...] [--family bert] [--strong DIR]

For each weak checkpoint (or only the given strong one): copies it, with the shipped detector and
the other shipped tagger, into a scratch directory; tunes the detector threshold on val exactly as
``python -m ner_core experiments`` does; prints val and test micro / macro F1 and the weak types'
F1 for "Our method" and "Double". This is how the rows of reports/weak_classes.md were measured.
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ner_core.data.corpus import default_corpus_path, read_corpus, split_corpus  # noqa: E402
from ner_core.evaluation.evaluate import evaluate  # noqa: E402
from ner_core.models.checkpoint_dirs import checkpoints_dir  # noqa: E402
from ner_core.models.pipeline import VotedPipeline  # noqa: E402
from ner_core.study.experiments import DETECTOR, FAMILIES, build_pipelines  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weak", nargs="*", default=[], help="weak tagger checkpoints to try (default: the shipped one)")
    parser.add_argument("--strong", help="strong tagger checkpoint (default: the shipped one)")
    parser.add_argument("--family", choices=("bilstm", "bert"), default="bilstm")
    args = parser.parse_args()
    family = FAMILIES[args.family == "bert"]
    split = split_corpus(read_corpus(default_corpus_path()))
    shipped = checkpoints_dir()
    weak_types = sorted(VotedPipeline.load(shipped / family.voted).tagset.weak)
    print("weak | strong | threshold | system | val micro | val macro | test micro | test macro | test " + " / ".join(weak_types))
    for weak in args.weak or [str(shipped / family.weak)]:
        strong = args.strong or str(shipped / family.strong)
        with tempfile.TemporaryDirectory() as scratch:
            root = Path(scratch)
            shutil.copytree(shipped / DETECTOR, root / DETECTOR)
            shutil.copytree(strong, root / family.strong)
            shutil.copytree(weak, root / family.weak)
            threshold = build_pipelines(split, root, family, DETECTOR)
            for system in (family.voted, family.double):
                pipeline = VotedPipeline.load(root / system)
                val, test = evaluate(pipeline, split.val), evaluate(pipeline, split.test)
                weak_f1 = " / ".join(f"{test['per_type'].get(t, {}).get('f1', 0.0):.3f}" for t in weak_types)
                print(f"{weak} | {strong} | {threshold} | {system} | {val['micro_f1']:.4f} | {val['macro_f1']:.3f} | "
                      f"{test['micro_f1']:.4f} | {test['macro_f1']:.3f} | {weak_f1}", flush=True)


if __name__ == "__main__":
    main()
