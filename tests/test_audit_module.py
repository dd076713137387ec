"""The audit log is a foundation-level module: it imports no domain, and core domains
no longer reach into the admin domain (they used to, just to write audit entries)."""

from __future__ import annotations

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parent.parent / "marketplace"
FOUNDATION = {"marketplace.db", "marketplace.extensions", "marketplace.errors",
              "marketplace.timeutil"}
CORE = ("auth", "workers", "firms", "shifts")


def _imports(path: Path) -> set[str]:
    """Every marketplace module imported anywhere in the file (in-function imports too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in found if name.startswith("marketplace")}


def test_audit_package_imports_only_foundation_modules():
    files = sorted((PKG / "audit").glob("*.py"))
    assert files, "marketplace/audit/ is missing"
    for path in files:
        for name in _imports(path):
            if name.startswith("marketplace.audit"):
                continue
            assert name == "marketplace" or any(
                name == mod or name.startswith(mod + ".") for mod in FOUNDATION
            ), f"{path.name} imports {name}"


def test_core_domains_do_not_import_admin():
    for domain in CORE:
        for path in sorted((PKG / domain).rglob("*.py")):
            bad = {n for n in _imports(path)
                   if n == "marketplace.admin" or n.startswith("marketplace.admin.")}
            assert not bad, f"{path.relative_to(PKG)} imports {sorted(bad)}"


def test_record_and_model_live_in_audit():
    from marketplace.audit.models import AuditLog
    from marketplace.audit.services import record
    from marketplace.models import AuditLog as Exported

    assert Exported is AuditLog
    assert AuditLog.__tablename__ == "audit_log"
    assert record.__module__ == "marketplace.audit.services"
