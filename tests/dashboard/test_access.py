"""The access switch of the data contract, decided in one place."""
from __future__ import annotations

import pytest

from dashboard.config import ConfigError, load_settings
from dashboard.security.access import AccessError, Viewer, choose_store, visible_columns


def test_no_users_serves_the_sample(tmp_path):
    sample = str(tmp_path / "sample.gpkg")
    choice = choose_store(load_settings({}), sample)
    assert choice.is_bundled_sample and choice.target == sample


def test_other_store_without_users_is_refused(tmp_path):
    with pytest.raises(AccessError, match="DASHBOARD_AUTH=none"):
        choose_store(load_settings({"DASHBOARD_STORE": str(tmp_path / "real.gpkg")}), str(tmp_path / "s.gpkg"))


def test_auth_none_opens_other_store(tmp_path):
    settings = load_settings({"DASHBOARD_STORE": str(tmp_path / "real.gpkg"), "DASHBOARD_AUTH": "none"})
    choice = choose_store(settings, str(tmp_path / "s.gpkg"))
    assert not choice.is_bundled_sample and settings.open_access


def test_users_file_serves_any_store_behind_the_sign_in(tmp_path):
    """With a users file every page asks to sign in first (dashboard.auth), so any store may be served."""
    settings = load_settings({"DASHBOARD_USERS": str(tmp_path / "users.json"),
                              "DASHBOARD_STORE": str(tmp_path / "real.gpkg")})
    choice = choose_store(settings, str(tmp_path / "s.gpkg"))
    assert choice.target == str(tmp_path / "real.gpkg") and not choice.is_bundled_sample
    assert settings.sign_in_required and not settings.open_access


def test_personal_columns_hidden_without_roles():
    cols = visible_columns("enterprises", ["uscc", "name", "contact_person", "contact_phone"], Viewer())
    assert cols == ["uscc", "name"]


@pytest.mark.parametrize("env", [{"DASHBOARD_BASEMAP": "google"}, {"DASHBOARD_AUTH": "off"},
                                 {"DASHBOARD_BASEMAP": "tianditu"}])
def test_bad_settings_name_the_variable(env):
    with pytest.raises(ConfigError, match=next(iter(env))):
        load_settings(env)



def test_refusal_message_never_shows_a_database_password(tmp_path):
    settings = load_settings({"DASHBOARD_STORE": "postgresql://analyst:s3cret@db.example:5432/ft"})
    with pytest.raises(AccessError) as refused:
        choose_store(settings, str(tmp_path / "s.gpkg"))
    assert "s3cret" not in str(refused.value) and "analyst:***@db.example" in str(refused.value)
