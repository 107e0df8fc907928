"""The shape of the code: imports flow one way (the layers contract, no cycles) and modules
stay small."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAX_MODULE_LINES = 420

spec = importlib.util.spec_from_file_location("check_imports", ROOT / "scripts/check_imports.py")
assert spec is not None and spec.loader is not None
check_imports = importlib.util.module_from_spec(spec)
spec.loader.exec_module(check_imports)


def test_the_product_package_has_no_import_cycle() -> None:
    graph = check_imports.build_graph(ROOT / "byod")
    assert check_imports.cycles(graph) == []
    assert len(graph) > 40  # it really read the package


def test_the_checker_finds_a_cycle_hidden_in_a_function(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from pkg.sub import b\n")
    (pkg / "sub" / "b.py").write_text("def late():\n    from pkg import a\n")
    (pkg / "c.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg import a\n"
    )
    assert check_imports.cycles(check_imports.build_graph(pkg)) == [["pkg.a", "pkg.sub.b"]]


def test_no_module_of_the_product_is_long() -> None:
    long = {
        str(path.relative_to(ROOT)): lines
        for path in (ROOT / "byod").rglob("*.py")
        if path.relative_to(ROOT / "byod").parts[0] != "migrations"  # Django's, generated
        and (lines := len(path.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}


LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def test_the_layers_contract_holds() -> None:
    run = subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "0 broken" in run.stdout


def test_the_layers_contract_catches_an_import_hidden_for_type_checking(tmp_path: Path) -> None:
    pkg = tmp_path / "layered"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "services.py").write_text("from layered import models\n")
    (pkg / "models.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from layered import services\n"
    )
    (tmp_path / ".importlinter").write_text(
        "[importlinter]\nroot_package = layered\n\n"
        "[importlinter:contract:layers]\nname = layers\ntype = layers\n"
        "layers =\n    layered.services\n    layered.models\n"
    )
    run = subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
    )
    assert run.returncode == 1
    assert "layered.models -> layered.services" in run.stdout


def test_services_get_a_convex_client_only_through_the_one_factory() -> None:
    """`byod.clients.client_for` (and `client_for_credentials`) is the only construction site
    of a Convex client outside the client package: every client has a purpose, a budget and a
    deadline."""
    allowed = {ROOT / "byod/clients.py"}
    built = sorted(
        str(path.relative_to(ROOT))
        for tree in ("byod", "accounts", "byodsite", "benchmarks")
        for path in (ROOT / tree).rglob("*.py")
        if "ConvexClient(" in path.read_text()
        and path not in allowed
        and (ROOT / "byod/client") not in path.parents
    )
    assert built == []
