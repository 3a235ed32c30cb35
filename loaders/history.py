"""The store remembers: what a build reads of the store it replaces, and the ``history`` command.

A build writes a whole new store and swaps it in (``loaders.store``); the rows of
``stats_history`` survive because the build reads the target's current history first
(:func:`read_previous`), adds its own day (``loaders.change.merge_history``) and writes the
whole table in the same atomic write as every other layer. A failed build writes nothing,
so it adds nothing. The previous build's projects (``project_id``, ``schedule``), ``as_of``
and alerts are read at the same time for the ``project_newly_delayed`` rule.

``python -m loaders history --store TARGET --list`` lists the days the history holds;
``--drop YYYY-MM-DD`` removes one wrong day (:func:`drop_day`). Dropping reads every layer
and table of the store through its public API and writes them back through the same
``write_all`` a build uses, under the build lock: the same atomic swap, so a reader sees the
store before or after, never half, and nothing else changes (the build report is kept, with
the edit noted in ``history_edits``). No rebuild from the source files is needed. The alerts
the last build stored are not recomputed; the next build's are computed on the edited history.

On PostGIS these reads go through the build's connections (its longer statement limit), not
the readers' that bound the pages: they are part of a build (:class:`_BuildReads`, a
``PostGISStore`` whose ``engine`` is its ``build_engine``; ``loaders.store`` is unchanged).
"""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from loaders.change import PreviousBuild, drop_days, empty_history
from loaders.errors import BuildError
from loaders.indicators import as_of_date
from loaders.report import Warning
from loaders.schema import ALERTS, REPORT_LAYER, STATS_HISTORY
from loaders.store import PostGISStore, open_store, redact_target


class _BuildReads(PostGISStore):
    """A PostGIS store whose reads use the build's connections (``build_engine``: a build's own,
    longer statement limit) instead of the readers' (``engine``, bounded for pages): what a
    build or a history edit reads is part of that build, and a large store must not time out
    on the readers' limit."""

    @property
    def engine(self):  # noqa: ANN201 - sqlalchemy.Engine
        return self.build_engine


def _open(target: str) -> object:
    """The store at ``target``, reading as a build does (:class:`_BuildReads` for PostGIS)."""
    store = open_store(target)
    return _BuildReads(store.target) if isinstance(store, PostGISStore) else store


def _exists(store: object) -> bool:
    """Whether there is a store at all (a GeoPackage file; PostGIS: the database answers)."""
    path = getattr(store, "path", None)
    return path is None or Path(path).exists()


def read_previous(target: str) -> PreviousBuild:
    """The store at ``target`` as the next build needs it (:class:`loaders.change.PreviousBuild`).

    No store yet: empty history, no previous projects, no warning. A ``stats_history`` that
    exists but cannot be read: empty history and a ``history_unreadable`` warning (the build
    then starts the history again; the message says so). Projects that cannot be read: no
    ``project_newly_delayed`` baseline and a ``previous_build_unreadable`` warning. A PostGIS
    server that cannot be reached is the build's :class:`BuildError` (it could not write either).
    Reads use the build's database limits (:class:`_BuildReads`).
    """
    store = _open(target)
    out = PreviousBuild()
    if not _exists(store):
        return out
    name = redact_target(target)
    try:
        layers = store.layers()
    except BuildError:
        raise
    except Exception as exc:  # noqa: BLE001 - an unreadable file: the build replaces it, and says so
        out.warnings.append(_history_warning(name, exc))
        return out
    if STATS_HISTORY in layers:
        try:
            out.history = store.read(STATS_HISTORY)
            _require(out.history, ("as_of", "level", "key"))
        except Exception as exc:  # noqa: BLE001 - see the docstring
            out.warnings.append(_history_warning(name, exc))
            out.history = empty_history()
    if "projects" in layers:
        try:
            out.projects = store.read("projects", columns=["project_id", "schedule"])
            out.projects = pd.DataFrame(out.projects.drop(columns="geometry", errors="ignore"))
            _require(out.projects, ("project_id", "schedule"))
        except Exception as exc:  # noqa: BLE001 - see the docstring
            out.projects = None
            out.warnings.append(Warning(
                layer="projects", value=name, kind="previous_build_unreadable",
                message=f"无法读取 {name} 中上次构建的项目（{type(exc).__name__}），本次不判断“项目新增滞后”预警",
                message_en=f"The previous build's projects in “{name}” could not be read ({type(exc).__name__}); "
                           "no project_newly_delayed alert is raised this time."))
    if REPORT_LAYER in layers:
        try:
            day = store.read_report().get("as_of")
            out.as_of = as_of_date(pd.Timestamp(day)) if day else None
        except Exception:  # noqa: BLE001 - an old or broken report: no baseline date
            out.as_of = None
    if out.as_of is None and len(out.history):
        out.as_of = pd.Timestamp(out.history["as_of"].max())
    if out.as_of is None:
        out.projects = None   # projects without a date are no baseline
    if ALERTS in layers:
        try:
            out.alerts = store.read(ALERTS)
        except Exception:  # noqa: BLE001 - only used to carry a same-day rebuild's alerts
            pass
    return out


