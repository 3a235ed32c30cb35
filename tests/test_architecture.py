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
