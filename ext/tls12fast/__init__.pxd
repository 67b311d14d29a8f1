# Makes Cython name the modules tls12fast._x_c (include_path=["ext"]).
