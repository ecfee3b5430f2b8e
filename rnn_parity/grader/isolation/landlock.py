"""Landlock (Linux 5.13+): the child's confinement when there is no bubblewrap.

An unprivileged process can restrict itself, for good, through three system calls (no kept library
offers them, hence ctypes). The child calls `confine(writable)` after loading its own modules and before
the student's file: from then on it and every process it starts
- can create, write, rename or delete files only beneath the `writable` folders (and write to a few
  devices such as /dev/null);
- (ABI 4, Linux 6.7+) can neither connect to nor listen on any TCP port;
- (ABI 6, Linux 6.12+) can signal no process outside itself, so not the grader nor its keeper, and
  cannot reach abstract Unix sockets outside.
Reading stays open: Landlock could restrict it too, but only bubblewrap also gives a private PID
namespace and a filesystem without the answer key. Where Landlock is missing, `confine` returns "".
"""
from __future__ import annotations

import ctypes
import os
import sys

SYS_CREATE_RULESET, SYS_ADD_RULE, SYS_RESTRICT_SELF = 444, 445, 446  # the same on every architecture
CREATE_RULESET_VERSION = 1
RULE_PATH_BENEATH = 1
PR_SET_NO_NEW_PRIVS = 38

FS_WRITE_FILE = 1 << 1
FS_REMOVE_DIR, FS_REMOVE_FILE = 1 << 4, 1 << 5
FS_MAKE = sum(1 << b for b in range(6, 13))  # char, dir, reg, sock, fifo, block, sym
FS_REFER = 1 << 13  # ABI 2: linking or renaming across folders
FS_TRUNCATE = 1 << 14  # ABI 3
NET_BIND_TCP, NET_CONNECT_TCP = 1 << 0, 1 << 1  # ABI 4
SCOPE_ABSTRACT_UNIX_SOCKET, SCOPE_SIGNAL = 1 << 0, 1 << 1  # ABI 6
DEVICES = ("/dev/null", "/dev/zero", "/dev/full", "/dev/tty", "/dev/random", "/dev/urandom")  # writable as files


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64)]


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def _libc():
    return ctypes.CDLL(None, use_errno=True)


def abi() -> int:
    """The kernel's Landlock ABI version; 0 where there is none (not Linux, disabled, or filtered out)."""
    if not sys.platform.startswith("linux"):
        return 0
    try:
        version = _libc().syscall(SYS_CREATE_RULESET, None, ctypes.c_size_t(0), CREATE_RULESET_VERSION)
    except (OSError, AttributeError):
        return 0
    return max(int(version), 0)


def confine(writable: list) -> str:
    """Restrict this process as the module docstring says; returns what is in force, e.g.
    "landlock ABI 7: writes, TCP, signals", or "" where Landlock is unavailable."""
    version = abi()
    if version < 1:
        return ""
    libc = _libc()
    write = FS_WRITE_FILE | FS_REMOVE_DIR | FS_REMOVE_FILE | FS_MAKE
    write |= (FS_REFER if version >= 2 else 0) | (FS_TRUNCATE if version >= 3 else 0)
    attr = _RulesetAttr(write, NET_BIND_TCP | NET_CONNECT_TCP if version >= 4 else 0,
                        SCOPE_SIGNAL | SCOPE_ABSTRACT_UNIX_SOCKET if version >= 6 else 0)
    size = 8 if version < 4 else (16 if version < 6 else 24)
    fd = libc.syscall(SYS_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(size), 0)
    if fd < 0:
        return ""
    try:
        device = FS_WRITE_FILE | (FS_TRUNCATE if version >= 3 else 0)
        rules = [(path, write) for path in writable] + [(d, device) for d in DEVICES]
        for path, access in rules:
            try:
                parent = os.open(path, os.O_PATH | os.O_CLOEXEC)
            except OSError:
                continue
            try:
                rule = _PathBeneath(access, parent)
                if libc.syscall(SYS_ADD_RULE, fd, RULE_PATH_BENEATH, ctypes.byref(rule), 0) != 0:
                    return ""
            finally:
                os.close(parent)
        if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 or libc.syscall(SYS_RESTRICT_SELF, fd, 0) != 0:
            return ""
    finally:
        os.close(fd)
    return describe(version)


def describe(version: int) -> str:
    """What `confine` puts in force at this ABI version, in the report's words; "" for none."""
    if version < 1:
        return ""
    what = ["writes"] + (["TCP"] if version >= 4 else []) + (["signals"] if version >= 6 else [])
    return f"landlock ABI {version}: {', '.join(what)}"
