"""Developer helper: compile one or more compiled twins in place (into src/tls12fast).

Usage: python tools/build_one.py [--out DIR] _prf_c [_record_c ...]
`pip install -e .` builds all of them; this is for iterating on one .pyx.
--out DIR builds into DIR/tls12fast/ (generated .c files under DIR/c/, always
regenerated) instead of in place, so a debug build (TLS12FAST_CYTHON_DEBUG=1) never
replaces the release .so files; fuzz/run.py --build DIR loads it.
"""
import os
import sys

from Cython.Build import cythonize
from setuptools import Extension, setup

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.chdir(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

args = sys.argv[1:]
out = None
if "--out" in args:
    i = args.index("--out")
    out = os.path.abspath(args[i + 1])
    del args[i:i + 2]
names = args or ["_record_c", "_prf_c", "_codec_c", "_aead_c"]
debug = os.environ.get("TLS12FAST_CYTHON_DEBUG", "") not in ("", "0")
directives = {
    "language_level": 3, "embedsignature": True, "cdivision": True,
    "boundscheck": debug, "wraparound": debug, "initializedcheck": debug,
}
exts = [
    Extension(
        f"tls12fast.{n}", [f"ext/tls12fast/{n}.pyx"], libraries=["crypto"],
        define_macros=[("OPENSSL_API_COMPAT", "0x10100000L"), ("OPENSSL_SUPPRESS_DEPRECATED", "1")],
        extra_compile_args=["-O2"],
    )
    for n in names
]
setup(
    name="tls12fast-dev", package_dir={"": "src"}, packages=["tls12fast"],
    ext_modules=cythonize(
        exts, include_path=["ext"], compiler_directives=directives, quiet=True,
        **({"build_dir": os.path.join(out, "c"), "force": True} if out else {}),
    ),
    script_args=(["build_ext", "--build-lib", out, "--build-temp", os.path.join(out, "tmp"), "-q"]
                 if out else ["build_ext", "--inplace", "-q"]),
)
