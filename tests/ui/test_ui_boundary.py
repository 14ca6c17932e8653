"""Only choreo.ui (and the CLI) draws on the terminal: no other module imports rich."""

from __future__ import annotations

import ast
from pathlib import Path

import choreo

PACKAGE = Path(choreo.__file__).resolve().parent
ALLOWED = ("ui", "cli")


def rich_imports(path: Path, root: Path = PACKAGE.parent) -> list[str]:
    """``file:line module`` of every import of rich in ``path`` (lazy ones included)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found += [
            f"{path.relative_to(root)}:{node.lineno} {n}"
            for n in names
            if n == "rich" or n.startswith("rich.")
        ]
    return found


def test_no_module_outside_ui_and_cli_imports_rich() -> None:
    modules = sorted(PACKAGE.rglob("*.py"))
    outside = [p for p in modules if p.relative_to(PACKAGE).parts[0] not in ALLOWED]
    assert len(outside) > 50  # the walk sees the package
    offenders = [hit for p in outside for hit in rich_imports(p)]
    assert offenders == []


def test_the_walk_finds_lazy_and_aliased_imports(tmp_path: Path) -> None:
    lazy = tmp_path / "lazy.py"
    lazy.write_text(
        "import richer\nfrom . import rich\n"
        "def f():\n    import rich.table as t\n    from rich import print\n"
    )
    assert rich_imports(lazy, tmp_path) == ["lazy.py:4 rich.table", "lazy.py:5 rich"]
    assert any(h.endswith(" rich.console") for h in rich_imports(PACKAGE / "ui" / "console.py"))
