"""The dependency rules of ARCHITECTURE.md, read from the source (AST: no module is imported to check them).

* no ``robot_ac`` module but the CLI imports ``sim``, ``robot_ac_ros``, ``benchmarks`` or ``robot_ac.cli``;
* nothing at all imports ``robot_ac.cli``;
* the robot side (``robot_ac.contract``, ``robot_ac.deploy``, ``robot_ac.replay``, ``robot_ac_ros``) imports no
  torch, rsl_rl, tensordict, isaaclab, newton or warp;
* no import cycle among the project's modules.

Every import counts, function-local ones too (they only hide a circle); imports under ``if TYPE_CHECKING:`` do not
run and are left out.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SOURCE_ROOTS = (Path("."), Path("ros_ws/src/robot_ac_ros"))
"""Folders whose children are the project's top-level packages."""
PACKAGES = ("robot_ac", "sim", "robot_ac_ros", "benchmarks")
LEARNING_AND_SIM = ("torch", "rsl_rl", "tensordict", "isaaclab", "isaaclab_newton", "isaaclab_rl", "newton", "warp")
ROBOT_SIDE = ("robot_ac.contract", "robot_ac.deploy", "robot_ac.replay", "robot_ac_ros")
OUTSIDE_THE_LIBRARY = ("sim", "robot_ac_ros", "benchmarks", "robot_ac.cli")


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or \
        (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.AST, module: str, is_package: bool, modules: set[str]) -> set[str]:
    """Every module ``module`` imports; ``from X import Y`` imports the submodule ``X.Y`` where ``modules`` has
    one, else ``X``."""
    found: set[str] = set()
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node):
            stack.extend(node.orelse)
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            submodules = {f"{target}.{alias.name}" for alias in node.names} & modules
            found.update(submodules)
            if len(submodules) < len(node.names):
                found.add(target)
        stack.extend(ast.iter_child_nodes(node))
    return found


def import_graph(repo: Path) -> dict[str, set[str]]:
    """Project module -> the project modules it imports (only names that are modules of the tree)."""
    sources: dict[str, tuple[ast.AST, bool]] = {}
    for root in SOURCE_ROOTS:
        for package in PACKAGES:
            folder = repo / root / package
            if not folder.is_dir():
                continue
            for path in sorted(folder.rglob("*.py")):
                sources[_module_name(path, repo / root)] = (ast.parse(path.read_text(encoding="utf-8")),
                                                            path.name == "__init__.py")
    graph: dict[str, set[str]] = {}
    for module, (tree, is_package) in sources.items():
        imported = _imports(tree, module, is_package, set(sources))
        graph[module] = {name for name in imported if name in sources and name != module}
        graph[module] |= {f"external:{name.split('.')[0]}" for name in imported if name.split(".")[0] not in PACKAGES}
    return graph


def _within(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == prefix or module.startswith(prefix + ".") for prefix in prefixes)


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle among project modules, as the list of modules around it; None without any."""
    state: dict[str, int] = {}  # 1: on the current path, 2: finished
    path: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = 1
        path.append(module)
        for target in sorted(t for t in graph.get(module, ()) if not t.startswith("external:")):
            if state.get(target) == 1:
                return path[path.index(target):] + [target]
            if target not in state and (found := visit(target)):
                return found
        path.pop()
        state[module] = 2
        return None

    for module in sorted(graph):
        if module not in state and (found := visit(module)):
            return found
    return None


def rule_violations(repo: Path) -> list[str]:
    graph = import_graph(repo)
    problems = []
    for module, targets in sorted(graph.items()):
        for target in sorted(targets):
            name = target.removeprefix("external:")
            if target.startswith("external:"):
                if _within(module, ROBOT_SIDE) and name in LEARNING_AND_SIM:
                    problems.append(f"{module} (robot side) imports {name}")
                continue
            if _within(target, ("robot_ac.cli",)):
                problems.append(f"{module} imports the CLI ({target})")
            elif _within(module, ("robot_ac",)) and module != "robot_ac.cli" and _within(target, OUTSIDE_THE_LIBRARY):
                problems.append(f"{module} (library) imports {target}")
    cycle = _cycle(graph)
    if cycle:
        problems.append("import cycle: " + " -> ".join(cycle))
    return problems


def test_the_tree_keeps_the_dependency_rules():
    graph = import_graph(REPO)
    assert {"robot_ac.cli", "robot_ac.contract.manifest", "sim.tasks", "robot_ac_ros.policy_node"} <= set(graph)
    assert rule_violations(REPO) == []


def _plant(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


@pytest.mark.parametrize(("files", "expected"), [
    ({"robot_ac/contract/__init__.py": "", "robot_ac/contract/manifest.py": "def f():\n    import torch\n"},
     "robot_ac.contract.manifest (robot side) imports torch"),
    ({"robot_ac/training.py": "from robot_ac.cli import main\n", "robot_ac/cli.py": ""},
     "robot_ac.training imports the CLI (robot_ac.cli)"),
    ({"robot_ac/replay/__init__.py": "", "robot_ac/replay/report.py": "from sim.resim import resimulate\n",
      "sim/__init__.py": "", "sim/resim.py": ""}, "robot_ac.replay.report (library) imports sim.resim"),
    ({"robot_ac/a.py": "from robot_ac import b\n", "robot_ac/b.py": "def f():\n    from robot_ac.a import x\n"},
     "import cycle: robot_ac.a -> robot_ac.b -> robot_ac.a"),
])
def test_a_planted_violation_is_found(tmp_path, files, expected):
    tree = _plant(tmp_path, {"robot_ac/__init__.py": "", **files})
    assert expected in rule_violations(tree)


def test_type_checking_imports_and_the_cli_reaching_out_are_allowed(tmp_path):
    tree = _plant(tmp_path, {
        "robot_ac/__init__.py": "",
        "robot_ac/cli.py": "def run():\n    from sim.resim import resimulate\n",
        "robot_ac/deploy/__init__.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import torch\n",
        "sim/__init__.py": "", "sim/resim.py": "import robot_ac.deploy\n",
    })
    assert rule_violations(tree) == []


def _modules_after(statement: str) -> set[str]:
    code = f"import sys; {statement}; print(' '.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return {name.split(".")[0] for name in out.split()}


def test_the_robot_side_loads_no_torch():
    loaded = _modules_after("import robot_ac.contract, robot_ac.deploy, robot_ac.replay, robot_ac.replay.session, "
                            "robot_ac.cli")
    assert not loaded & {"torch", "rsl_rl", "isaaclab", "warp", "newton", "sim"}


def test_task_listing_does_not_start_the_simulator():
    loaded = _modules_after("from robot_ac.tasks import all_tasks; all_tasks()")
    assert "sim" in loaded and not loaded & {"isaaclab", "newton", "warp"}


def test_torchrun_gives_each_rank_its_device_and_seed():
    """Per-rank plumbing under a real torchrun launch (CPU: no process group is formed here)."""
    code = ("from robot_ac.runners import resolve_distributed; "
            "c = resolve_distributed(True, 'cuda', 100); print(f'RANK {c.rank} {c.device} {c.seed} {c.is_main}')")
    result = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2", "--master_port=29517",
         "--no-python", sys.executable, "-c", code],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    # The two ranks share one stdout: their lines may interleave, so each record is found by its pattern.
    lines = sorted(re.findall(r"RANK \d cuda:\d \d+ (?:True|False)", result.stdout))
    assert lines == ["RANK 0 cuda:0 100 True", "RANK 1 cuda:1 101 False"]
