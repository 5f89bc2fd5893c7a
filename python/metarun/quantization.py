"""tf.quantization: the quantization-aware training ops."""

from metarun.ops.fake_quant_ops import (  # noqa: F401
    fake_quant_with_min_max_args, fake_quant_with_min_max_args_gradient, fake_quant_with_min_max_vars,
    fake_quant_with_min_max_vars_gradient, fake_quant_with_min_max_vars_per_channel,
    fake_quant_with_min_max_vars_per_channel_gradient, quantize_and_dequantize, quantize_and_dequantize_v2)
