"""Every task of the coatcheck monorepo: ``nox -s tests lint typecheck build docs demo bench``."""

from __future__ import annotations

import email.message
import email.parser
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

import nox

ROOT = Path(__file__).parent
# The one list of distributions, dependencies first: the adapters and the Redis store
# depend on the core. Adding a package here is all the tasks below need; the docs find
# its public modules on their own (docs/reference_pages.py).
PACKAGES = ("core", "testing", "asgi", "wsgi", "redis-store")
PYTHON_FILES = ("packages", "tests", "examples", "benchmarks", "docs", "noxfile.py")
# Every supported Python; `nox -s tests` runs on each one present.
PYTHONS = ("3.10", "3.11", "3.12", "3.13")
# The machine's default Python, which alone runs the browser and the Redis fault tests
# (the slow ones), the peers' own session tests, and every task that is not the test suite.
MAIN_PYTHON = "3.11"
# Marks the other Pythons leave out (registered in pyproject.toml).
MAIN_PYTHON_ONLY = "not browser and not faults and not failover"
# pytest-xdist workers per suite run: one per core, at most four. Most tests wait on Redis
# servers, subprocesses and timers, so two workers halve a run on a 2-core machine; more
# than four would only start more Redis clusters at once. `-- -n 0` runs in one process
# (for --pdb); a later -n wins.
WORKERS = ("-n", str(min(os.cpu_count() or 1, 4)))
DIST = ROOT / "dist"
# Starlette's and Flask's own session tests (tests/peers/), each in its own venv.
PEER_SUITES = ("starlette", "flask")
# The core's two builds: pure Python, and its per-request modules compiled by mypyc (the
# build hook in packages/core/pyproject.toml, switched on by this variable). The suite and
# the peers' suites run on both; the benchmarks measure the compiled one unless
# COATCHECK_BUILD=pure is set.
BUILDS = ("pure", "compiled")
COMPILE_CORE = {"HATCH_BUILD_HOOK_ENABLE_MYPYC": "true"}

nox.options.sessions = ["tests", "lint", "typecheck"]
nox.options.reuse_existing_virtualenvs = True
nox.options.error_on_external_run = True
# Never download an interpreter: use the ones installed (pyenv's included).
nox.options.download_python = "never"


def _pyenv_latest(pyenv: str, python: str) -> str | None:
    found = subprocess.run(
        [pyenv, "latest", python], capture_output=True, text=True, check=False
    ).stdout.strip()
    return found or None


def _find_pyenv_pythons() -> None:
    """Let nox see pyenv's interpreters of every supported Python, not only the active one.

    pyenv's shims run a version only if it is selected, so the newest installed patch
    release of each supported Python joins ``PYENV_VERSION`` after the versions already
    selected (which keep their precedence). A supported Python that is nowhere to be found
    is reported here; nox then skips its session, or fails it under ``CI=true``.
    """
    pyenv = shutil.which("pyenv")
    selected: list[str] = []
    if pyenv:
        current = (
            os.environ.get("PYENV_VERSION")
            or subprocess.run(
                [pyenv, "version-name"], capture_output=True, text=True, check=False
            ).stdout.strip()
        )
        selected = [version for version in current.split(":") if version]
    missing = []
    for python in PYTHONS:
        latest = _pyenv_latest(pyenv, python) if pyenv else None
        if latest and latest not in selected:
            selected.append(latest)
        elif not latest and not shutil.which(f"python{python}"):
            missing.append(python)
    if pyenv and selected:
        os.environ["PYENV_VERSION"] = ":".join(selected)
    if missing:
        what = "fail" if "CI" in os.environ else "be SKIPPED"
        names = ", ".join(f"tests-{python}" for python in missing)
        sys.stderr.write(
            f"\n*** Python {', '.join(missing)} not found (neither pyenv nor PATH has it): "
            f"{names} will {what}. ***\n\n"
        )


_find_pyenv_pythons()


def _package_paths() -> list[str]:
    paths = [ROOT / "packages" / name for name in PACKAGES]
    return [str(path) for path in paths if (path / "pyproject.toml").exists()]


