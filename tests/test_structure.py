"""The layers of the code: every import points down the list, so a build or a query flows one way."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "ingest"
# lower layers first; a module may import from its own layer or any layer above it in this list
LAYERS = [
    {"text", "records"},
    {"readers"},
    {"form"},
    {"sections"},
    {"segment", "profiles", "sectors"},
    {"store"},
    {"library", "ranking", "embedders", "model_e5"},
    {"quantized"},
    {"vectors"},
    {"review"},
    {"build", "query", "cluster"},
    {"cli", "serve", "replicas", "web", "__main__"},
]


def layer_of(top: str) -> int:
    return next(i for i, names in enumerate(LAYERS) if top in names)


def imports(path: Path) -> set[str]:
    """The project's top-level modules that a file imports (relative imports resolved)."""
    rel = path.relative_to(PACKAGE).with_suffix("")
    parts = list(rel.parts)
    found = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = parts[: len(parts) - node.level] if path.name != "__init__.py" else parts[: len(parts) - node.level + 1]
                target = base + (node.module.split(".") if node.module else [])
                names = [target] if target else [[a.name] for a in node.names]
                for t in names:
                    if t and t[0] != "__init__":
                        found.add(t[0])
            elif node.module and node.module.split(".")[0] == "ingest":
                found.add(node.module.split(".")[1] if "." in node.module else node.names[0].name)
    return found


def test_every_import_points_down():
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        top = path.relative_to(PACKAGE).parts[0].removesuffix(".py")
        if top == "__init__":
            continue
        for dep in imports(path):
            if dep != top and layer_of(dep) > layer_of(top):
                wrong.append(f"{path.relative_to(PACKAGE)} imports {dep}")
    assert not wrong, wrong


def test_migrations_are_frozen():
    """A migration must not import project code: a later change would change an old database's upgrade."""
    assert imports(PACKAGE / "store" / "migrations.py") == set()


def test_parsing_is_pure():
    for path in list((PACKAGE / "form").rglob("*.py")) + list((PACKAGE / "readers").rglob("*.py")):
        source = path.read_text("utf-8")
        for heavy in ("sqlite", "jieba", "torch", "sentence_transformers", "datasette"):
            assert f"import {heavy}" not in source and f"from {heavy}" not in source, (path.name, heavy)
