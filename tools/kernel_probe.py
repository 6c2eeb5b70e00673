#!/usr/bin/python3
"""Sends cells to a kernel all at once, as a front end's "Run All" does, and counts outputs that
come back with another request's parent header (the front end would show them under the wrong
cell) or not at all.

Each round queues four cells: two that await before and after printing and displaying, one
that prints to stderr and displays synchronously, one that awaits and displays through
Deno.jupyter.display. Every output names its cell, so its parent header can be checked.

Usage: JUPYTER_PATH=notebooks/.kernel kernel_probe.py [ROUNDS]   (default 20; exit 1 on a fault)
"""
import os
import queue
import sys
import time

from jupyter_client.manager import start_new_kernel

# A kernelspec's {resource_dir} comes from JUPYTER_PATH, and kernels start in another folder.
os.environ["JUPYTER_PATH"] = os.pathsep.join(
    os.path.abspath(p) for p in os.environ.get("JUPYTER_PATH", "").split(os.pathsep) if p)

SLEEP = "await new Promise((r) => setTimeout(r, 30));"


def display(tag):
    return f'({{ [Symbol.for("Jupyter.display")]() {{ return {{ "text/plain": "{tag}" }}; }} }})'


def cells(rnd):
    """(source, tags of the outputs it makes) for the four cells of a round."""
    t = [f"r{rnd}c{i}" for i in range(4)]
    return [
        (f'{SLEEP} console.log("{t[0]}-out"); {SLEEP} {display(t[0] + "-value")}',
         [t[0] + "-out", t[0] + "-value"]),
        (f'{SLEEP} console.log("{t[1]}-out"); {SLEEP} {display(t[1] + "-value")}',
         [t[1] + "-out", t[1] + "-value"]),
        (f'console.error("{t[2]}-err"); {display(t[2] + "-value")}',
         [t[2] + "-err", t[2] + "-value"]),
        (f'{SLEEP} await Deno.jupyter.display({{ "text/plain": "{t[3]}-shown" }}, '
         f'{{ raw: true }}); console.log("{t[3]}-out")',
         [t[3] + "-shown", t[3] + "-out"]),
    ]


def tag_of(msg):
    kind, content = msg["header"]["msg_type"], msg["content"]
    if kind == "stream":
        return content["text"].strip()
    if kind in ("execute_result", "display_data"):
        return content["data"].get("text/plain", "").strip("'\"")
    return None


def main(rounds):
    km, kc = start_new_kernel(kernel_name=os.environ.get("KERNEL_NAME", "deno"))
    misrouted = lost = total = 0
    try:
        for rnd in range(rounds):
            expected = {}
            for source, tags in cells(rnd):
                msg_id = kc.execute(source, allow_stdin=False)
                expected.update({tag: msg_id for tag in tags})
            seen = set()
            deadline = time.monotonic() + 30
            while len(seen) < len(expected) and time.monotonic() < deadline:
                try:
                    msg = kc.get_iopub_msg(timeout=1)
                except queue.Empty:
                    continue
                tag = tag_of(msg)
                if tag not in expected:
                    continue
                seen.add(tag)
                total += 1
                if msg["parent_header"].get("msg_id") != expected[tag]:
                    misrouted += 1
                    print(f"misrouted: {tag} ({msg['header']['msg_type']})")
            for tag in sorted(set(expected) - seen):
                lost += 1
                print(f"lost: {tag}")
            while True:  # the replies and idle statuses of this round
                try:
                    kc.get_iopub_msg(timeout=0.3)
                except queue.Empty:
                    break
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)
    print(f"{misrouted} of {total} outputs misrouted, {lost} lost")
    return 1 if misrouted or lost else 0


if __name__ == "__main__":
    if any(a in ("-h", "--help") for a in sys.argv[1:]):
        print(__doc__.strip())
        sys.exit(0)
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 20))