def _install_packages(session: nox.Session, *, editable: bool = False) -> None:
    """Install every package of the working tree in one resolver run."""
    paths = _package_paths()
    args = [arg for path in paths for arg in ("-e", path)] if editable else paths
    session.install(*args)


_compiled_wheels: dict[str, Path] = {}


def _compiled_core(session: nox.Session) -> str | None:
    """The core's compiled wheel for the session's Python, built once per nox run (mypyc
    takes about a minute); it also builds under ``--install-only``, and ``None`` under
    ``--no-install``, where the virtual environment keeps what it has."""
    tag = session.run_install(
        "python", "-c", "import sys; print(sys.implementation.cache_tag)", silent=True
    )
    if tag is None:
        return None
    key = str(tag).strip()
    wheel = _compiled_wheels.get(key)
    if wheel is None or not wheel.exists():
        outdir = Path(session.bin).parent / "compiled-core"
        shutil.rmtree(outdir, ignore_errors=True)
        # hatch-mypyc compiles in place and leaves its artifacts in the source folder,
        # where an editable install would import them: it builds a copy outside the tree.
        with tempfile.TemporaryDirectory(prefix="coatcheck-core-") as scratch:
            source = Path(scratch) / "core"
            shutil.copytree(
                ROOT / "packages" / "core",
                source,
                ignore=shutil.ignore_patterns("__pycache__", ".mypy_cache", "*.so", "dist"),
            )
            session.run_install(
                "python",
                "-m",
                "pip",
                "wheel",
                "--quiet",
                "--no-deps",
                "--wheel-dir",
                str(outdir),
                str(source),
                env=COMPILE_CORE,
            )
        wheel = _one(session, outdir, "*.whl")
        _compiled_wheels[key] = wheel
    return str(wheel)


def _install_core_build(session: nox.Session, build: str) -> None:
    """Put the core's ``build`` in place, and tell the tests which one it is.

    The pure build is already there: pip reinstalls a local folder on every install, so
    the session's install of ``packages/core`` replaced a compiled core left in its venv.
    """
    if build == "compiled":
        wheel = _compiled_core(session)
        if wheel is not None:
            session.install("--force-reinstall", "--no-deps", wheel)
    session.env["COATCHECK_BUILD"] = build


def _debian_package(session: nox.Session, binary: str, package: str) -> None:
    """Install a Debian package when its binary is missing and we may (root, apt)."""
    if shutil.which(binary):
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        session.warn(f"{binary} is missing and cannot be installed here; its tests will skip")
        return
    env = {"DEBIAN_FRONTEND": "noninteractive"}
    session.run("apt-get", "update", "-q", external=True, env=env)
    session.run("apt-get", "install", "-y", "-q", package, external=True, env=env)


def _is_main_python(session: nox.Session) -> bool:
    return session.python in (None, MAIN_PYTHON)


def _python_at_least(session: nox.Session, version: tuple[int, int]) -> bool:
    """Whether the session's Python is ``version`` or newer (e.g. for a step 3.10 lacks)."""
    python = str(session.python or MAIN_PYTHON)
    return tuple(int(part) for part in python.split(".")[:2]) >= version


def _run_pytest(session: nox.Session) -> None:
    """The suite; the browser, Redis fault and failover tests only on the main Python.

    On the others, a selection by the caller (``nox -s tests -- tests/e2e``) may leave
    nothing to run, which is no failure; ``-- -m ''`` lifts the restriction.
    """
    if _is_main_python(session):
        session.run("pytest", *WORKERS, *session.posargs)
        return
    session.run(
        "pytest",
        *WORKERS,
        "-m",
        MAIN_PYTHON_ONLY,
        *session.posargs,
        success_codes=[0, 5] if session.posargs else [0],
    )


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """Run the test suite on every supported Python (browser and fault tests on 3.11 only).

    ``nox -s tests-3.12`` picks one Python. On 3.11 a whole-suite run also runs the peers'
    suites and, on the core's compiled build, the suite again (``tests_compiled``).
    """
    _debian_package(session, "redis-server", "redis-server")
    _debian_package(session, "wrk", "wrk")  # tests/benchmarks: the harness's load generator
    if _is_main_python(session):
        _debian_package(session, "chromium", "chromium")
    _install_packages(session)
    session.install("-r", "requirements/tests.txt")
    _install_core_build(session, "pure")
    # The peer suites run after the whole suite or `-- tests/peers`, not after other
    # focused runs (`nox -s tests -- tests/asgi -x`); `nox -s peers` runs them alone. The
    # whole suite is followed by its run on the compiled core (`nox -s tests_compiled`).
    wanted = not session.posargs or any(arg.startswith("tests/peers") for arg in session.posargs)
    if wanted and _is_main_python(session):
        for suite in PEER_SUITES:
            session.notify(f"peers({suite})", posargs=[])
    if not session.posargs and _is_main_python(session):
        session.notify("tests_compiled", posargs=[])
    _run_pytest(session)


