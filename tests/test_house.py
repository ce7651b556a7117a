"""The house rules that a reader relies on: short functions, engine free of UI libraries, no dead names."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _functions(*folders: str) -> list[tuple[int, str]]:
    out = []
    for folder in folders:
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    out.append((node.end_lineno - node.lineno + 1, f"{path.relative_to(ROOT)}:{node.name}"))
    return sorted(out, reverse=True)


def test_functions_are_short_enough_to_read_whole():
    lengths = _functions("engine", "dashboard")
    assert not [f for n, f in lengths if n > 80], "functions over 80 lines"
    assert len([f for n, f in lengths if n > 60]) <= 3, [f"{f} ({n})" for n, f in lengths if n > 60]


def test_page_scripts_stay_thin():
    """A page guards its preconditions, calls the engine and renders; its sections are functions."""
    for page in (ROOT / "dashboard" / "views").glob("*.py"):
        tree = ast.parse(page.read_text(encoding="utf-8"))
        top = [n for n in tree.body if not isinstance(n, (ast.FunctionDef, ast.Import, ast.ImportFrom, ast.Expr))]
        span = sum((n.end_lineno - n.lineno + 1) for n in top)
        assert span <= 80, f"{page.name}: {span} lines of top-level script outside functions"


def test_the_engine_imports_no_ui_library():
    for path in (ROOT / "engine").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            assert not any(n.split(".")[0] in ("streamlit", "plotly") for n in names), path
