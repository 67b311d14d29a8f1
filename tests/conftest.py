# Shared fixtures. `twin` runs a test once per hot-module twin (compiled and pure) in the
# same pytest run, as aio-libs do: the compiled parameter is marked c_extension and is
# skipped loudly only when the compiled twins are not built.
import pytest

from tls12fast import _speedups


def _twin_params():
    return [
        pytest.param("cython", marks=pytest.mark.c_extension, id="cython"),
        pytest.param("python", id="python"),
    ]


def _compiled() -> _speedups.Backend:
    if _speedups.NO_EXTENSIONS:
        pytest.skip("COMPILED TWIN DISABLED: TLS12FAST_NO_EXTENSIONS is set")
    # Imported lazily: a missing compiled module is a loud ImportError, not a skip.
    return _speedups.CYTHON or _speedups.Backend("cython")


@pytest.fixture(params=_twin_params())
def twin(request) -> _speedups.Backend:
    return _compiled() if request.param == "cython" else _speedups.PYTHON


@pytest.fixture(scope="session")
def compiled_and_pure() -> tuple:
    """(compiled Backend, pure Backend), for the differential tests (compiled == pure)."""
    return _compiled(), _speedups.PYTHON


@pytest.fixture(scope="session")
def pki(tmp_path_factory):
    """Test PKI (CA, RSA and ECDSA server/client certificates) as PEM files; see _pki.py."""
    from _pki import make_pki

    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture
def redis_server(tmp_path):
    """A real redis-server on 127.0.0.1 (free port, no persistence); see _redis.py.

    Yields a RedisServer with `.url`, `.cache(**kw)`, `.kill()` and `.restart()`; its
    caches are closed and the server killed by PID at the end.
    """
    import shutil

    from _redis import RedisServer

    if shutil.which("redis-server") is None:
        pytest.skip("REDIS-SERVER NOT INSTALLED: redis tests did not run "
                    "(apt-get install redis-server; CI installs it)")
    pytest.importorskip("redis", reason="REDIS-PY NOT INSTALLED: pip install tls12fast[redis]")
    server = RedisServer(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.close_caches()
        server.kill()
