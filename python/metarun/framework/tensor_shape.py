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


class TensorShape(object):
    """Dims are ints or None; `dims is None` means the rank is unknown."""

    __slots__ = ("_dims",)

    def __init__(self, dims):
        if dims is None:
            self._dims = None
        elif isinstance(dims, TensorShape):
            self._dims = dims._dims
        else:
            if isinstance(dims, int) or hasattr(dims, "__index__") and not hasattr(dims, "__len__"):
                dims = [dims]  # TF: a lone dimension is a rank-1 shape
            dims = [getattr(d, "value", d) for d in dims]
            self._dims = tuple(None if d is None or (isinstance(d, int) and d < 0) else int(d)
                               for d in dims)

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
