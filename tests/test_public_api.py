"""The public API is what `novu_mock.__all__` lists: sorted, complete, importable."""

from __future__ import annotations

import novu_mock


def test_all_is_sorted_and_names_exist() -> None:
    assert novu_mock.__all__ == sorted(novu_mock.__all__, key=lambda n: (not n.isupper(), n))
    for name in novu_mock.__all__:
        assert hasattr(novu_mock, name), name


def test_every_public_attribute_is_listed() -> None:
    public = {
        name
        for name, value in vars(novu_mock).items()
        if not name.startswith("_") and not isinstance(value, type(novu_mock))
    }
    assert public == set(novu_mock.__all__) - {"__version__"}
