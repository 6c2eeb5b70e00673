#!/usr/bin/python3
"""Checks that re-executed notebooks equal the committed ones (git HEAD).

PNG figures are compared by presence, not bytes: they depend on the Chromium build and fonts of the
machine, which Debian updates may change, while every other output (text, tables, plotly figure
specs, execution counts) must be identical.

Usage: notebooks_unchanged.py NOTEBOOK.ipynb [...]     (exit 1 when one changed)
"""
import json
import subprocess
import sys


def normalised(text):
    notebook = json.loads(text)
    for cell in notebook.get("cells", []):
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "image/png" in data:
                data["image/png"] = "<png>"
    return notebook


def main(paths):
    changed = []
    for path in paths:
        committed = subprocess.run(["git", "show", f"HEAD:{path}"], capture_output=True, text=True)
        if committed.returncode != 0:
            changed.append(f"{path}: not committed")
            continue
        with open(path, encoding="utf-8") as f:
            current = f.read()
        if normalised(current) != normalised(committed.stdout):
            changed.append(f"{path}: outputs differ from the committed notebook")
    for line in changed:
        print(line, file=sys.stderr)
    if changed:
        print("run 'deno task notebooks' and commit the notebooks", file=sys.stderr)
        return 1
    print(f"{len(paths)} notebooks re-executed without changes")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
