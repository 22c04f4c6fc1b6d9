"""The tree keeps the shape the docs describe: the import contracts hold, no package takes private names."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("kiosk", "station_admin", "devices", "waystation")


def _modules():
    for top in PACKAGES:
        for path in sorted((ROOT / top).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            yield ".".join(parts), path


def _package_of(module: str) -> str:
    """The feature package a module belongs to: station_admin.core.models -> station_admin.core."""
    parts = module.split(".")
    return ".".join(parts[:2]) if len(parts) > 2 or parts[0] == "station_admin" else parts[0]


def test_import_contracts_hold():
    """kiosk and station_admin apart, devices.protocol a leaf, waystation below the apps, central's layers in order."""
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run([str(lint)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "broken" in done.stdout and ", 0 broken" in done.stdout


def test_the_layers_contract_refuses_an_upward_import(tmp_path):
    """The layers contract is live: core importing reports (a package above it) is reported as broken."""
    lint = Path(sys.executable).with_name("lint-imports")
    subprocess.run(["cp", "-r", *(str(ROOT / p) for p in (*PACKAGES, "pyproject.toml")), str(tmp_path)], check=True)
    errors = tmp_path / "station_admin" / "core" / "errors.py"
    errors.write_text(errors.read_text() + "\nfrom station_admin.reports import common  # noqa\n")
    done = subprocess.run([str(lint)], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                          env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert done.returncode != 0
    assert "station_admin.core.errors -> station_admin.reports.common" in done.stdout


def test_no_package_takes_another_packages_private_names():
    """`from x import _name` only within one package: a private name is nobody else's API."""
    found = []
    for module, path in _modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 \
                    and node.module.split(".")[0] in PACKAGES:
                if _package_of(node.module) == _package_of(module):
                    continue
                found += [f"{module}: from {node.module} import {a.name}" for a in node.names
                          if a.name.startswith("_")]
    assert found == []


def test_every_central_package_says_what_it_offers():
    """Each feature package's __init__ has a docstring naming what it is for and what the others use."""
    for init in sorted((ROOT / "station_admin").glob("*/__init__.py")):
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert doc and len(doc.split()) >= 8, f"{init.relative_to(ROOT)} needs a docstring saying what it offers"
