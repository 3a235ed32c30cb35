"""The last gate before the store: frames that break the contract are refused."""
from __future__ import annotations

import pandas as pd
import pandera.errors
import pytest

from loaders.validate import check_store_frame


def _projects(**overrides: object) -> pd.DataFrame:
    row = {"project_id": "P1", "street": "丰台街道", "zone_ids": ",lize,", "placement": "coordinates",
           "lon": 116.3, "lat": 39.85, "status": "reserve", "level": "district", "industry": "finance",
           "investment_total": 1.5}
    row.update(overrides)
    return pd.DataFrame([row])


def test_a_good_frame_passes() -> None:
    check_store_frame("projects", _projects())


@pytest.mark.parametrize("overrides", [{"street": None}, {"zone_ids": "lize"}, {"status": "done"},
                                       {"lon": 121.5}, {"investment_total": -1.0}])
def test_contract_breaks_are_refused(overrides: dict) -> None:
    with pytest.raises(pandera.errors.SchemaErrors):
        check_store_frame("projects", _projects(**overrides))
