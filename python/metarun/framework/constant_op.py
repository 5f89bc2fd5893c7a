"""Const ops from Python values: `constant` and `convert_to_tensor` (kept
here under TF's module name; the rules live in op_builder)."""

from metarun.framework.op_builder import constant, convert_n_to_tensor, convert_to_tensor  # noqa: F401
