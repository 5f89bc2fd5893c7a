"""Gradients of the bitwise_scan kernel family (filled in with its kernels)."""
