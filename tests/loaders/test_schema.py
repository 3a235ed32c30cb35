"""loaders.schema: one declaration per layer, and what is derived from it."""
from __future__ import annotations

import pytest

from loaders.read import alias_table
from loaders.schema import (
    ALL_LAYERS,
    INPUT_COLUMNS,
    LAYERS,
    PERSONAL_COLUMNS,
    POINT_LAYERS,
    RECORD_ID,
    STORE_COLUMNS,
    TABLE_COLUMNS,
    TABLES,
    Column,
    empty_layer,
    empty_table,
)


def test_every_layer_and_table_is_declared_once() -> None:
    assert set(LAYERS) == {*ALL_LAYERS, *TABLES, "build_report"}
    for name, layer in LAYERS.items():
        names = [c.name for c in layer.columns]
        assert len(names) == len(set(names)), name
        assert (layer.geometry is None) == (name not in ALL_LAYERS), name


def test_derived_lists() -> None:
    assert STORE_COLUMNS["communities"][0] == "community_id" and "covered" in STORE_COLUMNS["communities"]
    assert {"schedule", "days_late", "planned_start", "planned_completion", "investment_done"} \
        <= set(STORE_COLUMNS["projects"])
    assert "zone" not in STORE_COLUMNS["projects"] and "zone" in [c.name for c in INPUT_COLUMNS["projects"]]
    assert TABLE_COLUMNS["zone_members"] == ("layer", "record_id", "zone_id")
    assert PERSONAL_COLUMNS["enterprises"] == ("contact_person", "contact_phone")
    assert PERSONAL_COLUMNS["needs"] == ("summary",)
    assert not any(PERSONAL_COLUMNS[layer] for layer in POINT_LAYERS if layer not in ("enterprises", "needs"))
    assert RECORD_ID == {"projects": "project_id", "enterprises": "uscc", "stations": "station_id",
                         "hotline": "case_id", "communities": "community_id", "needs": "need_id"}


def test_plan_dates_have_their_own_headers() -> None:
    """计划开工/竣工 are plans, not the actual start and completion."""
    aliases = alias_table(INPUT_COLUMNS["projects"])
    assert aliases["计划开工时间"] == aliases["计划开工日期"] == "planned_start"
    assert aliases["计划竣工时间"] == aliases["计划完工时间"] == aliases["计划竣工日期"] == "planned_completion"
    assert aliases["开工时间"] == "start_date" and aliases["竣工时间"] == "completion_date"
    assert aliases["累计完成投资"] == aliases["完成投资"] == aliases["已完成投资"] == "investment_done"
    done = LAYERS["projects"].column("investment_done")
    assert (done.unit, done.minimum, done.parse) == ("亿元", 0, "number")


def test_community_input_columns() -> None:
    aliases = alias_table(INPUT_COLUMNS["communities"])
    assert aliases["社区名称"] == aliases["村名称"] == aliases["名称"] == "name"
    assert aliases["所属街镇"] == "street" and aliases["常住人口"] == aliases["人口"] == "population"
    assert aliases["社区代码"] == "code" and aliases["经度"] == "lon" and aliases["坐标系"] == "coord_sys"
    layer = LAYERS["communities"]
    assert layer.column("name").required and not layer.column("code").required
    assert layer.column("code").is_unique and layer.column("code").is_nullable


@pytest.mark.parametrize("name", ALL_LAYERS)
def test_empty_layer_has_every_store_column_with_its_dtype(name: str) -> None:
    frame = empty_layer(name)
    assert list(frame.columns) == [*STORE_COLUMNS[name], "geometry"] and len(frame) == 0
    assert frame.crs.to_epsg() == 4326
    assert {c: str(t) for c, t in frame.dtypes.items() if c != "geometry"} == LAYERS[name].dtypes


def test_empty_table_and_unknown_names() -> None:
    assert list(empty_table("zone_stats").columns) == list(TABLE_COLUMNS["zone_stats"])
    assert str(empty_table("hotline_monthly")["month"].dtype) == "datetime64[ms]"
    with pytest.raises(ValueError, match="projects"):
        empty_layer("parks")
    with pytest.raises(ValueError, match="zone_stats"):
        empty_table("projects")


def test_a_column_must_name_known_kinds() -> None:
    with pytest.raises(ValueError, match="type 'money'"):
        Column("x", "money")
    with pytest.raises(ValueError, match="parse 'fancy'"):
        Column("x", parse="fancy")


def test_store_reads_back_the_declared_dtypes(places_build) -> None:  # noqa: ANN001
    _, store = places_build
    for name in store.layers():
        frame = store.read(name)
        declared = LAYERS[name].dtypes
        assert {c: str(t) for c, t in frame.dtypes.items() if c != "geometry"} == declared, name
