"""The house rules a reader relies on: no import cycles (function-level imports counted), no
service folder past fifteen modules, the environment read only through Settings."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = {"crm_common": ROOT / "crm_common"} | {
    path.name: path for path in sorted(ROOT.glob("services/*/*")) if (path / "__init__.py").is_file()}
SERVICE_PACKAGES = sorted(name for name in PACKAGES if name != "crm_common")


def modules_of(name: str, folder: Path) -> dict[str, Path]:
    out = {}
    for path in folder.rglob("*.py"):
        parts = list(path.relative_to(folder).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join([name, *parts])] = path
    return out


def imports_of(module: str, path: Path, known: dict) -> set[str]:
    """Every module of the same package that `module` imports, at any depth of its code."""
    is_package = path.name == "__init__.py"
    here = module.split(".") if is_package else module.split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = here[: len(here) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            # `from a import b` imports a.b when b is a module, else a name of a
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
        else:
            continue
        found |= {t for t in targets if t in known and t != module}
    return found


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


@pytest.mark.parametrize("name", sorted(PACKAGES))
def test_no_package_has_an_import_cycle(name):
    known = modules_of(name, PACKAGES[name])
    graph = {module: imports_of(module, path, known) for module, path in known.items()}
    assert cycles(graph) == []


def test_the_cycle_finder_sees_a_cycle_through_a_function_level_import(tmp_path):
    (tmp_path / "__init__.py").write_text("")
    (tmp_path / "a.py").write_text("from . import b\n")
    (tmp_path / "b.py").write_text("def later():\n    from .a import thing\n")
    known = modules_of("pkg", tmp_path)
    graph = {module: imports_of(module, path, known) for module, path in known.items()}
    assert cycles(graph) == [["pkg.a", "pkg.b"]]


@pytest.mark.parametrize("name", SERVICE_PACKAGES)
def test_no_service_folder_holds_more_than_fifteen_modules(name):
    crowded = {str(folder.relative_to(ROOT)): n for folder in [PACKAGES[name], *PACKAGES[name].rglob("*/")]
               if (n := len(list(folder.glob("*.py")))) > 15}
    assert crowded == {}


@pytest.mark.parametrize("name", SERVICE_PACKAGES)
def test_each_service_keeps_its_three_entrypoints_at_its_root(name):
    assert {"app.py", "worker.py", "service.py"} <= {p.name for p in PACKAGES[name].glob("*.py")}


# Dev and test tooling starts servers and child processes with an environment of its own.
MAY_READ_ENVIRONMENT = ("crm_common/settings.py", "crm_common/dev/", "crm_common/testing/")


def test_the_environment_is_read_only_through_settings():
    readers = []
    for name, folder in PACKAGES.items():
        for path in folder.rglob("*.py"):
            where = str(path.relative_to(ROOT))
            if where.startswith(MAY_READ_ENVIRONMENT):
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv") \
                        and isinstance(node.value, ast.Name) and node.value.id == "os":
                    readers.append(f"{where}:{node.lineno}")
    assert readers == []


def test_the_kernel_is_pure():
    """The shared domain kernel does no I/O: it imports no web framework, database or broker client
    (BSON values, such as money's Decimal128, are data, not I/O)."""
    plumbing = {"flask", "flask_smorest", "pymongo", "kafka", "werkzeug", "requests", "smtplib", "socket"}
    for path in (ROOT / "crm_common" / "kernel").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        names |= {(n.module or "").split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and not n.level}
        assert not names & plumbing, f"{path.name} imports {sorted(names & plumbing)}"
