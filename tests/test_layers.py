"""ner_core's layers: each module imports only from its own layer or the layers below, and no import cycle.

The layers, bottom up: data -> models -> evaluation -> training -> storage -> quality -> workbench -> study -> cli,
then the package's top (the public API, ``python -m``). Every import counts, those inside functions too.
"""
import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "ner_core"
LAYERS = ["data", "models", "evaluation", "training", "storage", "quality", "workbench", "study", "cli"]


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path, name: str | None = None) -> set[str]:
    """The ner_core modules that module ``name`` (default: the one at ``path``) imports, relative imports resolved."""
    name, found = name or module_name(path), set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
            target = ".".join([*base, *(node.module.split(".") if node.module else [])])
            found.add(target)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return {t for t in found if t == "ner_core" or t.startswith("ner_core.")}


def layer(module: str) -> int:
    """The layer's rank; the package's top (``ner_core``, its CLI) ranks above every layer."""
    parts = module.split(".")
    return LAYERS.index(parts[1]) if len(parts) > 1 and parts[1] in LAYERS else len(LAYERS)


def graph() -> dict[str, set[str]]:
    return {module_name(p): imports(p) for p in PACKAGE.rglob("*.py") if "versions" not in p.parts}


def test_the_package_is_its_layers():
    top = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert top == ["__init__.py", "__main__.py"]
    assert sorted(p.name for p in PACKAGE.iterdir() if p.is_dir() and p.name != "__pycache__") == sorted(LAYERS)


def test_no_module_imports_from_a_higher_layer():
    upward = sorted(f"{source} imports {target}" for source, targets in graph().items() for target in targets
                    if target != "ner_core" and layer(target) > layer(source))
    assert upward == []


def test_no_import_cycle():
    edges = graph()
    edges = {m: {t for t in ts if t in edges and t != m} for m, ts in edges.items()}
    state: dict[str, int] = {}  # 1: on the path, 2: done
    cycles = []

    def visit(m: str, path: list[str]) -> None:
        state[m] = 1
        for t in sorted(edges[m]):
            if state.get(t) == 1:
                cycles.append(" -> ".join([*path[path.index(t):], t]))
            elif t not in state:
                visit(t, [*path, t])
        state[m] = 2

    for m in sorted(edges):
        if m not in state:
            visit(m, [m])
    assert cycles == []


def test_the_check_finds_an_upward_import(tmp_path):
    """The walker is not blind: a data module importing the store, inside a function, is caught."""
    probe = tmp_path / "corpus.py"
    probe.write_text((PACKAGE / "data" / "corpus.py").read_text() + "\n\ndef later():\n    from ..storage.store import CorrectionStore\n")
    found = imports(probe, "ner_core.data.corpus")
    assert "ner_core.storage.store" in found and layer("ner_core.storage.store") > layer("ner_core.data.corpus")
