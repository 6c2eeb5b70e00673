#!/usr/bin/python3
"""The Deno kernel behind a queue that hands it one execute request at a time.

Deno's kernel (2.9.6) misroutes outputs when several execute requests are queued at once, as a
front end's "Run All" sends them: an output of a cell that awaits can carry the next request's
parent header, and the front end shows it under the next cell (README, Notebooks).
This launcher takes the front end's connection file, starts `deno jupyter --kernel` on ports of
its own with the same key, and forwards every message unchanged (signatures stay valid), except
that an execute request waits until the previous one has replied and gone idle, and that a
cell's idle status waits for the outputs the kernel publishes after it: Deno's kernel sometimes
sends a cell's last stream lines and its result a few milliseconds after saying the cell is idle,
and a front end stops listening for a cell's outputs at its idle status (Jupyter's own log showed
"status (idle)" before a cell's "stream" and "execute_result", and the browser test lost them).

The kernel's own ports are chosen outside the range Linux hands out for port 0 and for outgoing
connections, each held until all are chosen: a port chosen there and let go could be taken
before the kernel binds it (by another process, or as one of the ports Jupyter gave this
launcher), and the kernel would end with "Address already in use" while Jupyter waits for it.

It also makes a relative TITANIC_DATA_DIR absolute against the project root (the kernel's
working directory is the notebook's folder), stops the kernel when it stops itself, and says
on stderr when the kernel ended without being asked to. It ends, and the kernel with it, when
the process that started it has ended, even before it could ask Linux to be told: that process
is the one JPY_PARENT_PID names (Jupyter sets it; a stale one inherited from elsewhere would end
the launcher at once), else its parent when it started.

Usage (from kernel.json): serial_kernel.py CONNECTION_FILE
"""
import collections
import ctypes
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time

import zmq

PROJECT_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
DELIMITER = b"<IDS|MSG>"
CHANNELS = ("shell", "control", "stdin")
# The inner shell and stdin sockets share one identity: the kernel answers an input request on
# stdin to the identity that sent the execute request on shell.
INNER_IDENTITY = b"serial-kernel"
# How long an asked kernel gets to end (a shutdown reply, its last outputs) before SIGKILL.
STOP_GRACE_SECONDS = 10


# How long a cell's idle status is held for outputs published after it; each one that comes
# holds it this long again (they came within 6 ms of the idle where seen).
IDLE_GRACE_SECONDS = 0.1

# The kernel's ports are drawn from here up to the start of the ephemeral range.
PRIVATE_PORTS_FROM = 20000


def ephemeral_ports():
    """The range Linux assigns for port 0 and outgoing connections (default 32768-60999)."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range", encoding="ascii") as f:
            low, high = map(int, f.read().split())
        return low, high
    except (OSError, ValueError):
        return 32768, 60999


def free_ports(ip, count):
    """`count` distinct free ports, below the ephemeral range where there is room (nobody gets
    them without asking for them by number), each held until all are chosen."""
    low, _ = ephemeral_ports()
    candidates = list(range(PRIVATE_PORTS_FROM, low))
    random.shuffle(candidates)
    held = []
    try:
        for port in [*candidates[: 50 * count], *[0] * count]:  # port 0: the OS's choice
            if len(held) == count:
                break
            s = socket.socket()
            try:
                s.bind((ip, port))
            except OSError:
                s.close()
                continue
            held.append(s)
        if len(held) < count:
            raise OSError(f"no {count} free ports on {ip}")
        return [s.getsockname()[1] for s in held]
    finally:
        for s in held:
            s.close()


def describe_exit(returncode):
    if returncode < 0:
        return f"signal {signal.Signals(-returncode).name}"
    return f"exit status {returncode}"


def header_of(frames):
    """The parsed header of a multipart Jupyter message (identities first), or {}."""
    try:
        i = frames.index(DELIMITER)
        return json.loads(frames[i + 2])
    except (ValueError, IndexError):
        return {}


def split(frames):
    """(routing identities, the message from its delimiter on)."""
    i = frames.index(DELIMITER) if DELIMITER in frames else len(frames)
    return frames[:i], frames[i:]


def parent_of(frames):
    try:
        i = frames.index(DELIMITER)
        return json.loads(frames[i + 3]).get("msg_id")
    except (ValueError, IndexError):
        return None


def content_of(frames):
    try:
        i = frames.index(DELIMITER)
        return json.loads(frames[i + 5])
    except (ValueError, IndexError):
        return {}


def die_with_parent(signum):
    """Asks Linux to send `signum` to this process when its parent ends (from then on: a parent
    that ended before is not noticed, hence `orphaned`)."""
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signum)


def launched_by():
    """The process that started this launcher: Jupyter names itself in JPY_PARENT_PID, which
    stays right when it has ended before this line ran (the parent is then init or a reaper)."""
    try:
        return int(os.environ["JPY_PARENT_PID"])
    except (KeyError, ValueError):
        return os.getppid()


def orphaned(parent):
    return os.getppid() != parent


def start_kernel_process(argv, env):
    """Starts the kernel so that it gets SIGKILL when this launcher ends, even if it ends
    between the fork and the kernel's prctl (the kernel then stops at once)."""
    launcher = os.getpid()

    def in_child():
        die_with_parent(signal.SIGKILL)
        if orphaned(launcher):
            os._exit(1)

    return subprocess.Popen(argv, env=env, preexec_fn=in_child)