@nox.session(python=MAIN_PYTHON)
def tests_compiled(session: nox.Session) -> None:
    """Run the suite and the peers' suites on the core compiled by mypyc (main Python).

    The failover tests are left to the pure build: they kill Redis primaries under load
    for minutes, and what they test is the Redis store, which is not compiled.
    """
    _debian_package(session, "redis-server", "redis-server")
    _debian_package(session, "wrk", "wrk")
    _debian_package(session, "chromium", "chromium")
    _install_packages(session)
    session.install("-r", "requirements/tests.txt")
    _install_core_build(session, "compiled")
    if not session.posargs:
        for suite in PEER_SUITES:
            session.notify(f"peers({suite}-compiled)", posargs=[])
    session.run("pytest", *WORKERS, "-m", "not failover", *session.posargs)


@nox.session(python=MAIN_PYTHON)
@nox.parametrize(
    ("suite", "build"),
    [(suite, build) for build in BUILDS for suite in PEER_SUITES],
    ids=[
        suite + ("" if build == "pure" else f"-{build}")
        for build in BUILDS
        for suite in PEER_SUITES
    ],
)
def peers(session: nox.Session, suite: str, build: str) -> None:
    """Run a peer's own session tests against coatcheck (see tests/peers/README.md);
    ``peers(starlette)`` on the pure core, ``peers(starlette-compiled)`` on the compiled one."""
    adapter = "asgi" if suite == "starlette" else "wsgi"
    session.install(*(str(ROOT / "packages" / name) for name in ("core", adapter)))
    session.install("-r", f"requirements/peers-{suite}.txt")
    _install_core_build(session, build)
    session.run("python", "-m", "tests.peers", suite)


@nox.session
def lint(session: nox.Session) -> None:
    """``ruff check`` and ``ruff format --check`` over every Python file."""
    session.install("-r", "requirements/lint.txt")
    session.run("ruff", "check", *PYTHON_FILES)
    session.run("ruff", "format", "--check", *PYTHON_FILES)


@nox.session
def typecheck(session: nox.Session) -> None:
    """``mypy --strict`` over the packages, tests, examples, docs scripts and this file."""
    _install_packages(session, editable=True)
    session.install(
        "-r",
        "requirements/typecheck.txt",
        "-r",
        "requirements/tests.txt",
        "-r",
        "requirements/bench.txt",
        "-r",
        "requirements/docs.txt",
        "nox",
    )
    session.run("mypy", "--strict", *PYTHON_FILES)
    # pyproject.toml checks as Python 3.10, the oldest supported, which skips the
    # branches for newer ones (`Watchdog.run` on 3.11+): the packages again, as the newest.
    session.run("mypy", "--strict", "--python-version", PYTHONS[-1], "packages")


