"""The brief's CJK font: the bundled TrueType font is found, loads in reportlab and is embedded as a
subset with searchable Chinese, even on a machine with no system font at all.

The last test hides every system font directory for real (tmpfs over them in a private mount
namespace, ``unshare``) and makes a PDF there in a fresh interpreter.
"""
from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from importlib import resources
from pathlib import Path

import pytest
from pypdf import PdfReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas

from dashboard.briefing import fonts

REPO_ROOT = Path(__file__).resolve().parents[2]
TEXT = "丰台区丽泽金融商务区 Fengtai"
NOWHERE = (("/nonexistent/fonts/wqy-zenhei.ttc", 0), ("/nonexistent/fonts/uming.ttc", 0))
# Every directory a font could come from on Debian; each present one is covered by an empty tmpfs.
FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts", "~/.fonts", "~/.local/share/fonts")


def _bundled_path() -> str:
    return str(resources.files(fonts.BUNDLED_PACKAGE).joinpath(*fonts.BUNDLED_FILE))


def _draw(font: str) -> bytes:
    buffer = io.BytesIO()
    canvas = Canvas(buffer, invariant=1)
    canvas.setFont(font, 14)
    canvas.drawString(72, 720, TEXT)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _check_pdf(pdf: bytes, text: str | None = None) -> None:
    """The Chinese reads back, and every TrueType font is an embedded subset (FontFile2, 'ABCDEF+')."""
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    assert re.sub(r"\s+", "", text or TEXT) in re.sub(r"\s+", "", page.extract_text())
    truetype = [f.get_object() for f in page["/Resources"]["/Font"].values()
                if f.get_object()["/Subtype"] == "/TrueType"]
    assert truetype, "no TrueType font in the PDF"
    for font in truetype:
        assert re.fullmatch(r"/[A-Z]{6}\+WenQuanYiMicroHei.*", str(font["/BaseFont"])), font["/BaseFont"]
        assert "/FontFile2" in font["/FontDescriptor"].get_object(), "font not embedded"
        assert "/ToUnicode" in font


def test_candidates_are_system_fonts_then_the_bundled_one() -> None:
    candidates = fonts.cjk_font_candidates()
    assert candidates[:-1] == list(fonts.SYSTEM_FONT_CANDIDATES)
    path, index = candidates[-1]
    assert (path, index) == (_bundled_path(), 0)
    assert Path(path).is_file() and "site-packages" in Path(path).parts


def test_bundled_font_registers_without_system_fonts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fonts, "SYSTEM_FONT_CANDIDATES", NOWHERE)
    assert fonts.register_cjk_font("TestBundledCJK") == _bundled_path()
    face = pdfmetrics.getFont("TestBundledCJK").face
    assert face.name.startswith(b"WenQuanYiMicroHei") or face.name.startswith("WenQuanYiMicroHei")
    # Idempotent: the same path, the same registered font object.
    registered = pdfmetrics.getFont("TestBundledCJK")
    assert fonts.register_cjk_font("TestBundledCJK") == _bundled_path()
    assert pdfmetrics.getFont("TestBundledCJK") is registered


def test_pdf_embeds_a_searchable_subset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fonts, "SYSTEM_FONT_CANDIDATES", NOWHERE)
    fonts.register_cjk_font("TestSubsetCJK")
    _check_pdf(_draw("TestSubsetCJK"))


def test_unloadable_fonts_are_skipped(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    broken = tmp_path / "broken.ttf"
    broken.write_bytes(b"OTTO" + bytes(200))  # neither TrueType nor a font at all
    monkeypatch.setattr(fonts, "SYSTEM_FONT_CANDIDATES", ((str(broken), 0), *NOWHERE))
    assert fonts.register_cjk_font("TestSkipCJK") == _bundled_path()


def test_no_font_says_so_in_both_languages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fonts, "SYSTEM_FONT_CANDIDATES", NOWHERE)
    monkeypatch.setattr(fonts, "bundled_font", lambda: None)
    with pytest.raises(fonts.FontMissing) as raised:
        fonts.register_cjk_font("TestMissingCJK")
    message = str(raised.value)
    assert "找不到可嵌入的中文" in message and "No embeddable CJK TrueType font" in message
    assert "paperang-p2-fonts-cjk" in message and NOWHERE[0][0] in message
    assert "TestMissingCJK" not in pdfmetrics.getRegisteredFontNames()


