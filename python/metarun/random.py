"""tf.random."""

from metarun.ops.random_ops import (  # noqa: F401
    categorical, get_seed, multinomial, random_poisson as poisson, random_shuffle as shuffle,
    random_normal as normal, random_uniform as uniform, set_random_seed, truncated_normal)
