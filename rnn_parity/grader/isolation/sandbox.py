"""The bubblewrap sandbox around the child, and the choice between it and plain containment.

Under `bwrap` the child sees (everything read-only unless said):
    /usr /bin /sbin /lib*           the system, and from /etc only what programs need to start
    <python prefix>                 the interpreter and its standard library (its site-packages hidden)
    /run/rnn-parity/site/<pkg>      each installed package except the answer key and autodiff libraries
    /run/rnn-parity/pkg/rnn_parity  the child-side grader modules only (found by following child.py's
                                    imports): no reference/, no torch_impl/, no parent-side grader code
    /job                            read-write: job.json in, result.json and observations.npz out
    /scratch                        read-write, private, thrown away: the working directory, HOME, TMPDIR;
                                    the submission and the sibling modules / data files it names are
                                    bound read-only inside it, at their paths relative to its folder
    /tmp                            a private 64 MiB tmpfs; /proc and /dev: the sandbox's own, minimal
and runs in its own user (uid/gid 65534), PID, network, IPC and UTS namespaces, in a new session,
dying with the grader (--die-with-parent). Nothing else of the host's files is visible: no other
submission, no home directory, no grader output path.
"""
from __future__ import annotations

import ast
import atexit
import functools
import glob
import importlib.util
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile

from .guard import FORBIDDEN

SANDBOX_ROOT = "/run/rnn-parity"
PKG = SANDBOX_ROOT + "/pkg"
SITE = SANDBOX_ROOT + "/site"
JOB = "/job"
SCRATCH = "/scratch"
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
# Only what programs need from /etc. Not all of it: run as root, bwrap maps the child's uid to root
# outside, so root-only files (/etc/shadow, ssh host keys) would read as the child's own.
ETC = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "passwd", "group", "nsswitch.conf",
       "alternatives", "os-release", "mime.types", "ssl/certs", "ca-certificates", "fonts", "matplotlibrc")
NOBODY = "65534"
TMP_SIZE = 64 * 1024 ** 2
# Installed entries never bound: the answer key (also a non-editable install of this project), autodiff
# libraries, the editable-install hooks that point back into the project's source.
HIDDEN_PREFIXES = ("__editable__", "_rnn_parity", "rnn_parity", "rnn-parity", "nvidia", "triton")
# Files of the folder a submission may reach by name: its imported modules, and data it opens by literal path.
MAX_BOUND_FILES = 200
MAX_BOUND_BYTES = 64 * 1024 * 1024


class SandboxUnavailable(Exception):
    pass