def kernel_environment():
    env = dict(os.environ)
    data_dir = env.get("TITANIC_DATA_DIR")
    if data_dir and not os.path.isabs(data_dir):
        env["TITANIC_DATA_DIR"] = os.path.normpath(os.path.join(PROJECT_ROOT, data_dir))
    return env


class ExecuteQueue:
    """Holds execute requests until the one in flight has its reply and its idle status."""

    def __init__(self, send):
        self.send = send
        self.waiting = collections.deque()
        self.running = None
        self.replied = self.idle = False

    def request(self, frames):
        self.waiting.append(frames)
        self.advance()

    def reply(self, parent):
        if parent == self.running:
            self.replied = True
            self.advance()

    def went_idle(self, parent):
        if parent == self.running:
            self.idle = True
            self.advance()

    def advance(self):
        if self.running is not None and not (self.replied and self.idle):
            return
        self.running = None
        if self.waiting:
            frames = self.waiting.popleft()
            self.running = header_of(frames).get("msg_id")
            self.replied = self.idle = False
            self.send(frames)


class IdleHold:
    """Holds the running execute request's idle status until its outputs have stopped coming
    for IDLE_GRACE_SECONDS; every other message on iopub is published at once."""

    def __init__(self, publish, went_idle, clock=time.monotonic):
        self.publish, self.went_idle, self.clock = publish, went_idle, clock
        self.held = None  # (frames, parent, when it is due)

    def idle(self, frames, parent):
        self.flush()
        self.held = (frames, parent, self.clock() + IDLE_GRACE_SECONDS)

    def other(self, frames, parent):
        self.publish(frames)
        if self.held is not None and self.held[1] == parent:  # a late output: wait again
            self.held = (self.held[0], parent, self.clock() + IDLE_GRACE_SECONDS)

    def wait_ms(self, longest):
        """How long the poll may wait before the held status is due (at most `longest`)."""
        if self.held is None:
            return longest
        return max(0, min(longest, int((self.held[2] - self.clock()) * 1000) + 1))

    def tick(self):
        if self.held is not None and self.clock() >= self.held[2]:
            self.flush()

    def flush(self):
        if self.held is not None:
            frames, parent, _ = self.held
            self.held = None
            self.publish(frames)
            self.went_idle(parent)


def end_kernel(kernel, asked_to_end):
    """Kills the kernel unless it has ended, and says so if it ended without being asked."""
    ended_by_itself = kernel.poll() is not None and not asked_to_end
    if kernel.poll() is None:
        kernel.kill()
    kernel.wait()
    if ended_by_itself:  # Jupyter will say it restarts it, not why
        how = describe_exit(kernel.returncode)
        print(f"serial_kernel.py: the Deno kernel ended by itself ({how})", file=sys.stderr)


