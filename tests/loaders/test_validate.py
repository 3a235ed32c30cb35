"""The last gate before the store: frames that break the declared contract are refused."""
from __future__ import annotations

import pandas as pd
import pandera.errors
import pytest

from loaders.schema import LAYERS, STORE_COLUMNS, TABLE_COLUMNS, empty_layer
from loaders.validate import STORE_SCHEMAS, _plainly_valid, check_store_frame


def _projects(**overrides: object) -> pd.DataFrame:
    row = {"project_id": "P1", "name": "示例", "street": "丰台街道", "zone_ids": ",lize,",
           "placement": "coordinates", "lon": 116.3, "lat": 39.85, "status": "reserve", "level": "district",
           "industry": "finance", "investment_total": 1.5, "schedule": "on_track", "source_file": "p.csv",
           "source_row": 2}
    row.update(overrides)
    frame = pd.DataFrame(empty_layer("projects").drop(columns="geometry"))
    return pd.concat([frame, pd.DataFrame([row])], ignore_index=True).astype(
        {c: t for c, t in LAYERS["projects"].dtypes.items() if t != "str"})


def _zone_stats(**overrides: object) -> pd.DataFrame:
    row = {c: 0 for c in TABLE_COLUMNS["zone_stats"]}
    row.update(zone_id="lize", coverage_m=1000.0, as_of=pd.Timestamp("2025-03-10"))
    row.update(overrides)
    return pd.DataFrame([row]).astype(LAYERS["zone_stats"].dtypes)


def test_every_declared_layer_and_table_has_a_schema() -> None:
    assert set(STORE_SCHEMAS) == set(LAYERS) and set(STORE_COLUMNS) | set(TABLE_COLUMNS) < set(LAYERS)
    for name, schema in STORE_SCHEMAS.items():
        assert list(schema.columns) == list(LAYERS[name].dtypes), name


def test_a_good_frame_passes() -> None:
    check_store_frame("projects", _projects())
    check_store_frame("zone_stats", _zone_stats(projects=2, projects_delayed=1, hotline_response_rate=0.5))


@pytest.mark.parametrize("overrides", [{"street": None}, {"zone_ids": "lize"}, {"status": "done"},
                                       {"lon": 121.5}, {"investment_total": -1.0}, {"schedule": "late"},
                                       {"days_late": 0}, {"project_id": None}])
def test_contract_breaks_are_refused(overrides: dict) -> None:
    with pytest.raises(pandera.errors.SchemaErrors):
        check_store_frame("projects", _projects(**overrides))


def test_a_missing_declared_column_is_refused() -> None:
    with pytest.raises(pandera.errors.SchemaErrors, match="source_row"):
        check_store_frame("projects", _projects().drop(columns="source_row"))


def test_a_wrong_dtype_is_refused() -> None:
    with pytest.raises(pandera.errors.SchemaErrors, match="source_row"):
        check_store_frame("projects", _projects().astype({"source_row": "float64"}))


@pytest.mark.parametrize("overrides", [{"hotline_response_rate": 1.5}, {"projects": 1, "projects_delayed": 2},
                                       {"hotline_responded": 3, "hotline_responded_known": 2},
                                       {"zone_id": None}, {"coverage_m": -1.0}])
def test_stats_promises(overrides: dict) -> None:
    with pytest.raises(pandera.errors.SchemaErrors):
        check_store_frame("zone_stats", _zone_stats(**overrides))


def test_a_code_given_twice_is_refused_but_many_missing_codes_are_fine() -> None:
    base = pd.DataFrame(empty_layer("communities").drop(columns="geometry"))
    rows = [{"community_id": f"丰台街道/{n}", "name": n, "street": "丰台街道", "zone_ids": "",
             "placement": "street", "source_file": "c.csv", "source_row": i, "code": None}
            for i, n in enumerate(["甲", "乙"], start=2)]
    frame = pd.concat([base, pd.DataFrame(rows)], ignore_index=True).astype({"source_row": "int64"})
    check_store_frame("communities", frame)
    with pytest.raises(pandera.errors.SchemaErrors, match="code"):
        check_store_frame("communities", frame.assign(code="C1"))


def test_link_rows_are_unique() -> None:
    links = pd.DataFrame({"layer": ["projects"] * 2, "record_id": ["P1"] * 2, "zone_id": ["lize"] * 2})
    check_store_frame("zone_members", links.iloc[:1])
    with pytest.raises(pandera.errors.SchemaErrors):
        check_store_frame("zone_members", links)
    with pytest.raises(pandera.errors.SchemaErrors):
        check_store_frame("zone_members", links.iloc[:1].assign(layer="parks"))


@pytest.mark.parametrize("layer, frame", [
    *[("projects", _projects(**o)) for o in ({"street": None}, {"zone_ids": "lize"}, {"status": "done"},
                                             {"lon": 121.5}, {"investment_total": -1.0}, {"days_late": 0},
                                             {"project_id": None})],
    ("projects", _projects().drop(columns="source_row")), ("projects", _projects().astype({"source_row": "float64"})),
    *[("zone_stats", _zone_stats(**o)) for o in ({"hotline_response_rate": 1.5}, {"projects": 1, "projects_delayed": 2},
                                                 {"zone_id": None}, {"coverage_m": -1.0})],
])
def test_the_fast_path_never_vouches_for_a_broken_frame(layer: str, frame: pd.DataFrame) -> None:
    """``check_store_frame`` skips pandera when ``_plainly_valid`` vouches for a frame: it must not
    for any broken promise (pandera then names it), and must for good frames (else it saves nothing)."""
    assert _plainly_valid(LAYERS["projects"], _projects())
    assert _plainly_valid(LAYERS["zone_stats"], _zone_stats(projects=2, projects_delayed=1))
    assert not _plainly_valid(LAYERS[layer], frame)