# Runs in the namespace, after the font directories are hidden: facts only, asserted by the test.
NAMESPACE_SCRIPT = textwrap.dedent("""
    import io, json, os, sys
    from pypdf import PdfReader
    from reportlab.pdfgen.canvas import Canvas
    from dashboard.briefing import fonts

    listing = {d: sorted(os.listdir(d)) if os.path.isdir(d) else None
               for d in map(os.path.expanduser, json.loads(sys.argv[2]))}
    # Asserted here too: the namespace really hides the system fonts.
    assert listing["/usr/share/fonts"] in ([], None), listing
    path = fonts.register_cjk_font("NamespaceCJK")
    buffer = io.BytesIO()
    canvas = Canvas(buffer, invariant=1)
    canvas.setFont("NamespaceCJK", 14)
    canvas.drawString(72, 720, sys.argv[3])
    canvas.showPage()
    canvas.save()
    with open(sys.argv[1], "wb") as out:
        out.write(buffer.getvalue())
    print(json.dumps({"listing": listing, "path": path,
                      "system_fonts_seen": [p for p, _ in fonts.SYSTEM_FONT_CANDIDATES if os.path.exists(p)],
                      "text": PdfReader(io.BytesIO(buffer.getvalue())).pages[0].extract_text()}))
""")
# Cover each font directory that exists with an empty tmpfs, then run the command given.
HIDE = ('set -e; for d in /usr/share/fonts /usr/local/share/fonts "$HOME/.fonts" "$HOME/.local/share/fonts"; do'
        ' if [ -d "$d" ]; then mount -t tmpfs -o size=1m,mode=0755 tmpfs "$d"; fi; done; exec "$@"')


def _unshare() -> list[str]:
    """The unshare command for a private mount namespace (as root, or as a user mapped to root)."""
    return ["unshare", "--mount"] if os.geteuid() == 0 else ["unshare", "--mount", "--map-root-user"]


def _unavailable(reason: str) -> None:
    message = f"cannot hide the system fonts in a private mount namespace: {reason}"
    if os.environ.get("CI"):
        pytest.fail(message + " (CI must run this test: run it as root, or allow unprivileged user namespaces)")
    pytest.skip(message)


def test_brief_font_with_every_system_font_directory_hidden(tmp_path: Path) -> None:
    if shutil.which("unshare") is None:
        _unavailable("no unshare command (util-linux)")
    probe_dir = tmp_path / "probe"
    probe_dir.mkdir()
    probe = subprocess.run([*_unshare(), "mount", "-t", "tmpfs", "tmpfs", str(probe_dir)],
                           capture_output=True, text=True, timeout=60)
    if probe.returncode != 0:
        _unavailable(f"{' '.join(_unshare())} + mount failed: {probe.stderr.strip()}")

    pdf_path = tmp_path / "brief.pdf"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))}
    run = subprocess.run([*_unshare(), "sh", "-c", HIDE, "sh", sys.executable, "-c", NAMESPACE_SCRIPT,
                          str(pdf_path), json.dumps(FONT_DIRS), TEXT],
                         capture_output=True, text=True, timeout=300, cwd=REPO_ROOT, env=env)
    assert run.returncode == 0, run.stderr
    facts = json.loads(run.stdout.strip().splitlines()[-1])
    assert facts["listing"]["/usr/share/fonts"] in ([], None), facts["listing"]
    assert all(entries in ([], None) for entries in facts["listing"].values()), facts["listing"]
    assert facts["system_fonts_seen"] == []
    assert facts["path"] == _bundled_path()
    assert re.sub(r"\s+", "", TEXT) in re.sub(r"\s+", "", facts["text"])
    _check_pdf(pdf_path.read_bytes())
    # The mounts were private: outside the namespace nothing covers the system font directory.
    assert "/usr/share/fonts" not in [line.split()[4] for line in Path("/proc/self/mountinfo").read_text().splitlines()]


def test_the_zone_brief_command_with_every_system_font_directory_hidden(tmp_path: Path) -> None:
    """Issue 18.1 end to end: ``python -m dashboard.brief`` on the sample store, in a namespace
    with no system font at all, writes the brief; its Chinese reads back from the PDF."""
    from loaders.build import ensure_sample_store
    from loaders.store import default_store_path

    if shutil.which("unshare") is None:
        _unavailable("no unshare command (util-linux)")
    ensure_sample_store()
    out = tmp_path / "lize.pdf"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))}
    run = subprocess.run([*_unshare(), "sh", "-c", HIDE, "sh",
                          sys.executable, "-m", "dashboard.brief", "--store", str(default_store_path()),
                          "--zone", "lize", "--out", str(out)],
                         capture_output=True, text=True, timeout=300, cwd=REPO_ROOT, env=env)
    if run.returncode != 0 and "mount" in run.stderr and "permission" in run.stderr.lower():
        _unavailable(run.stderr.strip())
    assert run.returncode == 0, run.stderr[-2000:]
    _check_pdf(out.read_bytes(), "丽泽金融商务区")
    _check_pdf(out.read_bytes(), "重大项目")
