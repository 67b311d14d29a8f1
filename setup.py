# Builds the compiled twins tls12fast._record_c, _prf_c, _codec_c and _aead_c from ext/tls12fast.
#
# Metadata lives in pyproject.toml. A source build never silently degrades to pure
# Python: if the compiler, the Python headers or the OpenSSL (libcrypto) headers are
# missing, the build stops and says which, and how to opt into the pure twins
# (TLS12FAST_NO_EXTENSIONS=1). TLS12FAST_CYTHON_DEBUG=1 turns bounds checks and line
# tracing back on (used for fuzzing the parsers).
import os
import sys
import sysconfig
import tempfile

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

NO_EXTENSIONS = os.environ.get("TLS12FAST_NO_EXTENSIONS", "") not in ("", "0")
DEBUG = os.environ.get("TLS12FAST_CYTHON_DEBUG", "") not in ("", "0")
HOT_MODULES = ("_record_c", "_prf_c", "_codec_c", "_aead_c")

DIRECTIVES = {
    "language_level": 3,
    "embedsignature": True,
    "cdivision": True,
    "boundscheck": DEBUG,
    "wraparound": DEBUG,
    "initializedcheck": DEBUG,
}
if DEBUG:
    DIRECTIVES["linetrace"] = True

OPT_OUT = "set TLS12FAST_NO_EXTENSIONS=1 to install the (much slower) pure-Python twins instead"


def _fail(what: str) -> None:
    sys.exit(f"error: tls12fast cannot compile its extensions: {what}.\n       {OPT_OUT}.")


class CheckedBuildExt(build_ext):
    """build_ext that probes for the toolchain first and fails with a clear message."""

    def run(self):
        self._probe()
        super().run()

    def _probe(self):
        from distutils.errors import CompileError, DistutilsExecError, LinkError

        from setuptools._distutils.ccompiler import new_compiler
        from setuptools._distutils.sysconfig import customize_compiler

        cc = new_compiler()
        customize_compiler(cc)
        include = sysconfig.get_paths()["include"]
        with tempfile.TemporaryDirectory() as tmp:
            checks = [
                ("a C compiler (install gcc or clang)", "int main(void){return 0;}\n", []),
                (
                    f"the Python headers (Python.h not found in {include}; install python3-dev)",
                    "#include <Python.h>\nint main(void){return 0;}\n",
                    [],
                ),
                (
                    "the OpenSSL headers (openssl/evp.h; install libssl-dev or openssl-devel)",
                    "#include <openssl/evp.h>\nint main(void){return 0;}\n",
                    [],
                ),
                (
                    "libcrypto to link against (install libssl-dev or openssl-devel)",
                    "#include <openssl/evp.h>\nint main(void){EVP_MD_CTX_free(EVP_MD_CTX_new());return 0;}\n",
                    ["crypto"],
                ),
            ]
            for n, (what, code, libs) in enumerate(checks):
                src = os.path.join(tmp, f"probe{n}.c")
                with open(src, "w") as f:
                    f.write(code)
                try:
                    objs = cc.compile([src], output_dir=tmp, include_dirs=[include])
                    if libs:
                        cc.link_executable(objs, os.path.join(tmp, f"probe{n}"), libraries=libs)
                except (CompileError, LinkError, DistutilsExecError, OSError):
                    _fail(f"missing {what}")


def extensions():
    if NO_EXTENSIONS:
        return []
    try:
        from Cython.Build import cythonize
    except ImportError:
        _fail("Cython>=3.1 is not installed")
    macros = [("OPENSSL_API_COMPAT", "0x10100000L"), ("OPENSSL_SUPPRESS_DEPRECATED", "1")]
    if DEBUG:
        macros.append(("CYTHON_TRACE", "1"))
    exts = [
        Extension(
            f"tls12fast.{name}",
            [f"ext/tls12fast/{name}.pyx"],
            libraries=["crypto"],
            define_macros=macros,
            extra_compile_args=["-O2"] if os.name != "nt" else [],
        )
        for name in HOT_MODULES
    ]
    return cythonize(exts, include_path=["ext"], compiler_directives=DIRECTIVES)


setup(ext_modules=extensions(), cmdclass={"build_ext": CheckedBuildExt}, zip_safe=False)
