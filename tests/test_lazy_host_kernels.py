"""`import metarun` leaves the image-codec, parsing and summary host kernels (a tenth of its
time) and tf.app/tf.flags unimported; the first such op to run, or the first use of the
namespace, imports them, in a fresh process as in any."""

import os
import subprocess
import sys
from subproc import metarun_env

SCRIPT = """
import sys
import numpy as np
import metarun as tf
lazy = ["metarun.framework." + m for m in ("image_codec_kernels", "parsing_kernels", "summary_kernels")]
lazy += ["metarun.app", "metarun.flags"]
print(sorted(m for m in lazy if m in sys.modules))
print(tf.app.flags is tf.flags, isinstance(tf.flags.FLAGS, tf.flags.FlagValues), "app" in dir(tf))
png = tf.image.encode_png(tf.constant(np.arange(12, dtype=np.uint8).reshape(2, 2, 3)))
with tf.Session() as sess:
    back = sess.run(tf.image.decode_png(png))
print(back.reshape(-1).tolist() == list(range(12)), "metarun.framework.image_codec_kernels" in sys.modules)
"""


def test_host_kernel_tables_load_when_first_needed():
    env = metarun_env()
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split("\n")[:3] == ["[]", "True True True", "True True"]
