# Every input the fuzzer (fuzz/run.py) ever flagged, replayed on both twins.
#
# Inputs live in tests/fuzz_regressions/<target>-<what>.bin; the part before the first
# "-" names the fuzz target (fuzz/targets.py) and tests/fuzz_regressions/README.md says
# what each one found. A replay passes when the target raises nothing but an allowed
# tls12fast.TLSError (targets.bug decides, exactly as during fuzzing).
import pytest
from _fuzz import ROOT, finding, target, targets

INPUTS = sorted((ROOT / "tests" / "fuzz_regressions").glob("*.bin"))


def test_every_regression_input_is_documented():
    readme = (ROOT / "tests" / "fuzz_regressions" / "README.md").read_text()
    assert INPUTS, "no regression inputs found"
    for path in INPUTS:
        assert path.name in readme, f"{path.name} is not described in README.md"
        assert path.name.split("-")[0] in targets.TARGETS, f"{path.name}: unknown target"


@pytest.mark.parametrize("path", INPUTS, ids=[p.stem for p in INPUTS])
def test_fuzz_regression(twin, path):
    tgt = target(path.name.split("-")[0], twin)
    why, _ = finding(tgt, path.read_bytes())
    assert why is None, f"{path.name}: {why}"


@pytest.mark.parametrize("action", ["error", "ignore"])
def test_negative_serial_is_bad_certificate_under_any_warning_filter(twin, action):
    """verify._parse_chain rejects a serial <= 0 whether or not the warning is an error."""
    import warnings

    from tls12fast.errors import CertificateError

    tgt = target("client_verify", twin)
    data = (ROOT / "tests" / "fuzz_regressions" / "client_verify-negative-serial.bin").read_bytes()
    client = targets._client(tgt.config)
    client.data_to_send()
    with warnings.catch_warnings():
        warnings.simplefilter(action)
        with pytest.raises(CertificateError) as info:
            client.receive_data(data[1:])
    assert info.value.alert.name == "bad_certificate"
