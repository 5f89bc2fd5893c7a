"""Gradients of the special_math kernel family (filled in with its kernels)."""
