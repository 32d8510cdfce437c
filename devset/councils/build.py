#!/usr/bin/env python3
"""Rebuild devset/councils/docs/ from local mirrors of public GitHub repositories.

Usage (from /work/main):  python devset/councils/build.py [--update-sha]

For every [[doc]] in sources.toml the file is read with
    git --git-dir=<mirror git dir> show <commit>:<path>
and written byte for byte to devset/councils/docs/<name> (existing files are
overwritten). The bytes are checked against the sha256 recorded in
sources.toml. Mirrors are looked for under $MIRROR_ROOT (default /work/.mirror)
as <owner>+<name>/...; a missing mirror is reported as a `fetch github:owner/name`
line and the script exits with status 1 without writing anything.

Then questions.jsonl (git-ignored: its evidence fragments are document text) is
materialised from the committed questions.src.jsonl, whose evidence items are
locators (document, sha256, length) rather than text; see devset/locate.py. A locator
that matches no window of the document's text fails the build (status 1), naming
the question.

--update-sha writes the sha256 of each extracted file back into sources.toml
(used once when the set was assembled; not needed to rebuild).
Standard library and subprocess only (`assistant text`, `pdftotext`).
"""
from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
import locate  # devset/locate.py

SOURCES = HERE / "sources.toml"
DOCS = HERE / "docs"
MIRROR_ROOT = Path(os.environ.get("MIRROR_ROOT", "/work/.mirror"))


def is_git_dir(p: Path) -> bool:
    return (p / "HEAD").is_file() and (p / "objects").is_dir()


def find_git_dir(repo: str) -> Path | None:
    """Locate the bare git directory of a mirrored repository."""
    base = MIRROR_ROOT / repo.replace("/", "+")
    if not base.is_dir():
        return None
    candidates = [base, base / "repo", base / ".git", base / "repo.git", base / "repo" / ".git"]
    for c in candidates:
        if c.is_dir() and is_git_dir(c):
            return c
    # Fall back to a shallow search (the layout of the mirror tool may change).
    for root, dirs, _files in os.walk(base):
        depth = len(Path(root).relative_to(base).parts)
        if is_git_dir(Path(root)):
            return Path(root)
        if depth >= 3:
            dirs[:] = []
    return None


def git_show(git_dir: Path, commit: str, path: str) -> bytes:
    res = subprocess.run(
        ["git", f"--git-dir={git_dir}", "show", f"{commit}:{path}"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        check=False,
    )
    if res.returncode != 0:
        raise RuntimeError(res.stderr.decode("utf-8", "replace").strip())
    return res.stdout


def check_bytes(name: str, fmt: str, data: bytes) -> str | None:
    """Cheap sanity checks: real PDF / Word bytes, not LFS pointers."""
    if data.startswith(b"version https://git-lfs"):
        return "is a Git LFS pointer, not the document"
    if fmt == "pdf" and not data.startswith(b"%PDF"):
        return "does not start with %PDF"
    if fmt == "docx" and not data.startswith(b"PK"):
        return "is not a zip (docx) file"
    return None


def update_sha_in_toml(shas: dict[str, str]) -> None:
    text = SOURCES.read_text(encoding="utf-8")
    blocks = re.split(r"(?m)^(?=\[\[doc\]\])", text)
    out = []
    for block in blocks:
        m = re.search(r'(?m)^name = "([^"]+)"', block)
        if block.startswith("[[doc]]") and m and m.group(1) in shas:
            sha = shas[m.group(1)]
            if re.search(r"(?m)^sha256 = ", block):
                block = re.sub(r'(?m)^sha256 = "[0-9a-f]*"', f'sha256 = "{sha}"', block)
            else:
                block = re.sub(r'(?m)^(format = "[^"]*"\n)', rf'\1sha256 = "{sha}"\n', block, count=1)
        out.append(block)
    SOURCES.write_text("".join(out), encoding="utf-8")


def main(argv: list[str]) -> int:
    update_sha = "--update-sha" in argv
    with SOURCES.open("rb") as fh:
        docs = tomllib.load(fh)["doc"]

    # 1. Every mirror must be present before anything is written.
    git_dirs: dict[str, Path] = {}
    missing = []
    for d in docs:
        repo = d["repo"]
        if repo in git_dirs or repo in missing:
            continue
        gd = find_git_dir(repo)
        if gd is None:
            missing.append(repo)
        else:
            git_dirs[repo] = gd
    if missing:
        for repo in missing:
            print(f"missing mirror for {repo}: fetch github:{repo}  (expected under {MIRROR_ROOT}/{repo.replace('/', '+')})")
        return 1

    DOCS.mkdir(parents=True, exist_ok=True)
    names = [d["name"] for d in docs]
    dupes = {n for n in names if names.count(n) > 1}
    if dupes:
        print(f"duplicate target names in sources.toml: {sorted(dupes)}")
        return 1

    errors = 0
    shas: dict[str, str] = {}
    for d in docs:
        name = d["name"]
        try:
            data = git_show(git_dirs[d["repo"]], d["commit"], d["path"])
        except RuntimeError as exc:
            print(f"FAIL {name}: git show {d['commit'][:10]}:{d['path']} failed: {exc}")
            errors += 1
            continue
        problem = check_bytes(name, d.get("format", ""), data)
        if problem:
            print(f"FAIL {name}: {problem}")
            errors += 1
            continue
        sha = hashlib.sha256(data).hexdigest()
        shas[name] = sha
        expected = d.get("sha256")
        if expected and expected != sha and not update_sha:
            print(f"FAIL {name}: sha256 {sha} differs from sources.toml {expected}")
            errors += 1
            continue
        (DOCS / name).write_bytes(data)
        status = "ok  " if expected == sha else ("new " if not expected else "upd ")
        print(f"{status} {name}  {len(data):>8} bytes  {d['repo']}@{d['commit'][:10]}:{d['path']}")

    if update_sha and shas:
        update_sha_in_toml(shas)
        print(f"recorded sha256 for {len(shas)} documents in {SOURCES.name}")
    extra = sorted(p.name for p in DOCS.iterdir() if p.is_file() and p.name not in names)
    if extra:
        print(f"note: files in docs/ not listed in sources.toml: {extra}")
    print(f"{len(docs) - errors} of {len(docs)} documents written to {DOCS}")
    if errors:
        return 1
    # 2. questions.jsonl is materialised from the committed locators in questions.src.jsonl.
    return locate.materialise("councils")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
