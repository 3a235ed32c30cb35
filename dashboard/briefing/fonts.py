"""The brief's CJK font: which TrueType fonts reportlab may embed, and registering the first that loads.

reportlab's :class:`~reportlab.pdfbase.ttfonts.TTFont` embeds (as subsets, with a ToUnicode map,
so Chinese stays selectable and searchable) only TrueType ``glyf`` outlines; Debian's Noto CJK
and most PyPI Noto/Source Han packages are CFF-based OpenType and fail with a TTFError. So the
candidates are TrueType CJK fonts only:

1. system fonts where a machine has them (:data:`SYSTEM_FONT_CANDIDATES`: WenQuanYi Zen Hei from
   Debian's ``fonts-wqy-zenhei`` first, the look the brief was designed with), then
2. the bundled font, which ``pip install -r requirements.txt`` always brings: WenQuanYi Micro Hei
   (文泉驿微米黑 0.2.0-beta, ``wqy-microhei.ttc``, byte-identical to Debian's
   ``fonts-wqy-microhei``), shipped by the PyPI package ``paperang-p2-fonts-cjk`` (packaging
   MIT). The font's own licence is "Apache License 2.0 or GPLv3 with font embedding exception"
   (dual licensed; the font's name table says Apache-2.0): embedding subsets in a PDF is
   allowed (OS/2 fsType 8, editable embedding) and does not put the PDF under the GPL. It
   covers all 6,763 GB2312 hanzi and every CJK character the dashboard's texts and data use.

Only the standard library, reportlab and (located via :mod:`importlib.resources`, imported
lazily) the font package are imported here.
"""
from __future__ import annotations

import atexit
import contextlib
import threading
from importlib import resources
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont

# (path, index in a .ttc): TrueType-outline CJK fonts that reportlab can embed, first found wins.
SYSTEM_FONT_CANDIDATES: tuple[tuple[str, int], ...] = (
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", 0),
)
# The bundled font: package (requirements.txt pins it), file inside it, subfont index (0: proportional;
# 1 is "WenQuanYi Micro Hei Mono").
BUNDLED_PACKAGE = "paperang_p2_fonts_cjk"
BUNDLED_FILE: tuple[str, ...] = ("fonts", "wqy-microhei.ttc")
BUNDLED_INDEX = 0

_LOCK = threading.Lock()
_REGISTERED: dict[str, str] = {}  # reportlab font name -> the font file it was registered from
_EXTRACTED = contextlib.ExitStack()  # a zipped install's font, copied to a real file while we run
atexit.register(_EXTRACTED.close)


class FontMissing(RuntimeError):
    """No candidate font could be loaded by reportlab: the brief cannot embed Chinese text."""

    def __init__(self, tried: list[tuple[str, str]]) -> None:
        self.tried = tried
        looked = "; ".join(f"{path} ({why})" for path, why in tried) or "no candidates"
        super().__init__(
            "找不到可嵌入的中文 TrueType 字体：请运行 pip install -r requirements.txt"
            f"（安装 {BUNDLED_PACKAGE.replace('_', '-')}），或安装 fonts-wqy-zenhei。"
            f" No embeddable CJK TrueType font: run pip install -r requirements.txt (it installs"
            f" {BUNDLED_PACKAGE.replace('_', '-')}) or install fonts-wqy-zenhei. Tried: {looked}"
        )


def bundled_font() -> tuple[str, int] | None:
    """The bundled font's (path, subfont index), or None when its package is not installed."""
    try:
        font = resources.files(BUNDLED_PACKAGE).joinpath(*BUNDLED_FILE)
    except ModuleNotFoundError:
        return None
    if isinstance(font, Path):  # an ordinary (unzipped) install: the file itself
        return str(font), BUNDLED_INDEX
    if not font.is_file():
        return None
    # A zipped install: reportlab needs a real file, kept until the interpreter exits.
    return str(_EXTRACTED.enter_context(resources.as_file(font))), BUNDLED_INDEX


def cjk_font_candidates() -> list[tuple[str, int]]:
    """(path, subfont index) to try in order: the system TrueType fonts, then the bundled one."""
    candidates = list(SYSTEM_FONT_CANDIDATES)
    bundled = bundled_font()
    if bundled is not None:
        candidates.append(bundled)
    return candidates


def register_cjk_font(name: str) -> str:
    """Register the first candidate reportlab can load under ``name``; the font file's path.

    Idempotent: a name already registered here is not registered again (the same path is
    returned). Raises :class:`FontMissing` when no candidate loads.
    """
    with _LOCK:
        if name in _REGISTERED:
            return _REGISTERED[name]
        tried: list[tuple[str, str]] = []
        for path, index in cjk_font_candidates():
            if not Path(path).is_file():
                tried.append((path, "not found"))
                continue
            try:
                font = TTFont(name, path, subfontIndex=index)
            except (TTFError, OSError) as error:  # e.g. CFF outlines, a truncated file
                tried.append((path, f"{type(error).__name__}: {error}"))
                continue
            pdfmetrics.registerFont(font)
            _REGISTERED[name] = path
            return path
        raise FontMissing(tried)