@nox.session
def build(session: nox.Session) -> None:
    """Build, check, install and import the sdist and wheel of every package (into dist/).

    Each package is built on its own (``python -m build`` makes the wheel from the sdist),
    checked by ``twine check --strict`` and for its ``LICENSE`` and ``py.typed``, then
    installed into a fresh virtual environment with only its declared dependencies and
    the sibling wheels it pins: its top-level package must import, and with every extra
    installed, every public module.
    """
    session.install("-r", "requirements/build.txt")
    shutil.rmtree(DIST, ignore_errors=True)
    built = {}
    for name in PACKAGES:
        outdir = DIST / name
        session.run("python", "-m", "build", "--outdir", str(outdir), f"packages/{name}")
        built[name] = (_one(session, outdir, "*.whl"), _one(session, outdir, "*.tar.gz"))
    session.run(
        "twine", "check", "--strict", *(str(path) for pair in built.values() for path in pair)
    )

    wheels = {_metadata(wheel)["Name"]: wheel for wheel, _ in built.values()}
    for name, (wheel, sdist) in built.items():
        problems = _missing_files(wheel, sdist)
        if problems:
            session.error("; ".join(problems))
        session.log(f"{wheel.name} and {sdist.name} hold LICENSE; the wheel holds py.typed")
        _install_and_import(session, wheel, wheels, DIST / "venvs" / name)

    # The core's compiled wheel, for this machine's Python: built, checked, installed alone.
    outdir = DIST / "core-compiled"
    # From the sdist, as `pip install --no-binary coatcheck` does: the tree stays clean.
    session.run("python", "-m", "build", "--outdir", str(outdir), "packages/core", env=COMPILE_CORE)
    compiled = _one(session, outdir, "*.whl")
    session.run("twine", "check", "--strict", str(compiled))
    venv = DIST / "venvs" / "core-compiled"
    _install_and_import(session, compiled, wheels, venv)
    session.run(str(venv / "bin" / "python"), "-c", _COMPILED_CHECK, external=True)


_COMPILED_CHECK = """
import importlib.machinery, coatcheck._exchange as exchange
assert exchange.__file__.endswith(tuple(importlib.machinery.EXTENSION_SUFFIXES)), exchange.__file__
print("compiled:", exchange.__file__)
"""


def _one(session: nox.Session, folder: Path, pattern: str) -> Path:
    found = sorted(folder.glob(pattern))
    if len(found) != 1:
        session.error(f"expected one {pattern} in {folder}, got {found}")
    return found[0]


def _metadata(wheel: Path) -> email.message.Message:
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        return email.parser.Parser().parsestr(archive.read(name).decode())


def _missing_files(wheel: Path, sdist: Path) -> list[str]:
    """What a release must carry and these archives lack: the licence in both, py.typed."""
    with zipfile.ZipFile(wheel) as archive:
        wheel_files = archive.namelist()
    with tarfile.open(sdist) as archive:
        # An sdist holds one folder, name-version/.
        sdist_files = {member.partition("/")[2] for member in archive.getnames()}
    problems = []
    if not any(re.fullmatch(r"[^/]+\.dist-info/licenses/LICENSE", file) for file in wheel_files):
        problems.append(f"{wheel.name} has no .dist-info/licenses/LICENSE")
    if "LICENSE" not in sdist_files:
        problems.append(f"{sdist.name} has no LICENSE")
    if not any(file.endswith("/py.typed") for file in wheel_files):
        problems.append(f"{wheel.name} has no py.typed")
    return problems


def _public_modules(wheel: Path) -> list[str]:
    """The importable modules of a wheel whose dotted names have no private part."""
    with zipfile.ZipFile(wheel) as archive:
        files = [file for file in archive.namelist() if file.endswith(".py")]
    modules = []
    for file in files:
        parts = file.removesuffix(".py").removesuffix("/__init__").split("/")
        if not any(part.startswith("_") for part in parts):
            modules.append(".".join(parts))
    return sorted(modules)


def _install_and_import(
    session: nox.Session, wheel: Path, wheels: dict[str, Path], venv: Path
) -> None:
    """Install ``wheel`` alone (plus the sibling wheels it requires) and import it; then
    add its extras and import every public module, warnings as errors."""
    metadata = _metadata(wheel)
    required = {
        re.split(r"[\s;<>=!~\[(]", requirement, maxsplit=1)[0]
        for requirement in metadata.get_all("Requires-Dist", [])
    }
    siblings = [str(path) for name, path in wheels.items() if name in required]
    extras = metadata.get_all("Provides-Extra", [])
    modules = _public_modules(wheel)
    python = str(venv / "bin" / "python")
    pip = (python, "-m", "pip", "--disable-pip-version-check", "--quiet")

    session.run(sys.executable, "-m", "venv", "--clear", str(venv), external=True)
    session.run(*pip, "install", str(wheel), *siblings, external=True)
    session.run(*pip, "check", external=True)
    top = modules[0]
    session.run(
        python, "-c", f"import {top}; print({top}.__name__, {top}.__version__)", external=True
    )
    if extras:
        session.run(*pip, "install", f"{wheel}[{','.join(extras)}]", *siblings, external=True)
        session.run(*pip, "check", external=True)
    imports = "; ".join(f"import {module}" for module in modules)
    session.run(python, "-W", "error", "-c", imports, external=True)