def probe() -> str | None:
    """None when bubblewrap can make the namespaces this sandbox needs here, else why not (one line).
    Tried each time: being installed is not enough (containers often forbid user namespaces)."""
    if not sys.platform.startswith("linux"):
        return f"bubblewrap is Linux-only (this is {sys.platform})"
    bwrap = shutil.which("bwrap")
    if not bwrap:
        return "bubblewrap is not installed (Debian/Ubuntu: apt-get install bubblewrap)"
    try:
        proc = subprocess.run([bwrap, *namespace_flags(), "--ro-bind", "/", "/", "true"],
                              capture_output=True, text=True, timeout=20, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"bubblewrap does not run here: {e}"
    if proc.returncode != 0:
        msg = (proc.stderr.strip().splitlines() or ["no message"])[-1]
        return f"bubblewrap cannot create its namespaces here ({msg}); unprivileged user namespaces may be off"
    return None


def choose(mode: str) -> tuple:
    """('bubblewrap' | 'none', why not bubblewrap or ''). mode: auto | require | off."""
    if mode == "off":
        return "none", "--sandbox off"
    reason = probe()
    if reason is None:
        return "bubblewrap", ""
    if mode == "require":
        raise SandboxUnavailable(f"--sandbox require: {reason}")
    return "none", reason


def namespace_flags() -> list:
    return ["--unshare-all", "--unshare-user", "--uid", NOBODY, "--gid", NOBODY, "--hostname", "sandbox",
            "--die-with-parent", "--new-session"]


# ----------------------------------------------------------------------------------------------------------
# What the child may see


# What the child must never import at import time: the answer key, torch, and rnn_parity.errors (which
# re-exports the reference's error type, importing the reference package with it).
# The grader's parent-only modules (they compute the expected values through the reference) count too.
PARENT_ONLY = ("rnn_parity.reference", "rnn_parity.torch_impl", "rnn_parity.errors", "rnn_parity.grader.core",
               "rnn_parity.grader.judging.answers", "rnn_parity.grader.judging.judge",
               "rnn_parity.grader.judging.expect", "rnn_parity.grader.judging.conventions")


@functools.lru_cache(maxsize=1)
def child_modules() -> tuple:
    """(folder holding rnn_parity/, relative path) of each child-side module: child.py and what it imports
    from rnn_parity at import time, transitively. Read from the source, so new driver modules come along.
    Only module-level imports count: grader/__init__ re-exports core.grade lazily, and a protocol's
    parent-side methods import the reference inside the function. Read once per process (~190 files
    parsed: half a grade's own time)."""
    here = os.path.abspath(__file__)  # rnn_parity/grader/isolation/sandbox.py
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(here))))  # the folder above rnn_parity/
    seen, todo = set(), [("rnn_parity", True), ("rnn_parity.grader", True), ("rnn_parity.grader.isolation.child", True)]
    # The registry imports its protocol modules by name, and supplied/ holds the course helper modules the
    # child puts on a student's path: every module of the package comes along.
    protocols = os.path.join(root, "rnn_parity", "grader", "protocols")
    for folder, _, files in os.walk(protocols):
        pkg = os.path.relpath(folder, root).replace(os.sep, ".")
        todo += [(f"{pkg}.{f[:-3]}" if f != "__init__.py" else pkg, True) for f in files if f.endswith(".py")]
    found = []
    while todo:
        name, at_import = todo.pop()
        if name.startswith(PARENT_ONLY):
            if at_import:
                raise RuntimeError(f"the grader's child side imports {name}: it must not "
                                   "(see grader/isolation/sandbox.py)")
            continue  # a lazy import of a parent-side method: absent in the sandbox, and never called there
        if name in seen:
            continue
        seen.add(name)
        base = os.path.join(root, *name.split("."))
        is_pkg = os.path.isfile(os.path.join(base, "__init__.py"))
        rel = os.path.relpath(os.path.join(base, "__init__.py") if is_pkg else base + ".py", root)
        if not os.path.isfile(os.path.join(root, rel)):
            continue  # a name imported from a module, not a module
        found.append((root, rel))
        package = name if is_pkg else name.rpartition(".")[0]
        if package != name:
            todo.append((package, True))
        with open(os.path.join(root, rel), encoding="utf-8") as f:
            tree = ast.parse(f.read())
        top = set(map(id, _module_level(tree.body)))
        for node in (tree.body if is_pkg else ast.walk(tree)):
            now = id(node) in top
            if isinstance(node, ast.ImportFrom) and node.level > 0:
                parts = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                target = ".".join(parts + ([node.module] if node.module else []))
                todo.append((target, now))
                todo += [(f"{target}.{a.name}", now) for a in node.names]
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                mods = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                todo += [(m, now) for m in mods if m.startswith("rnn_parity")]
    return tuple(sorted(found))


def _module_level(body: list):
    """The statements that run on import: the body, and what sits in its if/try blocks. Imports inside
    functions are the parent side's lazy ones (a protocol's expected values); inside the sandbox they would
    fail, which is the point, so they are not followed."""
    for node in body:
        yield node
        if isinstance(node, (ast.If, ast.Try)):
            blocks = [node.body, node.orelse] + ([node.finalbody] + [h.body for h in node.handlers]
                                                 if isinstance(node, ast.Try) else [])
            for block in blocks:
                yield from _module_level(block)


def site_dirs() -> list:
    """The folders the grader itself imports installed packages from: sys.path's site-packages and
    dist-packages (a venv's, the user's, Debian's /usr/lib/python3/dist-packages), then sysconfig's."""
    found = [p for p in sys.path if os.path.basename(p.rstrip(os.sep)) in ("site-packages", "dist-packages")]
    found += [sysconfig.get_paths()[k] for k in ("purelib", "platlib")]
    return [p for p in dict.fromkeys(os.path.realpath(p) for p in found) if os.path.isdir(p)]


def site_entries() -> list:
    """(host path, name) of each installed top-level entry the child may import; the first of a name wins,
    as on sys.path."""
    out, names = [], set()
    for d in site_dirs():
        for name in sorted(os.listdir(d)):
            stem = name.split(".")[0].split("-")[0].lower()
            # .dist-info stays: entry points live there (matplotlib finds IPython's inline backend by one)
            if (name in names or name.endswith((".pth", ".egg-info")) or name == "__pycache__"
                    or stem in FORBIDDEN or name.lower().startswith(HIDDEN_PREFIXES)):
                continue
            names.add(name)
            out.append((os.path.join(d, name), name))
    return out


