"""tf.nn."""

from metarun.ops.nn_ops import (  # noqa: F401
    avg_pool, batch_normalization, bias_add, conv1d, conv2d, conv2d_transpose, depthwise_conv2d, dropout, elu,
    embedding_lookup, fused_batch_norm, in_top_k, l2_loss, l2_normalize, leaky_relu, local_response_normalization,
    log_softmax, lrn, max_pool, moments, pool, relu, relu6, selu, separable_conv2d, sigmoid,
    sigmoid_cross_entropy_with_logits, softmax, softmax_cross_entropy_with_logits,
    softmax_cross_entropy_with_logits_v2, softplus, softsign, sparse_softmax_cross_entropy_with_logits, tanh,
    weighted_cross_entropy_with_logits, xw_plus_b, zero_fraction)
from metarun.ops.math_ops import top_k  # noqa: F401,E402 -- (values, indices) namedtuple
from metarun.ops.rnn import bidirectional_dynamic_rnn, dynamic_rnn, static_rnn  # noqa: F401,E402
from metarun.ops import rnn_cell  # noqa: F401,E402 -- tf.nn.rnn_cell
from metarun.ops.nn_ops_2 import (  # noqa: F401,E402
    avg_pool1d, avg_pool2d, avg_pool_v2, batch_norm_with_global_normalization, compute_average_loss, ctc_unique_labels,
    conv1d_transpose, conv2d_backprop_filter, conv2d_backprop_input, conv_transpose, convolution, crelu,
    depthwise_conv2d_backprop_filter, depthwise_conv2d_backprop_input, depthwise_conv2d_native,
    depthwise_conv2d_native_backprop_filter, depthwise_conv2d_native_backprop_input, log_poisson_loss,
    max_pool1d, max_pool2d, max_pool_v2, normalize_moments, relu_layer, scale_regularization_loss, silu,
    sufficient_statistics, swish, weighted_moments)
# rnn_2 also adds ResidualWrapper and DeviceWrapper to tf.nn.rnn_cell
from metarun.ops.rnn_2 import raw_rnn, static_bidirectional_rnn, static_state_saving_rnn  # noqa: F401,E402
from metarun.ops.candidate_sampling_ops import (  # noqa: F401,E402
    all_candidate_sampler, compute_accidental_hits, fixed_unigram_candidate_sampler,
    learned_unigram_candidate_sampler, log_uniform_candidate_sampler, uniform_candidate_sampler)
from metarun.ops.nn_sampled import nce_loss, sampled_softmax_loss  # noqa: F401,E402
from metarun.ops.space_batch_ops import (  # noqa: F401,E402
    atrous_conv2d, atrous_conv2d_transpose, depth_to_space, space_to_batch, space_to_depth, with_space_to_batch)
from metarun.ops.argmax_dilation_ops import dilation2d, erosion2d, max_pool_with_argmax  # noqa: F401,E402
from metarun.ops.conv3d_ops import avg_pool3d, conv3d, conv3d_transpose, max_pool3d  # noqa: F401,E402
from metarun.ops.ctc_ops import (  # noqa: F401,E402
    collapse_repeated, ctc_beam_search_decoder, ctc_beam_search_decoder_v2, ctc_greedy_decoder, ctc_loss, ctc_loss_v2)
from metarun.ops.fractional_pool_ops import fractional_avg_pool, fractional_max_pool  # noqa: F401,E402
from metarun.ops.embedding_sparse import embedding_lookup_sparse, safe_embedding_lookup_sparse  # noqa: F401,E402
from metarun.ops.conv3d_ops import conv3d_backprop_filter, conv3d_backprop_filter_v2  # noqa: F401,E402