@nox.session
def docs(session: nox.Session) -> None:
    """Build the documentation site into site/ with ``--strict``; ``-- serve`` serves it.

    ``nox -s docs -- serve`` serves it on http://127.0.0.1:8000 and rebuilds on changes.
    """
    _install_packages(session)
    session.install("-r", "requirements/docs.txt")
    # MkDocs' plugins print a banner about MkDocs 2 on every build unless told not to.
    env = {"NO_MKDOCS_2_WARNING": "1", "DISABLE_MKDOCS_2_WARNING": "true"}
    if session.posargs[:1] == ["serve"]:
        address = ("--dev-addr", "127.0.0.1:8000")
        session.run("mkdocs", "serve", "--strict", *address, *session.posargs[1:], env=env)
    else:
        session.run("mkdocs", "build", "--strict", *session.posargs, env=env)


@nox.session(python=False)
def version(session: nox.Session) -> None:
    """Set the version of every package: ``nox -s version -- 0.2.0``.

    Rewrites each package's ``_version.py`` (hatchling reads it at build time, so every
    sdist carries its own copy) and the ``coatcheck==X`` pins in their pyproject.toml.
    ``tests/test_versions.py`` checks they agree.
    """
    if len(session.posargs) != 1 or not re.fullmatch(
        r"\d+\.\d+\.\d+((a|b|rc)\d+)?", session.posargs[0]
    ):
        session.error("usage: nox -s version -- X.Y.Z (or X.Y.ZrcN)")
    new = session.posargs[0]
    for name in PACKAGES:
        folder = ROOT / "packages" / name
        (version_file,) = folder.glob("src/*/_version.py")
        _rewrite(session, version_file, r'^__version__ = "[^"]*"$', f'__version__ = "{new}"')
        # The pins on sibling distributions, e.g. "coatcheck==0.1.0".
        pin = r'"(coatcheck[a-z-]*)==[^"]*"'
        _rewrite(session, folder / "pyproject.toml", pin, rf'"\1=={new}"', count=None)
    session.log(f"every package is now at {new}; add its section to CHANGELOG.md")


def _rewrite(
    session: nox.Session, path: Path, pattern: str, replacement: str, *, count: int | None = 1
) -> None:
    """Replace ``pattern`` in ``path``; it must match ``count`` times unless that is None."""
    new_text, found = re.subn(pattern, replacement, path.read_text(), flags=re.MULTILINE)
    if count is not None and found != count:
        session.error(f"{path}: expected {count} match of {pattern!r}, found {found}")
    path.write_text(new_text)


@nox.session
def demo(session: nox.Session) -> None:
    """Serve the demo app on http://127.0.0.1:8000 (``-- --help`` lists the options)."""
    _install_packages(session)
    session.install("-r", "requirements/demo.txt")
    session.run("python", "examples/serve_demo.py", *session.posargs)


@nox.session
def bench(session: nox.Session) -> None:
    """Run the benchmarks; writes benchmarks/RESULTS.md and benchmarks/results.png.

    Without arguments every group runs, the callgrind counts included; arguments go to
    ``python -m benchmarks`` (``nox -s bench -- --quick``).
    """
    _debian_package(session, "redis-server", "redis-server")
    _debian_package(session, "wrk", "wrk")
    _debian_package(session, "valgrind", "valgrind")
    _install_packages(session)
    session.install("-r", "requirements/bench.txt")
    _install_core_build(session, os.environ.get("COATCHECK_BUILD", "compiled"))
    arguments = session.posargs or ["--groups", "asgi,wsgi,memory,e2e,instructions"]
    session.run("python", "-m", "benchmarks", *arguments)
