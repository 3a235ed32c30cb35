"""Canonical names of Fengtai's 26 township-level units, their codes and aliases.

Codes and canonical names follow the public administrative-code tables after the
2021 re-division (see ``../shared/reference/fengtai_units.csv`` and ``geodata/README.md``).
"""
from __future__ import annotations

import re
import unicodedata

# code -> (canonical name, English name, kind)
UNITS: dict[str, tuple[str, str, str]] = {
    "110106001000": ("右安门街道", "Youanmen", "街道"),
    "110106002000": ("太平桥街道", "Taipingqiao", "街道"),
    "110106003000": ("西罗园街道", "Xiluoyuan", "街道"),
    "110106004000": ("大红门街道", "Dahongmen", "街道"),
    "110106005000": ("南苑街道", "Nanyuan", "街道"),
    "110106006000": ("东高地街道", "Donggaodi", "街道"),
    "110106007000": ("东铁匠营街道", "Dongtiejiangying", "街道"),
    "110106008000": ("六里桥街道", "Liuliqiao", "街道"),
    "110106009000": ("丰台街道", "Fengtai", "街道"),
    "110106010000": ("新村街道", "Xincun", "街道"),
    "110106011000": ("长辛店街道", "Changxindian", "街道"),
    "110106012000": ("云岗街道", "Yungang", "街道"),
    "110106013000": ("方庄街道", "Fangzhuang", "街道"),
    "110106014000": ("宛平街道", "Wanping", "街道"),
    "110106015000": ("马家堡街道", "Majiapu", "街道"),
    "110106016000": ("和义街道", "Heyi", "街道"),
    "110106017000": ("卢沟桥街道", "Lugouqiao", "街道"),
    "110106018000": ("花乡街道", "Huaxiang", "街道"),
    "110106020000": ("成寿寺街道", "Chengshousi", "街道"),
    "110106021000": ("石榴庄街道", "Shiliuzhuang", "街道"),
    "110106022000": ("玉泉营街道", "Yuquanying", "街道"),
    "110106023000": ("看丹街道", "Kandan", "街道"),
    "110106024000": ("五里店街道", "Wulidian", "街道"),
    "110106025000": ("青塔街道", "Qingta", "街道"),
    "110106100000": ("北宫镇", "Beigong", "镇"),
    "110106101000": ("王佐镇", "Wangzuo", "镇"),
}

CANONICAL_NAMES: tuple[str, ...] = tuple(v[0] for v in UNITS.values())
CODE_BY_NAME: dict[str, str] = {v[0]: k for k, v in UNITS.items()}

# Old names that map to exactly one of today's units.
_OLD_UNAMBIGUOUS: dict[str, str] = {
    "方庄地区": "方庄街道",
    "方庄地区办事处": "方庄街道",
    "宛平城地区": "宛平街道",
    "宛平地区": "宛平街道",
    "宛平城": "宛平街道",
    "北宫镇地区": "北宫镇",
    "王佐镇地区": "王佐镇",
    "北宫地区": "北宫镇",
    "王佐地区": "王佐镇",
}

# Former townships dissolved in the 2021 re-division and shared out among several of
# today's units: a name alone cannot place a record (see shared/reference/README.md).
SPLIT_OLD_NAMES: dict[str, str] = {
    "南苑乡": "南苑乡（南苑地区）",
    "南苑地区": "南苑乡（南苑地区）",
    "花乡乡": "花乡乡（花乡地区）",
    "花乡地区": "花乡乡（花乡地区）",
    "卢沟桥乡": "卢沟桥乡（卢沟桥地区）",
    "卢沟桥地区": "卢沟桥乡（卢沟桥地区）",
    "长辛店镇": "长辛店镇",
}

_SUFFIXES = ("街道办事处", "街道办", "街道", "地区办事处", "镇人民政府", "镇政府", "镇", "乡", "地区")


def normalise_text(value: str) -> str:
    """Full-width to half-width (NFKC), trimmed, inner whitespace removed."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(value)))


def _short(name: str) -> str:
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


def build_alias_table() -> dict[str, str]:
    """Every accepted spelling (normalised) -> canonical name."""
    table: dict[str, str] = {}
    for code, (name, name_en, _kind) in UNITS.items():
        short = _short(name)
        for alias in (name, short, short + "街道办事处", short + "街道办", short + "地区",
                      code, code[:9], name_en.lower(), name_en.lower() + " subdistrict",
                      name_en.lower() + " town"):
            table[normalise_text(alias).lower()] = name
    for alias, name in _OLD_UNAMBIGUOUS.items():
        table[normalise_text(alias).lower()] = name
    # The district prefix is often written in front of the unit name.
    for alias, name in list(table.items()):
        table.setdefault("丰台区" + alias, name)
        table.setdefault("北京市丰台区" + alias, name)
    for old in SPLIT_OLD_NAMES:
        table.pop(normalise_text(old).lower(), None)
    return table


ALIASES: dict[str, str] = build_alias_table()


def aliases_of(name: str) -> list[str]:
    """The human-readable aliases of one canonical unit (for the streets layer)."""
    short = _short(name)
    extra = [a for a, n in _OLD_UNAMBIGUOUS.items() if n == name]
    if name == "六里桥街道":
        extra.append("卢沟桥街道（2021年前名称）")
    return [short, *extra]


def resolve_street(value: object) -> tuple[str | None, str | None]:
    """Map a street name as written in agency data to its canonical name.

    Returns ``(canonical, None)`` or ``(None, reason)`` where the reason says why the
    value cannot be resolved in words a person understands.
    """
    if value is None or (isinstance(value, float) and value != value):
        return None, "未填写所属街镇"
    text = normalise_text(value)
    if not text:
        return None, "未填写所属街镇"
    key = text.lower()
    for prefix in ("北京市丰台区", "丰台区", "北京市"):
        if key.startswith(prefix) and key != prefix:
            key = key[len(prefix):]
            break
    if key in ALIASES:
        return ALIASES[key], None
    if text in SPLIT_OLD_NAMES or key in SPLIT_OLD_NAMES:
        old = SPLIT_OLD_NAMES.get(text) or SPLIT_OLD_NAMES[key]
        return None, (f"“{text}”是2021年区划调整前的乡镇名称，{old}已拆分划入多个现街道，"
                      "仅凭名称无法确定现属街镇；请补充坐标或填写现街镇名称")
    return None, f"“{text}”不是丰台区现有的26个街镇之一，也不是已知的别名或旧称"
