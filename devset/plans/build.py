#!/usr/bin/env python3
"""Rebuild devset/plans/docs/ from local git mirrors, as listed in devset/plans/sources.toml.

Run from the repository root:  python devset/plans/build.py

Each [[doc]] in sources.toml names a public GitHub repository, a commit and a path. The
bytes are read with `git --git-dir=<mirror> show <commit>:<path>`, checked against the
recorded sha256 and written to devset/plans/docs/<name>. Files already present with the
right sha256 are left alone, so the script can be re-run at will.

Mirrors are looked for under /work/.mirror/<owner>+<name>/ (override the root with the
environment variable PLANS_MIRROR_ROOT). If a mirror is missing, the script prints one
line per missing repository, `fetch github:owner/name`, and exits with status 2. A sha256
mismatch or a failed `git show` exits with status 1.

Then truth.jsonl (git-ignored: its action fragments are document text) is materialised
from the committed truth.src.jsonl, where each action (and each theme, lead or timescale
of four words or more that is document text) is a locator (document, sha256, length)
instead of text; see devset/locate.py. A locator that matches no window of the
document's text exits with status 1, naming the row.

Standard library and subprocess only (`assistant text`, `pdftotext`).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tomllib
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
import locate  # devset/locate.py

SOURCES = HERE / "sources.toml"
DOCS = HERE / "docs"
MIRROR_ROOT = Path(os.environ.get("PLANS_MIRROR_ROOT", "/work/.mirror"))


def is_git_dir(path: Path) -> bool:
    return path.is_dir() and (path / "objects").is_dir() and (path / "HEAD").is_file()


def find_git_dir(repo: str) -> Path | None:
    """The git directory of the mirror of owner/name, wherever fetch put it."""
    base = MIRROR_ROOT / repo.replace("/", "+")
    if not base.is_dir():
        return None
    for candidate in (base / "repo", base / "repo" / ".git", base / ".git", base):
        if is_git_dir(candidate):
            return candidate
    # Last resort: any git directory a couple of levels down.
    for candidate in sorted(base.glob("*/*")) + sorted(base.glob("*")):
        if is_git_dir(candidate):
            return candidate
    return None


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def main() -> int:
    with SOURCES.open("rb") as fh:
        docs = tomllib.load(fh).get("doc", [])
    if not docs:
        print(f"no [[doc]] entries in {SOURCES}", file=sys.stderr)
        return 1

    missing: list[str] = []
    git_dirs: dict[str, Path] = {}
    for doc in docs:
        repo = doc["repo"]
        if repo in git_dirs or repo in missing:
            continue
        found = find_git_dir(repo)
        if found is None:
            missing.append(repo)
        else:
            git_dirs[repo] = found
    if missing:
        for repo in missing:
            print(f"fetch github:{repo}")
        return 2

    DOCS.mkdir(parents=True, exist_ok=True)
    names = {doc["name"] for doc in docs}
    if len(names) != len(docs):
        print("duplicate name in sources.toml", file=sys.stderr)
        return 1

    failures = 0
    for doc in docs:
        target = DOCS / doc["name"]
        if target.is_file() and sha256(target.read_bytes()) == doc["sha256"]:
            print(f"ok       {doc['name']}")
            continue
        spec = f"{doc['commit']}:{doc['path']}"
        proc = subprocess.run(
            ["git", f"--git-dir={git_dirs[doc['repo']]}", "show", spec],
            capture_output=True,
        )
        if proc.returncode != 0:
            print(f"FAILED   {doc['name']}: git show {spec} in {doc['repo']}: "
                  f"{proc.stderr.decode(errors='replace').strip()}", file=sys.stderr)
            failures += 1
            continue
        digest = sha256(proc.stdout)
        if digest != doc["sha256"]:
            print(f"FAILED   {doc['name']}: sha256 {digest} != {doc['sha256']}", file=sys.stderr)
            failures += 1
            continue
        tmp = target.with_name(target.name + ".part")
        tmp.write_bytes(proc.stdout)
        tmp.replace(target)
        print(f"written  {doc['name']} ({len(proc.stdout)} bytes)")

    # Anything else in docs/ is not part of the set: say so, but leave it alone.
    for extra in sorted(p.name for p in DOCS.iterdir() if p.is_file() and p.name not in names):
        print(f"note: {extra} in docs/ is not listed in sources.toml", file=sys.stderr)
    if failures:
        return 1
    # truth.jsonl is materialised from the committed locators in truth.src.jsonl.
    return locate.materialise("plans")


if __name__ == "__main__":
    sys.exit(main())
