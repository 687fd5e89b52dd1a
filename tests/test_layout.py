"""The house rules a reviewer can check by running the tests: packages import only downward and the core
never imports the UI, no module grows past about 450 lines, SQL lives in .sql files, and the README's
layout matches the tree."""
from __future__ import annotations

import ast
import re
from pathlib import Path

from tests.repo_files import python_files, repo_files

REPO = Path(__file__).resolve().parents[1]
# Each package, and the packages of ours it may import. Everything else is refused, so a package never
# imports one that imports it back, and the core works without the UI.
MAY_IMPORT = {
    "config": set(),
    "audit": {"config"},
    "queries": {"config", "audit"},
    "ingest": {"config", "audit", "queries"},
    "data": {"config", "audit", "queries", "ingest", "review"},
    "review": {"config", "audit", "queries"},
    "backup": {"config", "audit", "queries", "ingest", "review"},
    "cli": {"config", "audit", "queries", "ingest", "data", "review", "backup"},
    "views": {"config", "audit", "queries", "data", "review"},
    "dashboard": {"config", "audit", "queries", "views"},
    "manage": {"cli"},
    "bench": {"config", "audit", "queries", "ingest", "data", "review", "backup", "tests"},
}
UI = {"streamlit", "plotly"}
UI_ALLOWED = {"views", "dashboard", "bench"}
MAX_LINES = 450
# SQL keywords that open a statement; a Python string starting with one of them (other than a lone
# one-word statement) is SQL that belongs in a .sql file.
SQL_START = re.compile(
    r"^\s*(SELECT|INSERT|UPDATE|DELETE|CREATE|DROP|ALTER|ATTACH|DETACH|COPY|PRAGMA|WITH|VACUUM|USE)\s"
    r".*\b(FROM|INTO|TABLE|SET|VALUES|DATABASE|MACRO|VIEW|INDEX|AS|TO|[a-z_]+\s*=)\b", re.S)
ONE_WORD = re.compile(r"^\s*(BEGIN( IMMEDIATE| TRANSACTION)?|COMMIT|ROLLBACK|CHECKPOINT)\s*;?\s*$", re.I)


def _python_files() -> list[str]:
    """Found by walking the tree with the .gitignore rules, so the rules hold in a release archive too."""
    return python_files(REPO)


def _package(path: str) -> str:
    return path.split("/")[0].removesuffix(".py")


def _imports(path: str) -> set[str]:
    """Top-level names of every module imported anywhere in the file (lazy imports inside functions too)."""
    tree = ast.parse((REPO / path).read_text(), path)
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_packages_import_only_downward_and_the_core_never_imports_the_ui():
    ours = set(MAY_IMPORT) | {"tests"}
    problems = []
    for path in _python_files():
        package = _package(path)
        if package == "tests":
            continue
        assert package in MAY_IMPORT, f"{path}: a new top-level package; add it to MAY_IMPORT and to the README layout"
        imported = _imports(path)
        wrong = (imported & ours) - MAY_IMPORT[package] - {package}
        ui = imported & UI if package not in UI_ALLOWED else set()
        if wrong or ui:
            problems.append(f"{path} imports {sorted(wrong | ui)}")
    assert problems == []


def test_no_module_is_over_450_lines():
    long = [f"{path}: {n} lines" for path in _python_files() if not path.startswith("tests/")
            and (n := len((REPO / path).read_text().splitlines())) > MAX_LINES]
    assert long == []


def _docstrings(tree: ast.AST) -> set[int]:
    return {id(body[0].value) for node in ast.walk(tree)
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
            and (body := node.body) and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)}


def test_no_sql_statement_is_a_python_string():
    """Upper-case SQL keywords as the house writes them, outside docstrings."""
    found = []
    for path in _python_files():
        if path.startswith("tests/"):
            continue
        tree = ast.parse((REPO / path).read_text(), path)
        docstrings = _docstrings(tree)
        for node in ast.walk(tree):
            if id(node) in docstrings:
                continue
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL_START.match(node.value) \
                    and not ONE_WORD.match(node.value):
                found.append(f"{path}:{node.lineno}: {node.value[:60]!r}")
            if isinstance(node, ast.JoinedStr):
                head = "".join(v.value for v in node.values if isinstance(v, ast.Constant))
                if SQL_START.match(head):
                    found.append(f"{path}:{node.lineno}: an f-string of SQL")
    assert found == []


def test_readme_layout_matches_the_tree():
    block = (REPO / "README.md").read_text().split("<!-- layout -->", 1)[1].split("\n\n", 1)[0]
    listed = [line.split()[0].rstrip("/") for line in block.strip().splitlines()]
    missing = [entry for entry in listed if not (REPO / entry).exists()]
    tracked = repo_files(REPO)
    top = {f.split("/")[0] for f in tracked if "/" in f and not f.startswith(".")} | {
        f for f in tracked if "/" not in f and f.endswith(".py")}
    unlisted = sorted(top - set(listed))
    pages = {"views/pages"} if (REPO / "views" / "pages").is_dir() else set()
    assert (missing, unlisted, pages - set(listed)) == ([], [], set())
