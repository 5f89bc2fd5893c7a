"""tf.nest: flatten and rebuild nested lists, tuples, namedtuples and dicts.

TF's ordering rules: a mapping's values come in sorted key order (an OrderedDict's too), and
a rebuilt mapping keeps the key order of the structure it is modelled on. Strings, bytes,
sets, numpy arrays and None are leaves. `expand_composites` is accepted and has no effect
(metarun has no composite tensors).
"""

import collections as _collections
import collections.abc as _abc


def _is_mapping(x):
    return isinstance(x, _abc.Mapping)


def _is_namedtuple(x):
    return isinstance(x, tuple) and hasattr(type(x), "_fields")


def is_nested(seq):
    """True for lists, tuples, namedtuples and mappings (the things nest looks into)."""
    if _is_mapping(seq):
        return True
    return isinstance(seq, _abc.Sequence) and not isinstance(seq, (str, bytes, bytearray))


def _children(x):
    if _is_mapping(x):
        return [x[k] for k in sorted(x)]
    return list(x)


def _sequence_like(instance, args):
    """A container like `instance` holding `args` (given in flatten's order)."""
    if _is_mapping(instance):
        by_key = dict(zip(sorted(instance), args))
        if isinstance(instance, _collections.defaultdict):
            result = _collections.defaultdict(instance.default_factory)
            for key in instance:
                result[key] = by_key[key]
            return result
        return type(instance)((key, by_key[key]) for key in instance)
    if _is_namedtuple(instance):
        return type(instance)(*args)
    return type(instance)(args)


def flatten(structure, expand_composites=False):
    """The leaves of `structure`, depth first; a leaf alone gives [leaf]."""
    out = []

    def visit(x):
        if is_nested(x):
            for child in _children(x):
                visit(child)
        else:
            out.append(x)
    visit(structure)
    return out


def _describe(x):
    return "type=%s str=%s" % (type(x).__name__, x)


class _Dot(object):
    def __repr__(self):
        return "."


def _dots(structure):
    return str(map_structure(lambda _: _Dot(), structure, check_types=False))


def _same_type(a, b):
    if _is_namedtuple(a) and _is_namedtuple(b):
        return type(a).__name__ == type(b).__name__ and type(a)._fields == type(b)._fields
    if _is_mapping(a) and _is_mapping(b):
        return True
    return type(a) is type(b)


def _check(a, b, check_types):
    """None when `a` and `b` have the same structure, else (exception class, detail)."""
    nested_a, nested_b = is_nested(a), is_nested(b)
    if nested_a != nested_b:
        seq, leaf = (a, b) if nested_a else (b, a)
        return ValueError, 'Substructure "%s" is a sequence, while substructure "%s" is not' % (
            _describe(seq), _describe(leaf))
    if not nested_a:
        return None
    if check_types:
        if not _same_type(a, b):
            return TypeError, ("The two namedtuples don't have the same sequence type. First structure %s has "
                               "type %s, while second structure %s has type %s" % (
                                   _describe(a), type(a).__name__, _describe(b), type(b).__name__))
        if _is_mapping(a) and set(a) != set(b):
            return ValueError, ("The two dictionaries don't have the same set of keys. First structure has keys "
                                "%s, while second structure has keys %s" % (_describe(list(a)), _describe(list(b))))
    ca, cb = _children(a), _children(b)
    if len(ca) != len(cb):
        return ValueError, ("The two structures don't have the same number of elements. First structure: %s. "
                            "Second structure: %s" % (_describe(a), _describe(b)))
    for x, y in zip(ca, cb):
        problem = _check(x, y, check_types)
        if problem:
            return problem
    return None


def assert_same_structure(nest1, nest2, check_types=True, expand_composites=False):
    """Raises ValueError (or TypeError for differing container types) unless the two
    structures nest the same way."""
    problem = _check(nest1, nest2, check_types)
    if problem:
        cls, detail = problem
        raise cls("The two structures don't have the same nested structure.\n\nFirst structure: %s\n\n"
                  "Second structure: %s\n\nMore specifically: %s\nEntire first structure:\n%s\n"
                  "Entire second structure:\n%s" % (_describe(nest1), _describe(nest2), detail,
                                                      _dots(nest1), _dots(nest2)))


def _pack(structure, flat, index):
    packed = []
    for child in _children(structure):
        if is_nested(child):
            index, value = _pack(child, flat, index)
            packed.append(value)
        else:
            packed.append(flat[index])
            index += 1
    return index, _sequence_like(structure, packed)


def pack_sequence_as(structure, flat_sequence, expand_composites=False):
    """`flat_sequence` rebuilt into the shape of `structure` (the inverse of flatten)."""
    if not is_nested(flat_sequence):
        raise TypeError("Attempted to pack value:\n  {}\ninto a structure, but found incompatible type `{}` "
                        "instead.".format(flat_sequence, type(flat_sequence)))
    if not is_nested(structure):
        if len(flat_sequence) != 1:
            raise ValueError("The target structure is of type `{}`\n  {}\nHowever the input is a sequence ({}) "
                             "of length {}.\n  {}\nnest cannot guarantee that it is safe to map one to the "
                             "other.".format(type(structure), structure, type(flat_sequence), len(flat_sequence),
                                             flat_sequence))
        return flat_sequence[0]
    atoms = len(flatten(structure))
    if atoms != len(flat_sequence):
        raise ValueError("Could not pack sequence. Structure had %d atoms, but flat_sequence had %d items.  "
                         "Structure: %s, flat_sequence: %s." % (atoms, len(flat_sequence), structure, flat_sequence))
    return _pack(structure, list(flat_sequence), 0)[1]


def map_structure(func, *structure, **kwargs):
    """`func` applied to the leaves of the structures (which must nest the same way), in the
    shape of the first."""
    if not callable(func):
        raise TypeError("func must be callable, got: %s" % func)
    if not structure:
        raise ValueError("Must provide at least one structure")
    check_types = kwargs.pop("check_types", True)
    kwargs.pop("expand_composites", False)
    if kwargs:
        raise ValueError("Only valid keyword arguments are `check_types` and `expand_composites`, not: `%s`"
                         % "`, `".join(kwargs))
    for other in structure[1:]:
        assert_same_structure(structure[0], other, check_types=check_types)
    flat = [flatten(s) for s in structure]
    return pack_sequence_as(structure[0], [func(*leaves) for leaves in zip(*flat)])
