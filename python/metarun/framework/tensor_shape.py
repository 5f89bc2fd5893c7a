"""TensorShape: a static shape that may be partly or wholly unknown."""


class Dimension(object):
    """TF1's Dimension for an unknown size (`tf.Dimension(None)`). Shapes index to
    ints, as TF 2.x's compat.v1 does, and None where unknown; a known dimension is a
    `KnownDimension`, an int that also has TF1's `.value`, so both styles of code run."""

    __slots__ = ()
    value = None

    def __eq__(self, other):
        return None

    def __ne__(self, other):
        return None

    def __hash__(self):
        return hash(None)

    def __repr__(self):
        return "Dimension(None)"

    def __str__(self):
        return "?"

    def __int__(self):
        raise TypeError("Cannot convert an unknown Dimension to an int")

    def __index__(self):
        raise TypeError("Cannot convert an unknown Dimension to an int")

    def _unknown(self, *args):
        return UNKNOWN_DIMENSION

    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __floordiv__ = __rfloordiv__ = _unknown


UNKNOWN_DIMENSION = Dimension()


class KnownDimension(int):
    """A known dimension: an int with TF1's `.value`."""

    @property
    def value(self):
        return int(self)

    def __repr__(self):
        return "Dimension(%d)" % int(self)


def dimension_value(dim):
    """The int (or None) of a Dimension, int or None."""
    return getattr(dim, "value", dim)


def _dim_value(d):
    """One dimension as an int or None. Negative sizes read as unknown (protos and shape
    inference spell unknown as -1); anything that is not an integer is TF's TypeError."""
    d = getattr(d, "value", d)
    if d is None:
        return None
    if isinstance(d, bool) or not hasattr(d, "__index__"):
        raise TypeError("Dimension value must be integer or None or have an __index__ method, got value "
                        "'{0!r}' with type '{1!r}'".format(d, type(d)))
    d = int(d.__index__())
    return None if d < 0 else d


