"""The child's keeper when there is no bubblewrap: it enforces the time limit and leaves nothing behind.

    python -I -S reaper.py TIMEOUT STATUS_FILE -- CMD...

Run as a script (standard library only, no package import, so it starts in milliseconds). It makes
itself a child subreaper (Linux prctl PR_SET_CHILD_SUBREAPER), so every process the child starts and
orphans, even a double-forked daemon in a new session, is re-parented to it and stays its descendant;
it starts CMD in a process group of its own, waits at most TIMEOUT seconds, then kills its whole
descendant tree until none is left and writes STATUS_FILE ({"returncode", "timed_out"}).

It sits between the grader and the child, so the child's os.getppid() is not the grader, and it
ignores the signals a submission could send its parent (TERM, INT, HUP, QUIT, USR1/2, ALRM, TSTP).
SIGSTOP cannot be ignored: the grader sends SIGCONT while it waits. Without /proc (macOS) the
clean-up falls back to the child's process group.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

PR_SET_CHILD_SUBREAPER = 36
IGNORED = ("SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGALRM", "SIGTSTP", "SIGTTIN",
           "SIGTTOU")


def set_subreaper() -> bool:
    """prctl(PR_SET_CHILD_SUBREAPER, 1) through ctypes (no kept library offers it); False where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def proc_table() -> dict:
    """{pid: (ppid, pgrp, session, state)} from /proc; {} without it."""
    table = {}
    try:
        names = os.listdir("/proc")
    except OSError:
        return table
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                stat = f.read().decode("ascii", "replace")
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2:].split()  # after "pid (comm) "; comm may hold spaces
        if len(fields) >= 4:
            table[int(name)] = (int(fields[1]), int(fields[2]), int(fields[3]), fields[0])
    return table


def descendants(root: int, table: dict) -> list:
    children: dict = {}
    for pid, (ppid, *_rest) in table.items():
        children.setdefault(ppid, []).append(pid)
    out, todo = [], list(children.get(root, []))
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo += children.get(pid, [])
    return out


def _reap():
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def kill_tree(pgid: int, seconds: float = 5.0):
    """SIGKILL every descendant (and the child's group) until none is left; a fork bomb loses the race
    because a killed process forks no more."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            os.killpg(pgid, signal.SIGKILL)
        except OSError:
            pass
        table = proc_table()
        alive = [p for p in descendants(os.getpid(), table) if table[p][3] != "Z"]
        for pid in alive:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        _reap()
        if not alive or time.monotonic() > deadline:
            return
        time.sleep(0.005)


def main(argv: list) -> int:
    timeout, status_path, cmd = float(argv[1]), argv[2], argv[4:]
    set_subreaper()
    for name in IGNORED:
        signal.signal(getattr(signal, name), lambda *_: None)  # a handler, not SIG_IGN: exec resets it
    proc = subprocess.Popen(cmd, process_group=0)
    timed_out = False
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
    kill_tree(proc.pid)
    proc.wait()
    tmp = status_path + ".tmp"
    with open(tmp, "w") as f:
        json.dump({"returncode": proc.returncode, "timed_out": timed_out}, f)
    os.replace(tmp, status_path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
