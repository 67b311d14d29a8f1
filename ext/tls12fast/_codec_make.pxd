# cython: language_level=3
# Building messages.py objects for the compiled codec twin (_codec_c.pyx) without running
# their dataclass __init__; header-only: `from tls12fast._codec_make cimport ...`.
#
# How this works: the messages.py classes are slotted dataclasses with no __post_init__,
# so an instance is fully described by its slot values. shape_init() records, once per
# class at import, where each field's slot lives (its member descriptor's offset, in field
# order) after checking those assumptions; make() allocates an object with the class's
# tp_alloc and stores the fields at those offsets - what the generated __init__ does
# through the descriptors, minus a Python frame per message (16 per resumed handshake).
from cpython.object cimport PyObject

cdef extern from *:
    """
    #include <structmember.h>
    static PyObject* tls12fast_make(PyObject* cls, const Py_ssize_t* offsets, int n,
                                    PyObject* const* values) {
        PyTypeObject* tp = (PyTypeObject*)cls;
        PyObject* obj = tp->tp_alloc(tp, 0);
        if (obj == NULL) return NULL;
        for (int i = 0; i < n; i++) {
            Py_INCREF(values[i]);
            *(PyObject**)((char*)obj + offsets[i]) = values[i];
        }
        return obj;
    }
    static Py_ssize_t tls12fast_member_offset(PyObject* descr) {
        return ((PyMemberDescrObject*)descr)->d_member->offset;
    }
    """
    object tls12fast_make(PyObject* cls, const Py_ssize_t* offsets, int n, PyObject* const* values)
    Py_ssize_t tls12fast_member_offset(object descr)

ctypedef struct Shape:
    PyObject* cls  # borrowed: the importing module keeps the class alive
    Py_ssize_t offsets[6]
    int n


cdef inline int shape_init(Shape* shape, object cls) except -1:
    """Fill `shape` for `cls`; ImportError if it is not a plain slotted dataclass."""
    import dataclasses
    import types
    names = tuple([f.name for f in dataclasses.fields(cls)])
    bases = cls.__mro__[1:len(cls.__mro__) - 1]  # between cls and object
    if (cls.__slots__ != names or len(names) > 6 or hasattr(cls, "__post_init__")
            or cls.__new__ is not object.__new__
            or any([base.__dict__.get("__slots__") != () for base in bases])):
        raise ImportError(f"messages.{cls.__name__} is not a plain slotted dataclass")
    cdef int i
    for i in range(len(names)):
        descr = cls.__dict__[names[i]]
        if type(descr) is not types.MemberDescriptorType:
            raise ImportError(f"messages.{cls.__name__}.{names[i]} is not a slot")
        shape.offsets[i] = tls12fast_member_offset(descr)
    shape.cls = <PyObject*>cls
    shape.n = len(names)
    return 0


cdef inline object make(const Shape* shape, a=None, b=None, c=None, d=None, e=None, f=None):
    """A new instance of shape's class with fields a, b, ... (in field order)."""
    cdef PyObject* values[6]
    values[0], values[1], values[2] = <PyObject*>a, <PyObject*>b, <PyObject*>c
    values[3], values[4], values[5] = <PyObject*>d, <PyObject*>e, <PyObject*>f
    return tls12fast_make(shape.cls, shape.offsets, shape.n, values)
