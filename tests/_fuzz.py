# Loads fuzz/targets.py (the fuzz targets) for the fuzz smoke and regression tests, and
# caches one built target per (name, twin) so certificates and canned flights are made once.
from __future__ import annotations

import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
if str(ROOT / "fuzz") not in sys.path:  # targets_pki.py imports targets by that name
    sys.path.insert(0, str(ROOT / "fuzz"))
import targets  # noqa: E402

_built: dict = {}


def target(name: str, twin):
    """The fuzz target `name` on `twin` (a Backend), built once per test session."""
    key = (name, twin.name)
    if key not in _built:
        _built[key] = targets.target_class(name)(twin)
    return _built[key]


def finding(tgt, data: bytes) -> tuple[str | None, bool]:
    """Run one input: (why it is a finding (see targets.bug) or None, whether it raised)."""
    try:
        tgt.run(data)
    except Exception as exc:  # classified, not swallowed: bug() decides
        reason = targets.bug(exc)
        if reason is not None:
            return f"{reason}: {type(exc).__name__}: {exc} (cause {exc.__cause__!r})", True
        return None, True
    return None, False
