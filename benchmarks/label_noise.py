"""How well planted label noise is found: precision at 100 / 500 of the ranked label issues.

    python benchmarks/label_noise.py [--model bilstm_crf] [--rate 0.05] [--seeds 7 8 9]

Noise is planted in the val and the test split (which the model did not train on): ``rate`` of
their entities get their type swapped, a boundary shifted by one token, or are dropped (no spurious
entities, as in ``reports/label_issues.md``; ``benchmarks/noise_recovery.py`` adds them). A flagged
token is a hit when its gold tag was changed by the noise.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ner_core.data.corpus import default_corpus_path, read_corpus, split_corpus  # noqa: E402
from ner_core.data.noise import NOISE_KINDS, plant_noise  # noqa: E402
from ner_core.models.tagger import Tagger  # noqa: E402
from ner_core.quality.label_issues import find_label_issues  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="bilstm_crf")
    parser.add_argument("--rate", type=float, default=0.05)
    parser.add_argument("--seeds", type=int, nargs="+", default=[7, 8, 9])
    args = parser.parse_args()
    split = split_corpus(read_corpus(default_corpus_path()))
    tagger = Tagger.from_checkpoint(args.model if Path(args.model).is_dir() else Path("checkpoints") / args.model)
    print("| split | seed | planted tokens | flagged | P@100 | P@500 | recall (all flagged) |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for part in ("val", "test"):
        for seed in args.seeds:
            noisy, changed = plant_noise(split.part(part), args.rate, seed, kinds=NOISE_KINDS[:3])  # as reported
            issues = find_label_issues(tagger, noisy)
            hits = [(i.sentence, i.token) in changed for i in issues]
            p100, p500 = sum(hits[:100]) / 100, sum(hits[:500]) / 500
            recall = sum(hits) / len(changed)
            print(f"| {part} | {seed} | {len(changed)} | {len(issues)} | {p100:.2f} | {p500:.2f} | {recall:.2f} |")


if __name__ == "__main__":
    main()
