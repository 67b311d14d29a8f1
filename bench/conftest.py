# Shared benchmark fixtures: `impl` runs a benchmark once per twin backend ("cython" and
# "python", from tls12fast._speedups) so both rows land side by side in one group.
import pytest

from tls12fast import _speedups


@pytest.fixture(params=["cython", "python"])
def impl(request) -> _speedups.Backend:
    if request.param == "python":
        return _speedups.backend("python")
    if _speedups.NO_EXTENSIONS:
        pytest.skip("COMPILED TWIN DISABLED: TLS12FAST_NO_EXTENSIONS is set")
    # Like tests/conftest.py: twins are imported lazily, so a benchmark of one built twin
    # runs even while another is not built yet, and a missing one is a loud ImportError.
    return _speedups.CYTHON or _speedups.Backend("cython")
