#!/usr/bin/env python3
"""Fails when a tracked file cites a document that is not in this repository.

A user who clones the repository has only its files, so every `*.md` a comment, doc, `--help` text
or README names must exist here, and nothing may point into the development-only `shared/` folder.
Run by `make lint`; prints one line per broken citation (`file:line: cites NAME: why`).

A citation resolves when the named path exists relative to the citing file's folder or to the
repository root, or, for a bare file name such as `RATIONALE.md`, when some tracked file has that
name. URLs (`https://…/README.md`) cite other projects and are not checked, nor are lines marked
`<!-- upstream paths -->` (tables listing the files of another project that a document restates).
"""

import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# A path-like token ending in .md (not part of a URL), e.g. docs/abi.md, RATIONALE.md, ../x/Y.md.
MD_REF = re.compile(r"(?<![\w/.:-])((?:\.\.?/)*[\w.-]+(?:/[\w.-]+)*\.md)\b")
URL = re.compile(r"[a-z]+://\S+")
SHARED = re.compile(r"(?:\.\./shared/|(?<![\w-])shared/(?:abi|autoscaling|seeds|scenarios|hooks)\b)")
# Lines that list another project's files (a "sources read" table) carry this marker.
UPSTREAM_MARK = "<!-- upstream paths -->"
TEXT_SUFFIXES = (".rs", ".md", ".toml", ".yaml", ".yml", ".json", ".wat", ".py", ".sh", ".mk", ".txt", ".go")


def tracked_files():
    out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, check=True, capture_output=True).stdout
    return [p for p in out.decode().split("\0") if p]


def main():
    files = tracked_files()
    basenames = {os.path.basename(p) for p in files}
    paths = set(files)
    broken = []
    for rel in files:
        name = os.path.basename(rel)
        if not (rel.endswith(TEXT_SUFFIXES) or name in ("Makefile", "run")):
            continue
        if rel == "tools/check-doc-refs.py":
            continue
        try:
            with open(os.path.join(ROOT, rel), encoding="utf-8") as f:
                lines = f.readlines()
        except (UnicodeDecodeError, FileNotFoundError):
            continue
        here = os.path.dirname(rel)
        for n, line in enumerate(lines, 1):
            if UPSTREAM_MARK in line:
                continue
            text = URL.sub(" ", line)
            if SHARED.search(text):
                broken.append(f"{rel}:{n}: cites the development-only shared/ folder")
            for ref in MD_REF.findall(text):
                # Relative to the citing file's folder or any folder above it (a crate root, the
                # repository root).
                ancestors = [here]
                while ancestors[-1]:
                    ancestors.append(os.path.dirname(ancestors[-1]))
                candidates = [os.path.normpath(os.path.join(a, ref)) for a in ancestors]
                if any(c in paths for c in candidates):
                    continue
                if "/" not in ref and ref in basenames:
                    continue
                broken.append(f"{rel}:{n}: cites {ref}: no such file in the repository")
    for b in broken:
        print(b)
    if broken:
        print(f"check-doc-refs: {len(broken)} citation(s) of documents that are not in the repository")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
