"""tf.audio: WAV decoding and encoding."""

from metarun.ops.audio_ops import decode_wav, encode_wav  # noqa: F401
