#!/usr/bin/python3
"""Execute notebooks with the Deno kernel and write them back with every output.

`jupyter nbconvert --execute` loses outputs that the Deno kernel publishes after it reports a
cell idle (seen with Deno 2.9.6: about half the runs of a 7-cell notebook lost one). This runner talks to the kernel with jupyter_client,
routes every IOPub message to its cell by parent message id, and waits for the channel to go
quiet after the last cell, so nothing is lost. Outputs carry no timestamps and no ANSI colour
codes, so a rerun on the same data writes the same files.

The kernel is the one named in JUPYTER_PATH's kernelspec "deno" (`deno task notebooks` uses the
project's, notebooks/.kernel). Stopped with Ctrl-C, SIGTERM or SIGHUP, it shuts its kernel
down (while the kernel starts: signals its process group); killed, the kernel's launcher
stops the kernel itself. Exit status: 0 every cell ran, 1 a cell failed, 2 bad usage.
"""
import argparse
import os
import queue
import re
import signal
import sys
import time

import nbformat
from jupyter_client.manager import KernelManager

# A kernelspec's {resource_dir} comes from JUPYTER_PATH, and kernels start in another folder.
os.environ["JUPYTER_PATH"] = os.pathsep.join(
    os.path.abspath(p) for p in os.environ.get("JUPYTER_PATH", "").split(os.pathsep) if p)

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
QUIET_SECONDS = 1.0
CELL_TIMEOUT = 300


def clean(text):
    return ANSI.sub("", text)


def to_output(msg):
    kind = msg["header"]["msg_type"]
    c = msg["content"]
    if kind == "stream":
        return nbformat.v4.new_output("stream", name=c["name"], text=clean(c["text"]))
    if kind in ("display_data", "execute_result"):
        out = nbformat.v4.new_output(
            kind, data=c["data"], metadata=c.get("metadata", {}),
            **({"execution_count": c.get("execution_count")} if kind == "execute_result" else {}))
        return out
    if kind == "error":
        return nbformat.v4.new_output(
            "error", ename=c["ename"], evalue=clean(c["evalue"]),
            traceback=[clean(t) for t in c["traceback"]])
    return None


def append(outputs, out):
    # Consecutive writes to one stream become one output, as Jupyter shows them.
    if (out.output_type == "stream" and outputs and outputs[-1].output_type == "stream"
            and outputs[-1].name == out.name):
        outputs[-1].text += out.text
    else:
        outputs.append(out)


def run(path):
    nb = nbformat.read(path, as_version=4)
    cwd = os.path.dirname(os.path.abspath(path))
    km, kc = start_kernel(cwd)
    cells = {}
    failed = None
    try:
        # As a front end saves it, so saving from the UI changes no metadata.
        nb.metadata["language_info"] = language_info(kc)
        code_cells = [c for c in nb.cells if c.cell_type == "code"]
        for cell in code_cells:
            cell.outputs = []
            cell.execution_count = None
            msg_id = kc.execute(cell.source, store_history=True, allow_stdin=False)
            cells[msg_id] = cell
            reply = kc.get_shell_msg(timeout=CELL_TIMEOUT)
            while reply["parent_header"].get("msg_id") != msg_id:
                reply = kc.get_shell_msg(timeout=CELL_TIMEOUT)
            cell.execution_count = reply["content"].get("execution_count")
            drain(kc, cells, until_idle=msg_id)
            if reply["content"]["status"] != "ok":
                failed = (code_cells.index(cell) + 1, reply["content"].get("evalue", ""))
                break
        drain(kc, cells, until_idle=None)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
    nbformat.write(nb, path)
    return failed


def start_kernel(cwd, timeout=60):
    """As jupyter_client's start_new_kernel, except that stopped meanwhile (SIGTERM, Ctrl-C, a
    kernel that never answers) it signals the kernel's process group rather than asking the
    half-started kernel to shut down, which can wait forever. Stopped before the kernel's process
    is recorded, or killed, the runner leaves it to the launcher, which ends when its parent has."""
    km = KernelManager(kernel_name="deno")
    kc = None
    try:
        km.start_kernel(cwd=cwd)
        kc = km.client()
        kc.start_channels()
        kc.wait_for_ready(timeout=timeout)
        return km, kc
    except BaseException:
        if kc is not None:
            kc.stop_channels()
        if km.has_kernel:
            km.signal_kernel(signal.SIGTERM)  # its process group: the launcher and the kernel
            km.finish_shutdown()  # SIGKILL if they are still there after shutdown_wait_time
            km.cleanup_resources()
        raise


def language_info(kc):
    msg_id = kc.kernel_info()
    while True:
        reply = kc.get_shell_msg(timeout=CELL_TIMEOUT)
        if reply["parent_header"].get("msg_id") == msg_id:
            return reply["content"]["language_info"]


def drain(kc, cells, until_idle):
    """Routes IOPub messages to cells; returns once `until_idle` is idle, or, without it, once
    the channel has been quiet for QUIET_SECONDS."""
    idle_seen = until_idle is None
    deadline = time.monotonic() + CELL_TIMEOUT
    while time.monotonic() < deadline:
        try:
            msg = kc.get_iopub_msg(timeout=QUIET_SECONDS if idle_seen else 5)
        except queue.Empty:
            if idle_seen:
                return
            continue
        parent = msg["parent_header"].get("msg_id")
        if (msg["header"]["msg_type"] == "status" and parent == until_idle
                and msg["content"]["execution_state"] == "idle"):
            # Late outputs of this cell are still routed to it by the next drains.
            return
        cell = cells.get(parent)
        out = to_output(msg) if cell is not None else None
        if out is not None:
            append(cell.outputs, out)
    raise TimeoutError("the kernel did not finish in time")


def main(paths):
    status = 0
    for path in paths:
        started = time.monotonic()
        failed = run(path)
        took = time.monotonic() - started
        if failed:
            print(f"{path}: cell {failed[0]} failed: {failed[1]} ({took:.1f} s)", file=sys.stderr)
            status = 1
        else:
            print(f"{path}: ok ({took:.1f} s)")
    return status


def stopped(signum, _frame):
    # Unwinds through run()'s `finally`, which shuts the kernel down.
    raise SystemExit(128 + signum)


def parser():
    """The command line, declared once: `--help` is generated from it and runs nothing."""
    p = argparse.ArgumentParser(
        prog="run_notebooks.py",
        usage="deno task notebooks [NOTEBOOK.ipynb ...]  (or: run_notebooks.py NOTEBOOK.ipynb ...)",
        description=__doc__.strip().split("\n\n")[0],
        epilog="Exit status: 0 every cell ran, 1 a cell failed, 2 bad usage.")
    p.add_argument("notebooks", nargs="+", metavar="NOTEBOOK.ipynb",
                   help="notebooks to execute and write back, in order")
    return p


if __name__ == "__main__":
    args = parser().parse_args()  # --help prints and exits 0; bad usage exits 2
    odd = [path for path in args.notebooks if not path.endswith(".ipynb")]
    if odd:
        parser().error(f"not a notebook: {odd[0]}")
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, stopped)
    sys.exit(main(args.notebooks))
