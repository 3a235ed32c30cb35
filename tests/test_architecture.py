"""House rules that a reader would otherwise have to trust: import direction, no CDN hosts."""
from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN_BELOW = {"geodata": {"streamlit", "folium", "streamlit_folium", "loaders", "dashboard"},
                   "loaders": {"streamlit", "folium", "streamlit_folium", "dashboard"}}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_imports_flow_one_way() -> None:
    offenders = []
    for package, forbidden in FORBIDDEN_BELOW.items():
        files = list((ROOT / package).rglob("*.py"))
        assert files, f"no Python files under {package}/"
        for path in files:
            bad = _imports(path) & forbidden
            if bad:
                offenders.append(f"{path.relative_to(ROOT)} imports {sorted(bad)}")
    assert offenders == []


def test_no_cdn_hosts_in_shipped_code() -> None:
    cdn = re.compile(r"https?://(cdn\.jsdelivr|cdnjs|unpkg|code\.jquery|netdna\.bootstrapcdn|"
                     r"fonts\.googleapis|fonts\.gstatic)")
    hits = [f"{p.relative_to(ROOT)}:{i}" for package in ("dashboard", "loaders", "geodata")
            for p in (ROOT / package).rglob("*.py") if "static" not in p.parts
            for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if cdn.search(line)]
    assert hits == []


def test_streamlit_usage_statistics_are_off() -> None:
    config = (ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8")
    assert re.search(r"gatherUsageStats\s*=\s*false", config)


def test_ruff_finds_nothing() -> None:
    """The lint rules in pyproject.toml (pyflakes, pycodestyle, import order) hold everywhere."""
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", str(ROOT)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]


def test_no_module_patches_sys_path() -> None:
    """The project is installed (editable) by scripts/dev.sh; no module reaches for sys.path."""
    hits = [f"{p.relative_to(ROOT)}:{i}" for folder in ("dashboard", "loaders", "geodata", "scripts", "tests")
            for p in (ROOT / folder).rglob("*.py") if "static" not in p.parts
            for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
            if re.search(r"sys\.path\.(insert|append)\(", line) and p.name != "test_architecture.py"]
    assert hits == [], hits


def test_declared_import_contracts_hold() -> None:
    """pyproject.toml's [tool.importlinter] contracts: the dashboard's layers (each imports only
    from those below it), screens independent of each other, no Streamlit below the pages."""
    import subprocess
    import sys

    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout


def _cycles(graph, modules: set[str]) -> list[list[str]]:  # noqa: ANN001 - grimp ImportGraph
    """Every import cycle, as one chain per edge that closes one (lazy imports in functions count)."""
    found = []
    for importer in sorted(modules):
        for imported in sorted(graph.find_modules_directly_imported_by(importer) & modules):
            back = graph.find_shortest_chain(importer=imported, imported=importer)
            if back:
                found.append([importer, *back])
    return found


def test_no_import_cycles_anywhere() -> None:
    """Zero cycles between any two modules of the project, scripts and their benchmark included."""
    import grimp

    graph = grimp.build_graph("dashboard", "loaders", "geodata", "scripts", cache_dir=None)
    modules = {m for m in graph.modules if m.split(".")[0] in {"dashboard", "loaders", "geodata", "scripts"}}
    assert len(modules) > 60
    assert _cycles(graph, modules) == []


def test_cycle_check_finds_a_cycle(tmp_path, monkeypatch) -> None:
    """The check above can fail: two modules that import each other (one lazily) are found."""
    import grimp

    pkg = tmp_path / "cyclepkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from cyclepkg import b\n")
    (pkg / "b.py").write_text("def f():\n    from cyclepkg import a\n    return a\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    graph = grimp.build_graph("cyclepkg", cache_dir=None)
    assert _cycles(graph, set(graph.modules)) == [["cyclepkg.a", "cyclepkg.b", "cyclepkg.a"],
                                                   ["cyclepkg.b", "cyclepkg.a", "cyclepkg.b"]]
