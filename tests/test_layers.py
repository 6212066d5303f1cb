"""The layers of README's "Layers" table, enforced on the import graph of audit/: every
import of every module (at any depth, so a lazy import counts too) goes to a layer its own
layer may use, and no rule module imports another."""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import ROOT

PACKAGE = ROOT / "audit"

# Module (or package prefix) -> layer; the longest matching prefix wins.
LAYER_OF = {
    "audit": "foundation",
    "audit.vocab": "foundation",
    "audit.names": "foundation",
    "audit.registries": "foundation",
    "audit.orgs": "foundation",
    "audit.frames": "foundation",
    "audit.heap": "foundation",
    "audit.kept": "foundation",
    "audit.progress": "foundation",
    "audit.record": "foundation",
    "audit.tables": "foundation",
    "audit.findings": "foundation",
    "audit.catalogue": "foundation",
    "audit.fields": "foundation",
    "audit.dates": "shared",
    "audit.people": "shared",
    "audit.spellings": "shared",
    "audit.sites": "shared",
    "audit.capabilities": "sources",
    "audit.sources": "sources",
    "audit.inputs": "sources",
    "audit.load": "loading",
    "audit.corpus": "loading",
    "audit.validate": "checks",
    "audit.rules": "checks",
    "audit.engine": "pipeline",
    "audit.incremental": "pipeline",
    "audit.config": "pipeline",
    "audit.policy": "pipeline",
    "audit.waivers": "pipeline",
    "audit.gate": "pipeline",
    "audit.staged": "pipeline",
    "audit.report": "report",
    "audit.cli": "entry",
    "audit.bench": "entry",
    "audit.synth": "entry",
    "audit.evaluate": "entry",
    "audit.sample": "entry",
    "audit.__main__": "entry",
}
# Layer -> the layers it may import (its own included).
MAY_IMPORT = {
    "foundation": {"foundation"},
    "shared": {"foundation", "shared"},
    "sources": {"foundation", "sources"},
    "loading": {"foundation", "loading"},
    "checks": {"foundation", "shared", "sources", "checks"},
    "pipeline": {"foundation", "shared", "sources", "loading", "checks", "pipeline"},
    "report": {"foundation", "shared", "pipeline", "report"},
    "entry": set(LAYER_OF.values()),
}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def layer(module: str) -> str | None:
    while module:
        if module in LAYER_OF:
            return LAYER_OF[module]
        module = module.rpartition(".")[0]
    return None


def imported(module: str, path: Path) -> set[str]:
    """The audit modules ``module`` imports (``from audit.x import y`` counts as audit.x.y
    when y is a module)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolved against the importing package
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            found.add(base)
            found |= {f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in MODULES}
    return {name for name in found if name == "audit" or name.startswith("audit.")}


def rule_module(module: str) -> bool:
    return module.startswith("audit.rules.")


def test_every_module_has_a_layer() -> None:
    assert [m for m in MODULES if layer(m) is None] == []


def test_imports_follow_the_layers() -> None:
    wrong = [
        f"{module} ({layer(module)}) imports {target} ({layer(target)})"
        for module, path in MODULES.items()
        for target in sorted(imported(module, path))
        if layer(target) not in MAY_IMPORT[layer(module) or ""]
    ]
    assert wrong == []


def test_no_rule_module_imports_another() -> None:
    rules = [m for m in MODULES if rule_module(m)]
    assert rules, "audit/rules/ should hold the rule modules"
    wrong = [
        f"{module} imports {target}"
        for module in rules
        for target in sorted(imported(module, MODULES[module]))
        if rule_module(target) and target != module
    ]
    assert wrong == []


def test_the_checker_sees_lazy_relative_and_module_imports(tmp_path: Path) -> None:
    source = (
        "import audit.rules.x\n"
        "from audit.sources import ctgov_api\n"
        "def f():\n"
        "    from .orgs import same_org\n"
    )
    path = tmp_path / "audit" / "rules" / "y.py"
    path.parent.mkdir(parents=True)
    path.write_text(source, encoding="utf-8")
    found = imported("audit.rules.y", path)
    assert {"audit.rules.x", "audit.sources.ctgov_api", "audit.rules.orgs"} <= found