def site_binds() -> list:
    """bwrap arguments that show the child site_entries() at SITE and nothing else of the site folders.

    With one site folder (a venv), it is bound whole and each entry site_entries() leaves out is covered: a
    package folder by a stub whose __init__ raises "No module named ..." (an empty folder would import as a
    namespace package), any other folder by an empty one, a file by /dev/null. ~12 mounts instead of one per
    entry (~170, at ~0.5 ms each: 0.08 s of every grade). Several folders, or a symlink among the entries to
    hide, are bound entry by entry, the first of a name winning."""
    dirs = site_dirs()
    keep = {name for _, name in site_entries()}
    if len(dirs) == 1:
        hidden = [n for n in sorted(os.listdir(dirs[0])) if n not in keep]
        if not any(os.path.islink(os.path.join(dirs[0], n)) for n in hidden):
            stub, empty = _covers()
            argv = ["--ro-bind", dirs[0], SITE]
            for name in hidden:
                path, inside = os.path.join(dirs[0], name), f"{SITE}/{name}"
                if not os.path.isdir(path):
                    argv += ["--ro-bind", "/dev/null", inside]
                elif name.isidentifier():  # an importable package: torch, keras, ...
                    argv += ["--ro-bind", stub, inside]
                else:  # .dist-info, .egg-info and the like
                    argv += ["--ro-bind", empty, inside]
            return argv
    return [a for host, name in site_entries() for a in ("--ro-bind", host, f"{SITE}/{name}")]


@functools.lru_cache(maxsize=1)
def _covers() -> tuple:
    """(a package folder whose import fails as a missing module's does, an empty folder), made once per
    process."""
    stub, empty = os.path.join(_process_folder(), "stub"), os.path.join(_process_folder(), "empty")
    os.makedirs(stub)
    os.makedirs(empty)
    with open(os.path.join(stub, "__init__.py"), "w", encoding="utf-8") as f:
        f.write("raise ModuleNotFoundError(f'No module named {__name__!r}', name=__name__)\n")
    return stub, empty


def python_dirs() -> tuple:
    """(host folders that hold the interpreter and stdlib, site folders inside them to hide: the child
    gets installed packages only one by one, through site_entries)."""
    exe = os.path.realpath(sys.executable)
    prefixes = {os.path.realpath(p) for p in (sys.base_prefix, sys.base_exec_prefix)}
    bound = [p for p in sorted(prefixes) if not p.startswith(SYSTEM_DIRS)]
    if not any(exe.startswith(p + os.sep) for p in prefixes) and not exe.startswith(SYSTEM_DIRS):
        bound.append(os.path.dirname(exe))
    hide = set(site_dirs())
    for key in ("purelib", "platlib"):
        path = sysconfig.get_paths(vars={"base": sys.base_prefix, "platbase": sys.base_exec_prefix})[key]
        hide.add(os.path.realpath(path))
    for pattern in ("/usr/lib/python3*/*-packages", "/usr/local/lib/python3*/*-packages"):
        hide.update(os.path.realpath(p) for p in glob.glob(pattern))  # Debian's and pip's: torch may live there
    return bound, sorted(p for p in hide if os.path.isdir(p))


def submission_files(impl: str, folder: str, private: tuple = ()) -> list:
    """(host path, path relative to the folder) of the file and what it reaches by name in its folder:
    the sibling modules and packages it imports (transitively), and files it opens by a literal relative
    path. Never a path in `private` (the other submissions of a folder run, the grader's outputs), never
    another notebook or Python file unless imported as a module."""
    folder = os.path.realpath(folder)
    private = {os.path.realpath(p) for p in private}
    out: dict = {}
    todo = [os.path.realpath(impl)]
    size = 0
    while todo and len(out) < MAX_BOUND_FILES:
        path = todo.pop()
        if path in private or path in (p for p, _ in out.values()):
            continue
        rel = os.path.relpath(path, folder) if path.startswith(folder + os.sep) else os.path.basename(path)
        out[rel] = (path, rel)
        size += os.path.getsize(path) if os.path.isfile(path) else 0  # a folder counts as nothing
        if not path.endswith(".py") or size > MAX_BOUND_BYTES:
            continue
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                tree = ast.parse(f.read())
        except (OSError, SyntaxError, ValueError):
            continue
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            for name in names:
                base = os.path.join(folder, *name.split("."))
                for cand in (base + ".py", os.path.join(base, "__init__.py")):
                    if os.path.isfile(cand):
                        todo.append(os.path.realpath(cand))
                if os.path.isdir(base):  # a package: bind its modules as they are imported
                    init = os.path.join(base, "__init__.py")
                    if os.path.isfile(init):
                        todo.append(os.path.realpath(init))
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and 0 < len(node.value) < 256 \
                    and "\n" not in node.value and "\0" not in node.value:
                cand = os.path.realpath(os.path.join(folder, node.value))
                if not cand.startswith(folder + os.sep) or cand.endswith((".py", ".ipynb", ".pyc")):
                    continue
                if os.path.isfile(cand) or (os.path.isdir(cand) and not any(
                        p == cand or p.startswith(cand + os.sep) for p in private)):
                    todo.append(cand)  # a data file, or a data folder holding nothing private
    return [v for v in out.values() if v[0] not in private]


