"""Gradients of the segment kernel family (filled in with its kernels)."""
