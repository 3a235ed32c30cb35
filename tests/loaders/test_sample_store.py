"""The bundled sample store is rebuilt when the code that built it changed (never silently stale)."""
from __future__ import annotations

import shutil

from loaders import build as build_module


def test_sample_store_rebuilt_only_when_the_code_changed(tmp_path, monkeypatch):
    source = build_module.ensure_sample_store()
    copy = tmp_path / "sample.gpkg"
    shutil.copy(source, copy)
    calls: list[str] = []
    monkeypatch.setattr(build_module, "build", lambda src, target, **kw: calls.append(target))
    assert build_module.ensure_sample_store(copy) == str(copy)
    assert calls == []  # same code: the store is current
    monkeypatch.setattr(build_module, "code_version", lambda: "changed-loader")
    build_module.ensure_sample_store(copy)
    assert calls == [str(copy)]
    copy.write_bytes(b"not a store")  # unreadable: rebuilt, not an error
    build_module.ensure_sample_store(copy)
    assert len(calls) == 2


def test_code_version_follows_the_loader_files(tmp_path):
    assert build_module.code_version() == build_module.code_version()
    assert len(build_module.code_version()) == 16