def _require(frame: pd.DataFrame, columns: tuple[str, ...]) -> None:
    """A table read back lacking ``columns`` (written by other code) cannot be used."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise KeyError(f"missing columns {', '.join(missing)}")


def _history_warning(name: str, exc: Exception) -> Warning:
    return Warning(layer=STATS_HISTORY, value=name, kind="history_unreadable",
                   message=f"{name} 中已有的历史指标（stats_history）无法读取（{type(exc).__name__}: "
                           f"{str(exc)[:120]}），本次构建从空历史开始，只写入本次的指标",
                   message_en=f"The stats history already in “{name}” could not be read ({type(exc).__name__}); "
                              "this build starts the history afresh with its own figures only.")


def list_days(target: str) -> pd.DataFrame:
    """The days of ``target``'s history: ``as_of``, ``zones`` and ``streets`` (rows of each level)."""
    store = _open(target)
    if not _exists(store) or STATS_HISTORY not in store.layers():
        raise BuildError(f"{redact_target(target)} 中没有历史指标（stats_history）；请先运行 python -m loaders build "
                         "(the store has no stats_history yet).")
    history = store.read(STATS_HISTORY, columns=["as_of", "level", "key"])
    counts = pd.crosstab(history["as_of"], history["level"]).reindex(columns=["zone", "street"], fill_value=0)
    return counts.rename(columns={"zone": "zones", "street": "streets"}).rename_axis(None, axis=1).reset_index()


def drop_day(target: str, day: str | pd.Timestamp) -> int:
    """Remove the history rows of ``day`` from the store at ``target``; returns how many rows.

    Every layer and table is read and written back through the store's ``write_all`` (the
    build's atomic swap) under the build lock; nothing but ``stats_history`` and the report's
    ``history_edits`` changes. A day the history does not hold is a :class:`BuildError`
    (nothing is written).
    """
    store = _open(target)
    when = as_of_date(pd.Timestamp(day))
    with store.build_lock():
        if not _exists(store) or STATS_HISTORY not in store.layers():
            raise BuildError(f"{redact_target(target)} 中没有历史指标（stats_history），无可删除 "
                             "(the store has no stats_history).")
        frames = {name: store.read(name) for name in store.layers() if name != REPORT_LAYER}
        history = frames[STATS_HISTORY]
        kept = drop_days(history, [when])
        dropped = len(history) - len(kept)
        if dropped == 0:
            days = ", ".join(sorted({d.date().isoformat() for d in history["as_of"]}))
            raise BuildError(f"历史指标中没有 {when.date().isoformat()} 这一天，未做任何改动；现有日期：{days or '无'} "
                             f"(no history rows on {when.date().isoformat()}; nothing changed).")
        frames[STATS_HISTORY] = kept
        report = store.read_report()
        report.setdefault("history_edits", []).append({
            "dropped_as_of": when.date().isoformat(), "rows": int(dropped),
            "at": datetime.now(timezone.utc).astimezone().isoformat(timespec="seconds")})
        store.write_all(frames, report)
    return dropped
