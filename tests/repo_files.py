"""The project's files, found by walking the tree with git's ignore rules, so the house-rule tests run the
same in a git checkout and in an unpacked release archive (which has no .git to ask).

`repo_files()` lists what `git ls-files --cached --others --exclude-standard` lists in a checkout whose
tracked files are not ignored: every file under the root except `.git` and what the `.gitignore` files
exclude. The rules are git's (gitignore(5)): a pattern holds for its own folder and below; the last
matching pattern wins, a deeper file's after a higher one's; `!` re-includes; a trailing `/` matches
folders only; a `/` at the start or in the middle anchors the pattern to its folder, otherwise it matches a
name at any depth; `*` and `?` never match `/`, `**` matches any number of folders; a folder that is
excluded is not entered, so nothing inside it can be re-included. tests/test_repo_files.py checks the
walk against git itself.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class _Rule:
    base: str  # the folder of the .gitignore, relative to the root ("" for the root), with a trailing "/"
    pattern: re.Pattern[str]
    anchored: bool
    negated: bool
    folders_only: bool

    def matches(self, path: str, is_dir: bool) -> bool:
        if self.folders_only and not is_dir:
            return False
        if not path.startswith(self.base):
            return False
        rest = path[len(self.base):]
        return bool(self.pattern.fullmatch(rest if self.anchored else rest.rsplit("/", 1)[-1]))


def _glob(pattern: str) -> str:
    """A gitignore glob as a regular expression over a slash-separated path."""
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("/**", i) and i + 3 == len(pattern):
            out.append("/.*")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        elif pattern[i] == "[" and (end := pattern.find("]", i + 2)) != -1:
            body = pattern[i + 1:end]
            negate = body[:1] in ("!", "^")
            body = body[1:] if negate else body
            out.append("[" + ("^" if negate else "") + body.replace("\\", "\\\\") + "]")
            i = end + 1
        elif pattern[i] == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return "".join(out)


def _rules(text: str, base: str) -> list[_Rule]:
    rules = []
    for raw in text.splitlines():
        line = re.sub(r"(?<!\\)\s+$", "", raw)
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        line = line[1:] if negated else line.removeprefix("\\")
        folders_only = line.endswith("/")
        line = line.rstrip("/")
        if not line:
            continue
        anchored = "/" in line
        rules.append(_Rule(base, re.compile(_glob(line.lstrip("/")), re.S), anchored, negated, folders_only))
    return rules


def _ignored(rules: list[_Rule], path: str, is_dir: bool) -> bool:
    for rule in reversed(rules):
        if rule.matches(path, is_dir):
            return not rule.negated
    return False


def repo_files(root: Path = REPO) -> list[str]:
    """Every file under `root` that git would list (tracked or untracked, not ignored), as sorted paths
    relative to `root` with "/" between folders. Symbolic links are listed as files, never followed."""
    found: list[str] = []

    def walk(folder: Path, relative: str, inherited: list[_Rule]) -> None:
        ignore_file = folder / ".gitignore"
        rules = inherited + (_rules(ignore_file.read_text(), relative) if ignore_file.is_file() else [])
        with os.scandir(folder) as entries:
            for entry in sorted(entries, key=lambda e: e.name):
                if entry.name == ".git":
                    continue
                path = relative + entry.name
                is_dir = entry.is_dir(follow_symlinks=False)
                if _ignored(rules, path, is_dir):
                    continue
                if is_dir:
                    walk(Path(entry.path), path + "/", rules)
                else:
                    found.append(path)

    walk(root, "", [])
    return sorted(found)


def python_files(root: Path = REPO) -> list[str]:
    return [f for f in repo_files(root) if f.endswith(".py")]
