"""tf.image.non_max_suppression_padded (TF's tiled algorithm in while loops): single and batched
boxes, padding to max_output_size, a score threshold, boxes given with swapped corners, small tiles
so several tiles suppress each other: values and the errors TF raises. (TF traces the tiled body
as a tf.function and calls it through PartitionedCall; metarun builds the same ops inline, so the
graphs are not compared here.)"""
import numpy as np


def _error(fn, message=True):
    try:
        fn()
        return ["none", ""]
    except Exception as e:  # noqa: BLE001 -- the class is the result
        return [type(e).__name__, str(e).split("\n")[0].split(" for '{{node")[0] if message else ""]


def main(tf, workdir):
    rng = np.random.RandomState(31)

    def boxes_of(n):
        y0, x0 = rng.uniform(0, 0.7, n), rng.uniform(0, 0.7, n)
        return np.stack([y0, x0, y0 + rng.uniform(0.05, 0.3, n), x0 + rng.uniform(0.05, 0.3, n)], -1)

    b1 = tf.constant(boxes_of(30).astype(np.float32))
    s1 = tf.constant(rng.uniform(0, 1, 30).astype(np.float32))
    bb = tf.constant(np.stack([boxes_of(25) for _ in range(3)]).astype(np.float32))
    sb = tf.constant(rng.uniform(0, 1, [3, 25]).astype(np.float32))
    swapped = tf.constant(boxes_of(12)[:, [2, 3, 0, 1]].astype(np.float32))
    R, E = {}, {}
    R["single_idx"], R["single_n"] = tf.image.non_max_suppression_padded(b1, s1, 10)
    R["single_pad_idx"], R["single_pad_n"] = tf.image.non_max_suppression_padded(
        b1, s1, 12, iou_threshold=0.3, score_threshold=0.2, pad_to_max_output_size=True, tile_size=4, name="p")
    R["batch_idx"], R["batch_n"] = tf.image.non_max_suppression_padded(bb, sb, 8, iou_threshold=0.4,
                                                                       pad_to_max_output_size=True, tile_size=8)
    R["swapped_idx"], R["swapped_n"] = tf.image.non_max_suppression_padded(swapped, s1[:12], 5, tile_size=4)
    R["sorted_idx"], R["sorted_n"] = tf.image.non_max_suppression_padded(
        b1, tf.sort(s1, direction="DESCENDING"), 6, sorted_input=True, canonicalized_coordinates=True,
        pad_to_max_output_size=True, tile_size=16)
    E["batched_unpadded"] = _error(lambda: tf.image.non_max_suppression_padded(bb, sb, 5))
    with tf.Session() as sess:
        out = sess.run(R)
    for k, v in E.items():
        out["err_" + k] = v
    return out