class TensorShape(object):
    """Dims are ints or None; `dims is None` means the rank is unknown."""

    __slots__ = ("_dims",)

    def __init__(self, dims):
        if dims is None:
            self._dims = None
        elif isinstance(dims, TensorShape):
            self._dims = dims._dims
        elif type(dims).__name__ == "TensorShapeProto":
            self._dims = None if dims.unknown_rank else tuple(None if d.size < 0 else d.size for d in dims.dim)
        else:
            try:
                items = list(dims) if not isinstance(dims, (str, bytes)) else None
            except TypeError:
                items = None
            if items is None:
                if isinstance(dims, (str, bytes)):
                    items = list(dims)
                else:  # TF: a lone dimension is a rank-1 shape
                    self._dims = (_dim_value(dims),)
                    return
            dims_in, converted = dims, []
            for d in items:
                try:
                    converted.append(_dim_value(d))
                except TypeError:
                    if isinstance(dims_in, (list, tuple)):
                        raise
                    raise TypeError(
                        "Failed to convert '{0!r}' to a shape: '{1!r}'could not be converted to a dimension. "
                        "A shape should either be single dimension (e.g. 10), or an iterable of dimensions "
                        "(e.g. [1, 10, None]).".format(dims_in, d)) from None
            self._dims = tuple(converted)

    @property
    def dims(self):
        return None if self._dims is None else list(self._dims)

    @property
    def ndims(self):
        return None if self._dims is None else len(self._dims)

    rank = ndims

    def as_list(self):
        if self._dims is None:
            raise ValueError("as_list() is not defined on an unknown TensorShape.")
        return list(self._dims)

    def is_fully_defined(self):
        return self._dims is not None and all(d is not None for d in self._dims)

    def is_compatible_with(self, other):
        other = as_shape(other)
        if self._dims is None or other._dims is None:
            return True
        if len(self._dims) != len(other._dims):
            return False
        return all(a is None or b is None or a == b for a, b in zip(self._dims, other._dims))

    def merge_with(self, other):
        """The shape that is both: known dims of either kept; ValueError when they disagree."""
        other = as_shape(other)
        if self._dims is None:
            return other
        if other._dims is None:
            return self
        if not self.is_compatible_with(other):
            raise ValueError("Shapes %s and %s are not compatible" % (self, other))
        return TensorShape([a if a is not None else b for a, b in zip(self._dims, other._dims)])

    def concatenate(self, other):
        """This shape followed by `other` (unknown when either rank is)."""
        other = as_shape(other)
        if self._dims is None or other._dims is None:
            return TensorShape(None)
        return TensorShape(list(self._dims) + list(other._dims))

    def with_rank_at_least(self, rank):
        if self._dims is not None and len(self._dims) < rank:
            raise ValueError("Shape %s must have rank at least %d" % (self, rank))
        return self

    def with_rank(self, rank):
        if self._dims is not None and len(self._dims) != rank:
            raise ValueError("Shape %s must have rank %d" % (self, rank))
        return self if self._dims is not None else TensorShape([None] * rank)

    def with_rank_at_most(self, rank):
        if self._dims is not None and len(self._dims) > rank:
            raise ValueError("Shape %s must have rank at most %d" % (self, rank))
        return self

    def assert_has_rank(self, rank):
        if self._dims is not None and len(self._dims) != rank:
            raise ValueError("Shape %s must have rank %d" % (self, rank))

    def assert_same_rank(self, other):
        other = as_shape(other)
        if self._dims is not None and other._dims is not None and len(self._dims) != len(other._dims):
            raise ValueError("Shapes %s and %s must have the same rank" % (self, other))

    def assert_is_compatible_with(self, other):
        if not self.is_compatible_with(other):
            raise ValueError("Shapes %s and %s are incompatible" % (self, other))

    def assert_is_fully_defined(self):
        if not self.is_fully_defined():
            raise ValueError("Shape %s is not fully defined" % self)

    def most_specific_compatible_shape(self, other):
        """The most specific shape both this one and `other` are compatible with: the
        dims they agree on, unknown elsewhere; unknown rank when the ranks differ."""
        other = as_shape(other)
        if self._dims is None or other._dims is None or len(self._dims) != len(other._dims):
            return TensorShape(None)
        return TensorShape([a if a == b else None for a, b in zip(self._dims, other._dims)])

    def is_subtype_of(self, other):
        """True when every shape this one allows, `other` allows too."""
        other = as_shape(other)
        if other._dims is None:
            return True
        if self._dims is None or len(self._dims) != len(other._dims):
            return False
        return all(b is None or a == b for a, b in zip(self._dims, other._dims))

    def as_proto(self):
        from metarun.framework import protos, tensor_util
        return tensor_util.make_shape_proto(self.dims, protos.TensorShapeProto())

    def __add__(self, other):
        return self.concatenate(other)

    def __radd__(self, other):
        return as_shape(other).concatenate(self)

    __concat__ = __add__

    def __bool__(self):
        return self._dims is not None

    def __reduce__(self):
        return TensorShape, (self.dims,)

    def num_elements(self):
        if not self.is_fully_defined():
            return None
        n = 1
        for d in self._dims:
            n *= d
        return n

    def __len__(self):
        if self._dims is None:
            raise ValueError("Cannot take the length of shape with unknown rank.")
        return len(self._dims)

    def __iter__(self):
        if self._dims is None:
            raise ValueError("Cannot iterate over a shape with unknown rank.")
        return iter(None if d is None else KnownDimension(d) for d in self._dims)

    def __getitem__(self, key):
        if self._dims is None:
            return None if not isinstance(key, slice) else TensorShape(None)
        if isinstance(key, slice):
            return TensorShape(self._dims[key])
        d = self._dims[key]
        return None if d is None else KnownDimension(d)

    def __eq__(self, other):
        try:
            other = as_shape(other)
        except (TypeError, ValueError):
            return NotImplemented
        return self._dims == other._dims

    def __ne__(self, other):
        result = self.__eq__(other)
        return result if result is NotImplemented else not result

    def __hash__(self):
        return hash(self._dims)

    def __repr__(self):
        if self._dims is None:
            return "TensorShape(None)"
        return "TensorShape([%s])" % ", ".join("Dimension(%s)" % ("None" if d is None else d) for d in self._dims)

    def __str__(self):
        if self._dims is None:
            return "<unknown>"
        if len(self._dims) == 1:
            return "(%s,)" % ("?" if self._dims[0] is None else self._dims[0])
        return "(%s)" % ", ".join("?" if d is None else str(d) for d in self._dims)


def as_shape(shape):
    return shape if isinstance(shape, TensorShape) else TensorShape(shape)


def unknown_shape():
    return TensorShape(None)
