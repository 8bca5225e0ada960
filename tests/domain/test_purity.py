"""domain/ is pure: no workflow engine, database, web framework, HTTP or environment access."""

import ast
from pathlib import Path

FORBIDDEN = {"temporalio", "sqlmodel", "sqlalchemy", "fastapi", "httpx", "os"}
DOMAIN = Path(__file__).resolve().parents[2] / "domain"


def _imported_roots(source: str) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            roots.add(node.module.split(".")[0])
    return roots


def test_domain_imports_no_io_framework() -> None:
    modules = sorted(DOMAIN.rglob("*.py"))
    assert modules, f"no modules found under {DOMAIN}"
    offenders = {
        str(p.relative_to(DOMAIN)): sorted(_imported_roots(p.read_text()) & FORBIDDEN)
        for p in modules
    }
    assert {name: bad for name, bad in offenders.items() if bad} == {}
