"""tf.math.special: the Bessel functions and the exponential integral. Not yet: dawsn,
fresnel_cos, fresnel_sin and spence (no kernels)."""

from metarun.ops.bessel_ops import (  # noqa: F401
    bessel_i0, bessel_i0e, bessel_i1, bessel_i1e, bessel_j0, bessel_j1, bessel_k0, bessel_k0e, bessel_k1, bessel_k1e,
    bessel_y0, bessel_y1, expint)