def main(connection_file):
    # No kernel outlives the process that started it (a runner or Jupyter stopped with SIGKILL,
    # or stopped while this launcher starts): this launcher gets SIGTERM when its parent ends,
    # and ends at once if that was before it asked for it; the kernel gets SIGKILL when this one
    # ends. A SIGTERM is handled from here on, before the kernel exists, so none is lost.
    started_by = launched_by()
    kernel = None
    # Set by a SIGTERM or a shutdown request; otherwise the kernel ended by itself.
    asked_to_end = None  # the monotonic time it was asked

    def stop(signum, _frame):
        nonlocal asked_to_end
        asked_to_end = asked_to_end or time.monotonic()
        if kernel is not None:
            kernel.send_signal(signum)

    # An interrupt reaches the whole process group; the kernel handles it, the launcher not.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, stop)
    die_with_parent(signal.SIGTERM)
    if orphaned(started_by):
        print("serial_kernel.py: the process that started it has ended", file=sys.stderr)
        return 1
    with open(connection_file, encoding="utf-8") as f:
        outer = json.load(f)
    ip, transport = outer.get("ip", "127.0.0.1"), outer.get("transport", "tcp")
    inner = dict(outer)
    names = ("shell", "control", "stdin", "iopub", "hb")
    for name, port in zip(names, free_ports(ip, len(names))):
        inner[f"{name}_port"] = port
    folder = tempfile.mkdtemp(prefix="titanic-kernel-")
    inner_file = os.path.join(folder, "connection.json")
    with open(inner_file, "w", encoding="utf-8") as f:
        json.dump(inner, f)

    def address(info, name):
        return f"{transport}://{info['ip']}:{info[name + '_port']}"

    ctx = zmq.Context()
    front, back = {}, {}
    for name in CHANNELS:
        front[name] = ctx.socket(zmq.ROUTER)
        front[name].bind(address(outer, name))
        back[name] = ctx.socket(zmq.DEALER)
        if name != "control":
            back[name].setsockopt(zmq.IDENTITY, INNER_IDENTITY)
        back[name].connect(address(inner, name))
    iopub_out = ctx.socket(zmq.PUB)
    iopub_out.bind(address(outer, "iopub"))
    iopub_in = ctx.socket(zmq.SUB)
    iopub_in.setsockopt(zmq.SUBSCRIBE, b"")
    iopub_in.connect(address(inner, "iopub"))
    heartbeat = ctx.socket(zmq.ROUTER)
    heartbeat.bind(address(outer, "hb"))

    queue = ExecuteQueue(back["shell"].send_multipart)
    hold = IdleHold(iopub_out.send_multipart, queue.went_idle)
    # Deno's kernel answers with no routing identities: the front end's ones are kept here by
    # request id and put back on the reply (an input request goes to the sender of its execute).
    senders = {}

    def forward(sock, frames):
        nonlocal asked_to_end
        if sock is heartbeat:
            heartbeat.send_multipart(frames)  # a heartbeat is echoed
        elif sock is iopub_in:
            kind = header_of(frames).get("msg_type")
            parent = parent_of(frames)
            idle = kind == "status" and content_of(frames).get("execution_state") == "idle"
            if idle and parent is not None and parent == queue.running:
                hold.idle(frames, parent)
            else:
                hold.other(frames, parent)
                if idle:
                    queue.went_idle(parent)
        elif sock in front.values():
            name = next(n for n in CHANNELS if sock is front[n])
            ids, message = split(frames)
            header = header_of(message)
            senders[header.get("msg_id")] = ids
            if name == "shell" and header.get("msg_type") == "execute_request":
                queue.request(message)
            else:
                if header.get("msg_type") == "shutdown_request":
                    asked_to_end = asked_to_end or time.monotonic()
                back[name].send_multipart(message)
        else:
            name = next(n for n in CHANNELS if sock is back[n])
            _, message = split(frames)
            parent = parent_of(message)
            kind = header_of(message).get("msg_type", "")
            ids = senders.pop(parent, None) if kind.endswith("_reply") else senders.get(parent)
            if ids:
                front[name].send_multipart(ids + message)
            if kind == "execute_reply":
                queue.reply(parent)

    poller = zmq.Poller()
    for s in [*front.values(), *back.values(), iopub_in, heartbeat]:
        poller.register(s, zmq.POLLIN)
    try:
        if asked_to_end:  # before the kernel exists
            return 0
        kernel = start_kernel_process(
            ["deno", "jupyter", "--kernel", "--conn", inner_file], kernel_environment())
        if asked_to_end:  # while it was being started
            kernel.terminate()
        while kernel.poll() is None:
            for sock, _ in poller.poll(hold.wait_ms(200)):
                forward(sock, sock.recv_multipart())
            hold.tick()
            if orphaned(started_by):  # the parent-death signal aside (not on every system)
                stop(signal.SIGTERM, None)
            if asked_to_end and time.monotonic() - asked_to_end > STOP_GRACE_SECONDS:
                break  # the `finally` kills it
        # What the kernel sent before it ended (its shutdown reply, its last status).
        while ready := poller.poll(100):
            for sock, _ in ready:
                forward(sock, sock.recv_multipart())
        hold.flush()
    finally:
        if kernel is not None:
            end_kernel(kernel, asked_to_end)
        os.remove(inner_file)
        os.rmdir(folder)
        ctx.destroy(linger=0)
    return kernel.returncode


if __name__ == "__main__":
    if sys.argv[1:] in (["-h"], ["--help"]):
        print(__doc__.strip())
        sys.exit(0)
    if len(sys.argv) != 2:
        print(__doc__.strip(), file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1]))