@functools.lru_cache(maxsize=1)
def _process_folder() -> str:
    """This process's own temporary folder for what every sandbox it starts binds read-only (the staged
    package, the covers); removed at exit."""
    root = tempfile.mkdtemp(prefix="rnn-parity-sandbox-")
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    return root


@functools.lru_cache(maxsize=1)
def staged_package() -> str:
    """A folder, made once per process, holding what the child may import of rnn_parity: the child-side modules
    (child_modules) with their bytecode where make install wrote it, and the one file of the reference the
    child reads, the seeds' naming table (grader/judging/schemes.py loads it alone, stdlib only; it holds names,
    not answers). It is bound read-only as one folder: each bind mount costs the sandbox's start ~0.6 ms, and
    binding these ~110 files one by one cost a grade more than their bytecode saved."""
    stage = os.path.join(_process_folder(), "pkg")
    naming = importlib.util.find_spec("rnn_parity.reference.naming").origin
    files = [(os.path.join(root, rel), rel) for root, rel in child_modules()]
    files.append((naming, "rnn_parity/reference/naming.py"))
    for host, rel in files:
        cached = importlib.util.cache_from_source(host)
        pairs = [(host, rel)] + ([(cached, os.path.join(os.path.dirname(rel), "__pycache__", os.path.basename(cached)))]
                                 if os.path.isfile(cached) else [])
        for src, dst in pairs:
            os.makedirs(os.path.join(stage, os.path.dirname(dst)), exist_ok=True)
            shutil.copy2(src, os.path.join(stage, dst))  # copy2 keeps the mtime the bytecode is checked against
    return stage


def bwrap_argv(child_cmd_tail: list, job_dir: str, scratch: str, impl: str, folder: str, env: dict,
               private: tuple = ()) -> tuple:
    """(argv, path of the submission inside the sandbox, its folder inside the sandbox)."""
    argv = [shutil.which("bwrap") or "bwrap", *namespace_flags()]
    for d in SYSTEM_DIRS:
        argv += ["--ro-bind-try", d, d]
    for name in ETC:
        argv += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
    bound, hide = python_dirs()
    for d in bound:
        argv += ["--ro-bind", d, d]
    for d in hide:
        if any(d == b or d.startswith(b + os.sep) for b in bound + list(SYSTEM_DIRS)):
            argv += ["--tmpfs", d]
    argv += ["--ro-bind", staged_package(), PKG]
    argv += site_binds()
    # /tmp is memory: keep it small (the scratch folder, on disk, is the place to write).
    argv += ["--proc", "/proc", "--dev", "/dev", "--size", str(TMP_SIZE), "--tmpfs", "/tmp",
             "--bind", job_dir, JOB, "--bind", scratch, SCRATCH]
    inner_impl = None
    for host, rel in submission_files(impl, folder, private):
        inside = f"{SCRATCH}/{rel}"
        if os.path.realpath(host) == os.path.realpath(impl):
            inner_impl = inside
        os.makedirs(os.path.dirname(os.path.join(scratch, rel)), exist_ok=True)
        argv += ["--ro-bind", host, inside]
    argv += ["--remount-ro", "/", "--chdir", SCRATCH, "--clearenv"]
    for k, v in env.items():
        argv += ["--setenv", k, v]
    exe = os.path.realpath(sys.executable)
    boot = (f"import sys; sys.path[:0] = [{PKG!r}, {SITE!r}]; "
            "from rnn_parity.grader.isolation.child import main; main(sys.argv[1])")
    argv += ["--", exe, "-I", "-S", "-B", "-c", boot, *child_cmd_tail]
    return argv, inner_impl or f"{SCRATCH}/{os.path.basename(impl)}", SCRATCH


def sandbox_env(base: dict) -> dict:
    """The child's whole environment inside the sandbox (bwrap --clearenv drops the rest)."""
    keep = {k: v for k, v in base.items() if k.endswith("_NUM_THREADS") or k in (
        "PYTHONHASHSEED", "MPLBACKEND", "RNN_PARITY_GRADE", "PYTHONDONTWRITEBYTECODE")}
    return {**keep, "HOME": SCRATCH, "TMPDIR": SCRATCH + "/tmp", "PATH": "/usr/local/bin:/usr/bin:/bin",
            "LANG": "C.UTF-8", "MPLCONFIGDIR": SCRATCH + "/.matplotlib", "PYTHONNOUSERSITE": "1"}
