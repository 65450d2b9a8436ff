"""What the tagging bias chosen on dev does on test: small proxies of a new domain, built from the default corpus.

    python benchmarks/tagging_bias.py [--sizes 1000 3000] [--recipe glove|fused] [--dev 300] [--threads 1] [--json FILE]

Per size, a tagger of ``--recipe`` is trained on the first N sentences of the train split, with
the first ``--dev`` sentences of the val split as dev, once as the corpus is and once lowercased throughout
(no capitals to find names by, as in much social-media text). Its B- bias is chosen on that dev set
(``training/tagging_bias.py``) and both taggers, without and with the bias, are scored on the whole test
split and on its "novel" sentences: those whose every entity is a string the N training sentences never
tag (the emerging entities of a new domain), with the bias chosen on the val split's novel sentences.
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ner_core.data.corpus import Sentence, default_corpus_path, read_corpus, split_corpus  # noqa: E402
from ner_core.data.tags import spans  # noqa: E402
from ner_core.evaluation.evaluate import evaluate  # noqa: E402
from ner_core.models.tagger import Tagger  # noqa: E402
from ner_core.training.method import Recipe  # noqa: E402
from ner_core.training.recipes import candidate  # noqa: E402
from ner_core.training.train import TrainConfig, train  # noqa: E402
from ner_core.training.tagging_bias import tune_tagging_bias  # noqa: E402


def lowercased(sentences: list[Sentence]) -> list[Sentence]:
    return [Sentence(tuple(w.lower() for w in s.words), s.tags, s.pos) for s in sentences]


def novel(sentences: list[Sentence], known: set[str]) -> list[Sentence]:
    """The sentences holding entities, none of whose strings (lowercased) is in ``known``."""
    def strings(s: Sentence) -> list[str]:
        return [" ".join(s.words[e.start:e.end]).lower() for e in spans(s.tags)]
    return [s for s in sentences if strings(s) and not set(strings(s)) & known]


def scored(model, dev: list[Sentence], test: list[Sentence]) -> dict:
    """Test micro F1 (precision, recall) without a bias and with the one chosen on ``dev``."""
    model.config = replace(model.config, start_bias=0.0)
    before = evaluate(Tagger(model), test)
    choice = tune_tagging_bias(model, dev)
    after = evaluate(Tagger(model), test)
    return {"start_bias": choice.start_bias, "dev_unbiased": choice.unbiased_micro_f1, "dev_biased": choice.dev_micro_f1,
            **{f"test_{k}_{m}": round(s[f"micro_{m}"], 4) for k, s in (("unbiased", before), ("biased", after))
               for m in ("f1", "precision", "recall")}, "test_sentences": len(test)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 3000])
    parser.add_argument("--recipe", choices=("glove", "fused"), default="glove")
    parser.add_argument("--dev", type=int, default=300)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    split = split_corpus(read_corpus(default_corpus_path()))
    rows = []
    for size in args.sizes:
        known = {" ".join(s.words[e.start:e.end]).lower() for s in split.train[:size] for e in spans(s.tags)}
        for casing in ("as is", "lowercased"):
            shape = lowercased if casing == "lowercased" else list
            data, dev, test = shape(split.train[:size]), shape(split.val[: args.dev]), shape(split.test)
            config, model_config = candidate(args.recipe, TrainConfig(threads=args.threads, tune_bias=False), Recipe().model)
            model = train(data, dev, config, model_config, progress=False).model
            for part, (d, t) in {"whole test split": (dev, test),
                                 "novel entities": (novel(shape(split.val), known), novel(test, known))}.items():
                rows.append({"train_sentences": size, "recipe": args.recipe, "casing": casing, "test": part, **scored(model, d, t)})
                r = rows[-1]
                print(f"| {size} | {args.recipe} | {casing} | {part} ({r['test_sentences']:,}) | {r['start_bias']:+g} | {r['dev_unbiased']:.4f} → "
                      f"{r['dev_biased']:.4f} | {r['test_unbiased_f1']:.4f} ({r['test_unbiased_precision']:.3f} / "
                      f"{r['test_unbiased_recall']:.3f}) | {r['test_biased_f1']:.4f} ({r['test_biased_precision']:.3f} / "
                      f"{r['test_biased_recall']:.3f}) |", flush=True)
            if args.json:
                args.json.write_text(json.dumps({"command": " ".join(sys.argv), "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
