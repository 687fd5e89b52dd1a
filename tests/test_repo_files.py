"""tests/repo_files.py lists the files git would list, by walking the tree with the .gitignore rules: checked
against git itself on this checkout and on a small tree that uses every kind of rule, and against a list
written by hand for that tree, so the rules are checked where git is missing too."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.repo_files import REPO, python_files, repo_files

IGNORES = {
    ".gitignore": "# a comment\n\n*.log\n/build/\nnotes/\ncache\n!keep.log\ndocs/**/draft.md\n*.tmp\n\\#hash\nsub/deep/*.txt\n[ab].bin\n",
    "sub/.gitignore": "local.cfg\n!/again.tmp\nonly-here/\n",
    "tool_cache/.gitignore": "*\n",
}
FILES = [
    "a.py", "run.log", "keep.log", "build/out.py", "src/build/kept.py", "notes/x.md", "src/notes/y.md", "notes.md",
    "cache", "src/cache/z.py", "docs/draft.md", "docs/a/b/draft.md", "docs/a/final.md", "x.tmp", "#hash", "hash",
    "sub/local.cfg", "local.cfg", "sub/again.tmp", "again.tmp", "sub/only-here/f.py", "only-here/f.py",
    "sub/deep/a.txt", "sub/deep/more/b.txt", "deep/a.txt", "a.bin", "c.bin", "tool_cache/data.py",
    "build/keep.log",
]
# Worked out from gitignore(5) by hand: what survives the rules above ("docs/**/draft.md" holds for docs/draft.md
# too: "**/" matches no folder as well).
KEPT = sorted([
    ".gitignore", "a.py", "keep.log", "src/build/kept.py", "notes.md", "docs/a/final.md", "hash",
    "local.cfg", "sub/.gitignore", "sub/again.tmp", "only-here/f.py", "sub/deep/more/b.txt", "deep/a.txt", "c.bin",
])


def _git(*args: str, cwd: Path) -> list[str]:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True).stdout.splitlines()


def _in_a_checkout() -> bool:
    if shutil.which("git") is None:
        return False
    done = subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=REPO, capture_output=True, text=True, check=False)
    return done.returncode == 0 and Path(done.stdout.strip()).resolve() == REPO


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    for name, text in IGNORES.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    for name in FILES:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x\n")
    return tmp_path


def test_the_walk_keeps_what_the_rules_keep(tree):
    assert repo_files(tree) == KEPT


@pytest.mark.skipif(shutil.which("git") is None and os.environ.get("CI") != "true",
                    reason="git is not installed (under CI=true this fails instead)")
def test_the_walk_lists_what_git_lists_for_every_kind_of_rule(tree):
    _git("init", "-q", cwd=tree)
    assert repo_files(tree) == sorted(_git("-c", "core.excludesFile=/dev/null", "ls-files", "--others", "--exclude-standard", cwd=tree))


@pytest.mark.skipif(not _in_a_checkout() and os.environ.get("CI") != "true", reason="not a git checkout (an unpacked release archive): nothing to compare with")
def test_the_walk_lists_what_git_lists_in_this_checkout():
    listed = _git("ls-files", "--cached", "--others", "--exclude-standard", cwd=REPO)
    assert repo_files() == sorted(f for f in set(listed) if (REPO / f).exists())
    assert python_files() == [f for f in repo_files() if f.endswith(".py")] and "tests/repo_files.py" in python_files()
