# The flat public API (DESIGN.md §3): every advertised name resolves to the object of the
# module that defines it, and BACKEND reflects the twins actually in use.
import importlib

import pytest

import tls12fast
from tls12fast import _speedups


@pytest.mark.parametrize("name", sorted(tls12fast._WHERE))
def test_public_name_resolves_to_its_module(name):
    module = importlib.import_module(f"tls12fast.{tls12fast._WHERE[name]}")
    assert getattr(tls12fast, name) is getattr(module, name)


def test_all_lists_every_public_name():
    assert set(tls12fast._WHERE) <= set(tls12fast.__all__)
    assert "BACKEND" in tls12fast.__all__


def test_unknown_attribute():
    with pytest.raises(AttributeError):
        tls12fast.no_such_name  # noqa: B018


def test_backend_matches_loaded_twins():
    assert tls12fast.BACKEND in ("cython", "python")
    assert tls12fast.BACKEND == _speedups.DEFAULT.name
    expected = "_c" if tls12fast.BACKEND == "cython" else "_py"
    assert _speedups.DEFAULT.prf.__name__.endswith(expected)
    assert tls12fast.prf is _speedups.DEFAULT.prf.prf


def test_every_exception_is_a_tlserror():
    for name in tls12fast._EXPORTS["errors"]:
        assert issubclass(getattr(tls12fast, name), tls12fast.TLSError)


def test_twins_export_identical_names(twin):
    for hot in ("prf", "record", "codec", "aead"):
        assert sorted(getattr(twin, hot).__all__) == sorted(getattr(_speedups.PYTHON, hot).__all__)
