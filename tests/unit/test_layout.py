"""The package layout stays true: imports point one way, cli -> kafka/http -> core.

Every `import` in every module of `streamer/` is read with `ast` (inside functions too), so an
upward arrow fails here as soon as it is written, not when a newcomer trips over it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "streamer"

# layer -> the layers its modules may import (its own always allowed)
ALLOWED: dict[str, set[str]] = {
    "settings": set(),
    "logs": set(),  # logging set-up, for every process (worker, engine, CLI)
    "core": {"settings"},
    "codec": {"core", "settings"},
    "inputs": {"core", "codec", "settings"},
    "kafka": {"inputs", "core", "codec", "settings", "logs"},
    "http": {"kafka", "inputs", "core", "codec", "settings", "logs"},
    "cli": {"kafka", "http", "inputs", "core", "codec", "settings", "logs", "package"},
    "package": {"cli"},  # streamer/__init__.py and __main__.py
}
# third-party and stdlib modules the pure core must never import
CORE_FORBIDDEN = {"faust", "aiokafka", "orjson", "os", "time", "asyncio", "socket", "aiohttp"}


def layer_of(module: str) -> str:
    parts = module.split(".")
    if len(parts) == 1 or parts[1] in {"__init__", "__main__"}:
        return "package"
    return parts[1]


def module_name(root: Path, path: Path) -> str:
    rel = path.relative_to(root.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path, module: str) -> list[tuple[int, str]]:
    """(line, imported module) for every import in the file, relative ones resolved."""
    tree = ast.parse(path.read_text("utf-8"), filename=str(path))
    out: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                pkg = module.split(".")
                if path.name != "__init__.py":
                    pkg = pkg[:-1]
                base = ".".join(pkg[: len(pkg) - node.level + 1] + ([base] if base else []))
            if base == "streamer":  # `from streamer import cli` names a module
                out += [(node.lineno, f"streamer.{alias.name}") for alias in node.names
                        if alias.name != "__version__"]
            else:
                out.append((node.lineno, base))
    return out


def violations(root: Path) -> list[str]:
    """Every import in the package `root` that points up the layers."""
    found: list[str] = []
    for path in sorted(root.rglob("*.py")):
        module = module_name(root, path)
        here = layer_of(module)
        for line, target in imports_of(path, module):
            top = target.split(".")[0]
            where = f"{path.relative_to(root.parent)}:{line}"
            if top == root.name:
                there = layer_of(target)
                if there != here and there not in ALLOWED.get(here, set()):
                    found.append(f"{where}: {here} imports {target} ({there})")
            elif here == "core" and top in CORE_FORBIDDEN:
                found.append(f"{where}: the pure core imports {target}")
    return found


def test_imports_point_one_way() -> None:
    assert violations(PACKAGE) == []


def test_the_package_has_the_documented_folders() -> None:
    for folder in ("core", "kafka", "http", "cli"):
        init = PACKAGE / folder / "__init__.py"
        assert init.exists(), folder
        assert ast.get_docstring(ast.parse(init.read_text("utf-8"))), f"{folder} has no docstring"


@pytest.mark.parametrize(
    ("module", "source", "expected"),
    [
        ("core/engine.py", "from streamer.kafka.app import create_app\n", "core imports"),
        ("core/engine.py", "def f():\n    from streamer.cli import main\n", "core imports"),
        ("core/clean.py", "import orjson\n", "pure core imports orjson"),
        ("kafka/app.py", "from streamer.cli.flags import add_kafka_flags\n", "kafka imports"),
        ("kafka/app.py", "from ..cli import flags\n", "kafka imports streamer.cli"),
        ("codec.py", "from streamer.kafka import envelope\n", "codec imports"),
    ],
)
def test_an_upward_import_is_caught(tmp_path: Path, module: str, source: str,
                                    expected: str) -> None:
    root = tmp_path / "streamer"
    for folder in ("core", "kafka", "cli"):
        (root / folder).mkdir(parents=True)
        (root / folder / "__init__.py").write_text("")
    (root / "__init__.py").write_text("")
    (root / "cli" / "main.py").write_text("from streamer.kafka import app\n")
    (root / module).write_text(source)
    found = violations(root)
    assert len(found) == 1, found
    assert expected in found[0]
