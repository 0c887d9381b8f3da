"""Imports go one way: no import cycle between the package's modules, and no import from a lower
layer to a higher one. Read from the source with ``ast`` (nothing is imported); imports inside
functions count (they run, later), imports under ``if TYPE_CHECKING:`` do not (they never run).

The layers, lowest first: a module may import its own layer and the ones below. A new module
must be placed here (the test says so), which is the moment to decide where it belongs.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import frogml_airflow_provider

PACKAGE = Path(frogml_airflow_provider.__file__).parent
ROOT = PACKAGE.name

LAYERS: list[tuple[str, ...]] = [
    # Contracts every layer may use, importing nothing of the package: the exceptions, terminal output,
    # and the provider's identity (connection type and default id).
    ("", "errors", "term", "get_provider_info"),
    ("automations",),  # the frogml-compatible spec (pure)
    ("tasks",),  # task ids, XCom keys, and the spec as task arguments carry it (to_plain/complete): pure
    # Pure: files -> plans (the ledger says which DAGs JFrog ML runs instead); the spec <-> its wire
    # form (native.py out, wire.py + from_native.py back) and the automation files written of it.
    (
        "dags.budget",
        "dags.shim",
        "dags.locate",
        "dags.loading",
        "dags.ledger",
        "dags.plan",
        "dags.approval",
        "dags.catalog",
        "dags.shares",
    ),
    ("export.native", "export.wire", "export.from_native", "export.files", "export.pull", "export.reach"),
    ("platform.base", "platform.batch_folders"),  # the platform interface; batch folders and templates (pure)
    ("platform.local", "platform.jfrog"),  # the platforms; platform.jfrog.session is the JFrog ML client
    ("platform.registry", "platform.numbers"),  # a locator -> one of the platforms; numbers from queries, bounded
    ("hooks", "assets"),  # assets: the frogml:// assets a DAG produces, the public helpers (Airflow's Asset)
    ("lineage",),  # OpenLineage datasets and facets; imported only by the operators' get_openlineage_facets_*
    ("triggers",),
    ("operators",),
    ("notifications",),
    ("dags.timetable",),  # the generated DAGs' schedule (Airflow's core timetable, plugin-registered)
    ("dags.upstream",),  # [frogml] upstream_assets: the assets a DAG also runs after
    ("dags.approval_config",),  # [frogml] approval_required/_timeout, read from Airflow's configuration
    ("dags.render", "dags.loader", "dags.import_errors", "dag_loader"),  # DAGs of operators and notifiers
    # The local platform's pages; the commands (JFrog ML's, the hand-over's, upgrade); demo tools.
    ("console", "management", "migration", "upgrade", "demo", "evaluations"),
    ("cli", "cli_help", "plugins"),  # entry points (cli_help: the texts of its --help)
]
# Packages whose modules sit in different layers: their ``__init__`` runs before any of them, so it
# imports nothing and sits at the bottom (exactly these names, not their modules).
MIXED_PACKAGES = ("dags", "export", "platform")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def layer(module: str) -> int:
    """The layer of ``module``: that of the longest prefix that names it (a package names its modules)."""
    relative = module.removeprefix(ROOT).removeprefix(".")
    if relative in MIXED_PACKAGES:
        return 0
    best, found = -1, -1
    for index, members in enumerate(LAYERS):
        for member in members:
            names_it = relative == member or (member and relative.startswith(member + "."))
            if names_it and len(member) > best:
                best, found = len(member), index
    return found


class _Imports(ast.NodeVisitor):
    def __init__(self, module: str, is_package: bool) -> None:
        self.module, self.is_package = module, is_package
        self.found: set[str] = set()

    def visit_If(self, node: ast.If) -> None:
        if ast.unparse(node.test).endswith("TYPE_CHECKING"):
            for child in node.orelse:
                self.visit(child)
            return
        self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        self.found.update(self._known(alias.name) for alias in node.names if alias.name.split(".")[0] == ROOT)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        target = node.module or ""
        if node.level:
            base = self.module.split(".") if self.is_package else self.module.split(".")[:-1]
            target = ".".join(base[: len(base) - node.level + 1] + ([node.module] if node.module else []))
        if target.split(".")[0] != ROOT:
            return
        for alias in node.names:  # ``from package import module`` imports the module
            self.found.add(self._known(f"{target}.{alias.name}" if f"{target}.{alias.name}" in MODULES else target))

    @staticmethod
    def _known(name: str) -> str:
        while name not in MODULES and "." in name:
            name = name.rsplit(".", 1)[0]
        return name


def imports(module: str) -> set[str]:
    path = MODULES[module]
    visitor = _Imports(module, path.name == "__init__.py")
    visitor.visit(ast.parse(path.read_text(), str(path)))
    return visitor.found - {module}


GRAPH = {module: imports(module) for module in MODULES}


def test_every_module_has_a_layer() -> None:
    unplaced = sorted(module for module in MODULES if layer(module) < 0)
    assert unplaced == [], f"place these modules in LAYERS of {__file__}: {unplaced}"


def test_no_import_goes_up_a_layer() -> None:
    upward = sorted(
        f"{module} (layer {layer(module)}) imports {target} (layer {layer(target)})"
        for module, targets in GRAPH.items()
        for target in targets
        if layer(target) > layer(module)
    )
    assert upward == [], "\n".join(upward)


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycle() -> None:
    assert cycles(GRAPH) == []


@pytest.mark.parametrize(
    ("graph", "expected"),
    [
        pytest.param({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}, [["a", "b", "c"]], id="three"),
        pytest.param({"a": {"b"}, "b": set()}, [], id="none"),
    ],
)
def test_cycles_are_found(graph: dict[str, set[str]], expected: list[list[str]]) -> None:
    assert cycles(graph) == expected


def test_the_graph_is_read() -> None:
    """The checks above look at real edges: relative, lazy and ``from package import module`` ones."""
    assert f"{ROOT}.platform.jfrog.session" in GRAPH[f"{ROOT}.management.commands"]
    assert f"{ROOT}.platform.local.platform" in GRAPH[f"{ROOT}.platform.registry"]  # inside a function
    assert f"{ROOT}.platform.jfrog.automations" in GRAPH[f"{ROOT}.platform.jfrog.session"]
    assert layer(f"{ROOT}.dags.render") > layer(f"{ROOT}.operators.build") > layer(f"{ROOT}.platform.base")


def test_no_test_module_imports_another_or_a_conftest() -> None:
    """Tests share helpers through tests/support (or a helper module beside them), never by
    importing a test module or a conftest: pytest may import those under another name, twice."""
    tests = Path(__file__).parent
    found = []
    for path in sorted(tests.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                leaf = name.rsplit(".", 1)[-1]
                if name.startswith("tests.") and (leaf == "conftest" or leaf.startswith("test_")):
                    found.append(f"{path.relative_to(tests.parent)} imports {name}")
    assert found == []
