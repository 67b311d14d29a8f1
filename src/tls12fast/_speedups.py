# Picks the compiled (Cython) or pure-Python twin of each hot module.
#
# The hot modules (_record, _prf, _codec, and _aead for session tickets) each exist twice
# with identical names, behaviour and exceptions: tls12fast._x_c (compiled from
# ext/tls12fast/_x_c.pyx) and tls12fast._x_py. `backend()` returns a Backend bundling one
# twin of each; the facades (_record.py, _prf.py, _codec.py, _aead.py) re-export the
# default one, and configs may pin another
# (this is how tests and `tls12fast bench` run both twins in one process).
#
#   TLS12FAST_NO_EXTENSIONS=1       always use the pure twins
#   TLS12FAST_REQUIRE_EXTENSIONS=1  a missing compiled twin is an ImportError
from __future__ import annotations

import importlib
import os
import platform
from types import ModuleType

HOT_MODULES = ("_record", "_prf", "_codec", "_aead")


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip() not in ("", "0", "false", "no")


NO_EXTENSIONS = _env_flag("TLS12FAST_NO_EXTENSIONS") or platform.python_implementation() != "CPython"
REQUIRE_EXTENSIONS = _env_flag("TLS12FAST_REQUIRE_EXTENSIONS")


class Backend:
    """One twin of each hot module, imported on first use.

    Attributes:
        name: "cython" or "python".
        record, prf, codec, aead: the twin modules.
    """

    __slots__ = ("name", "_suffix", "_modules")

    def __init__(self, name: str):
        self.name = name
        self._suffix = "_c" if name == "cython" else "_py"
        self._modules: dict[str, ModuleType] = {}

    def _module(self, hot: str) -> ModuleType:
        mod = self._modules.get(hot)
        if mod is None:
            mod = importlib.import_module(f"tls12fast.{hot}{self._suffix}")
            self._modules[hot] = mod
        return mod

    @property
    def record(self) -> ModuleType:
        return self._module("_record")

    @property
    def prf(self) -> ModuleType:
        return self._module("_prf")

    @property
    def codec(self) -> ModuleType:
        return self._module("_codec")

    @property
    def aead(self) -> ModuleType:
        return self._module("_aead")

    def load_all(self) -> "Backend":
        for hot in HOT_MODULES:
            self._module(hot)
        return self

    def __repr__(self) -> str:
        return f"<tls12fast backend {self.name}>"


PYTHON = Backend("python")
CYTHON: Backend | None = None
_import_error: ImportError | None = None
if not NO_EXTENSIONS:
    try:
        CYTHON = Backend("cython").load_all()
    except ImportError as exc:  # pragma: no cover - depends on the install
        _import_error = exc
        if REQUIRE_EXTENSIONS:
            raise ImportError(
                "TLS12FAST_REQUIRE_EXTENSIONS=1 but the compiled twins could not be "
                f"imported: {exc}"
            ) from exc
elif REQUIRE_EXTENSIONS:
    raise ImportError("TLS12FAST_REQUIRE_EXTENSIONS=1 conflicts with TLS12FAST_NO_EXTENSIONS=1")

DEFAULT: Backend = CYTHON if CYTHON is not None else PYTHON


def backend(name: str | None = None) -> Backend:
    """Return the twins for `name` ("cython", "python" or None for the default)."""
    if name is None:
        return DEFAULT
    if name == "python":
        return PYTHON
    if name == "cython":
        if CYTHON is None:
            from .errors import ConfigurationError

            why = "disabled by TLS12FAST_NO_EXTENSIONS" if NO_EXTENSIONS else str(_import_error)
            raise ConfigurationError(f"compiled backend unavailable ({why})")
        return CYTHON
    from .errors import ConfigurationError

    raise ConfigurationError(f"unknown backend {name!r}; use 'cython' or 'python'")


def available() -> list[str]:
    """Names of the backends that can be used in this process."""
    return ["cython", "python"] if CYTHON is not None else ["python"]
