#!/usr/bin/python3
"""Checks that re-executed notebooks equal the committed ones (git HEAD) and says what differs.

PNG figures are compared by presence, not bytes: they depend on the Chromium build and fonts of the
machine, which Debian updates may change, while every other output (text, tables, plotly figure
specs, execution counts) must be identical. What a front end writes when a person saves the
notebook is ignored too: metadata.language_info.version (the kernel's TypeScript version) and the
view state of cells (trusted, scrolled, collapsed); text split into lines or not is the same text.

Usage: notebooks_unchanged.py NOTEBOOK.ipynb [...]          (exit 1 when one changed)
       notebooks_unchanged.py --against OTHER.ipynb NOTEBOOK.ipynb   (compare with a file)
"""
import json
import subprocess
import sys

VIEW_STATE = ("trusted", "scrolled", "collapsed", "execution")
MAX_DIFFERENCES = 8


def joined(value):
    return "".join(value) if isinstance(value, list) else value


def normalised(text):
    notebook = json.loads(text)
    notebook.get("metadata", {}).get("language_info", {}).pop("version", None)
    for cell in notebook.get("cells", []):
        cell["source"] = joined(cell.get("source", ""))
        for key in VIEW_STATE:
            cell.get("metadata", {}).pop(key, None)
        for output in cell.get("outputs", []):
            if "text" in output:
                output["text"] = joined(output["text"])
            data = output.get("data", {})
            for mime, value in data.items():
                data[mime] = "<png>" if mime == "image/png" else joined(value)
    return notebook


def short(value):
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 80 else text[:77] + "..."


def first_difference(before, after):
    """The first line where two texts differ, from each."""
    old, new = before.split("\n"), after.split("\n")
    for i, (a, b) in enumerate(zip(old, new)):
        if a != b:
            # From a little before the first differing character, where long lines differ.
            at = next((j for j, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
            start = max(0, at - 20)
            dots = "..." if start else ""
            return (f"line {i + 1}, column {at + 1}: committed {dots}{short(a[start:])}, "
                    f"now {dots}{short(b[start:])}")
    return f"{len(old)} lines committed, {len(new)} now"


def differences(committed, current, path=()):
    """Yields (path, committed value, current value) for every leaf that differs."""
    if isinstance(committed, dict) and isinstance(current, dict):
        for key in sorted(set(committed) | set(current), key=str):
            yield from differences(committed.get(key, "<absent>"), current.get(key, "<absent>"),
                                   path + (key,))
    elif isinstance(committed, list) and isinstance(current, list) and len(committed) == len(
            current):
        for i, (a, b) in enumerate(zip(committed, current)):
            yield from differences(a, b, path + (i,))
    elif committed != current:
        yield path, committed, current


def where(notebook, path):
    """A path in words: 'cell 7 (In [5]) outputs[1].data.text/plain'."""
    if len(path) >= 2 and path[0] == "cells":
        cell = notebook["cells"][path[1]]
        label = f"cell {path[1] + 1}"
        if cell.get("cell_type") == "code":
            label += f" (In [{cell.get('execution_count') or ' '}])"
        else:
            label += f" ({cell.get('cell_type')})"
        rest = path[2:]
    else:
        label, rest = "notebook", path
    tail = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in rest)
    return label + (" " + tail.lstrip(".") if tail else "")


def describe(committed_text, current_text):
    """Lines saying how `current_text` differs from `committed_text` (empty: the same)."""
    committed, current = normalised(committed_text), normalised(current_text)
    if len(committed.get("cells", [])) != len(current.get("cells", [])):
        return [f"{len(committed.get('cells', []))} cells committed, "
                f"{len(current.get('cells', []))} now"]
    found = list(differences(committed, current))
    lines = []
    for path, before, after in found[:MAX_DIFFERENCES]:
        if isinstance(before, list) and isinstance(after, list):
            lines.append(f"{where(committed, path)}: {len(before)} entries committed, "
                         f"{len(after)} now")
        elif isinstance(before, str) and isinstance(after, str):
            lines.append(f"{where(committed, path)}: {first_difference(before, after)}")
        else:
            lines.append(f"{where(committed, path)}: committed {short(before)}, now {short(after)}")
    if len(found) > MAX_DIFFERENCES:
        lines.append(f"... and {len(found) - MAX_DIFFERENCES} more differences")
    return lines


def committed_text(path):
    shown = subprocess.run(["git", "show", f"HEAD:{path}"], capture_output=True, text=True)
    return shown.stdout if shown.returncode == 0 else None


def main(args):
    against = None
    if args[:1] == ["--against"] and len(args) == 3:
        against, args = args[1], args[2:]
    if not args or any(a.startswith("-") for a in args):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    changed = False
    for path in args:
        if against:
            with open(against, encoding="utf-8") as f:
                reference = f.read()
        else:
            reference = committed_text(path)
        if reference is None:
            print(f"{path}: not committed", file=sys.stderr)
            changed = True
            continue
        with open(path, encoding="utf-8") as f:
            lines = describe(reference, f.read())
        if lines:
            changed = True
            print(f"{path}: differs from the committed notebook:", file=sys.stderr)
            for line in lines:
                print(f"  {line}", file=sys.stderr)
    if changed:
        print("run 'deno task notebooks' and commit the notebooks", file=sys.stderr)
        return 1
    print(f"{len(args)} notebooks re-executed without changes")
    return 0


if __name__ == "__main__":
    if any(a in ("-h", "--help") for a in sys.argv[1:]):
        print(__doc__.strip())
        sys.exit(0)
    sys.exit(main(sys.argv[1:]))
