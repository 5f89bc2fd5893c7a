"""tf.nn."""

from metarun.ops.nn_ops import (  # noqa: F401
    avg_pool, batch_normalization, bias_add, conv2d, depthwise_conv2d, dropout, elu, embedding_lookup,
    in_top_k, l2_loss, l2_normalize, leaky_relu, log_softmax, max_pool, moments, relu, relu6, selu,
    sigmoid, sigmoid_cross_entropy_with_logits, softmax, softmax_cross_entropy_with_logits,
    softmax_cross_entropy_with_logits_v2, softplus, softsign, sparse_softmax_cross_entropy_with_logits,
    tanh, top_k, xw_plus_b, zero_fraction)
from metarun.ops.math_ops import top_k  # noqa: F401,E402 -- (values, indices) namedtuple
