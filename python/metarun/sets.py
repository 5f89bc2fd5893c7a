"""tf.sets (tf.compat.v1.sets): set operations returning SparseTensors."""

from metarun.ops.sets_impl import set_difference, set_intersection, set_size, set_union  # noqa: F401

difference = set_difference
intersection = set_intersection
size = set_size
union = set_union
