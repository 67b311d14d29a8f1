# Facade: re-exports the default twin of the aead module (see _speedups.py).
from ._speedups import DEFAULT as _DEFAULT

_impl = _DEFAULT.aead
globals().update({name: getattr(_impl, name) for name in _impl.__all__})
__all__ = list(_impl.__all__)
