"""What every part of the matrix shares: messages, deadlines, processes."""

import os
import signal
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class Usage(Exception):
    """Bad usage or a missing prerequisite: exit status 2."""


def say(msg):
    print("matrix: %s" % msg, file=sys.stderr, flush=True)


def nonempty(path):
    return os.path.isfile(path) and os.path.getsize(path) > 0


def read(path, default=""):
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return fh.read()
    except OSError:
        return default


def write(path, text):
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)


class Deadline:
    """An environment's deadline; processes started through it are killed
    (their whole process group) when it passes."""

    def __init__(self, seconds):
        self.end = time.monotonic() + seconds
        self.seconds = seconds
        self.expired = False
        self.on_kill = []   # extra clean-up when killed (podman rm -f)

    def left(self):
        return self.end - time.monotonic()

    def wait(self, proc):
        """Waits for proc until the deadline; kills its group at the
        deadline. Returns its exit status (None when killed here)."""
        try:
            return proc.wait(timeout=max(self.left(), 0.01))
        except subprocess.TimeoutExpired:
            self.kill(proc)
            return None

    def kill(self, proc, at_deadline=True):
        if at_deadline:
            self.expired = True
        for fn in self.on_kill:
            try:
                fn()
            except Exception:  # noqa: BLE001 - best effort at the deadline
                pass
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass


def popen(cmd, deadline, **kw):
    """A process in its own group, so that the deadline kills its children."""
    return subprocess.Popen(cmd, start_new_session=True, **kw)
