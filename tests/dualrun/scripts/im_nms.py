"""tf.image's non-max suppression family (non_max_suppression, _with_scores, _overlaps,
combined_non_max_suppression), draw_bounding_boxes with and without colours, and
sample_distorted_bounding_box's seeded crops over several runs: values, static shapes, the
graph node by node and the errors TF raises."""
import numpy as np

GRAPH = True


def _error(fn, message=True):
    try:
        fn()
        return ["none", ""]
    except Exception as e:  # noqa: BLE001 -- the class is the result
        return [type(e).__name__, str(e).split("\n")[0].split(" for '{{node")[0] if message else ""]


def main(tf, workdir):
    rng = np.random.RandomState(3)
    y0, x0 = rng.uniform(0, 0.6, 20), rng.uniform(0, 0.6, 20)
    boxes_np = np.stack([y0, x0, y0 + rng.uniform(0.1, 0.4, 20), x0 + rng.uniform(0.1, 0.4, 20)], 1)
    boxes = tf.constant(boxes_np.astype(np.float32), name="boxes")
    scores = tf.constant(rng.uniform(0, 1, 20).astype(np.float32), name="scores")
    ph_boxes = tf.placeholder(tf.float32, [None, 4], name="ph_boxes")
    ph_scores = tf.placeholder(tf.float32, [None], name="ph_scores")
    ph_max = tf.placeholder(tf.int32, [], name="ph_max")
    feed = {ph_boxes: boxes_np[:9].astype(np.float32), ph_scores: rng.uniform(0, 1, 9).astype(np.float32),
            ph_max: 4}
    R, E = {}, {}
    R["nms"] = tf.image.non_max_suppression(boxes, scores, 10)
    R["nms_thr"] = tf.image.non_max_suppression(boxes, scores, 5, iou_threshold=0.3, score_threshold=0.2, name="n")
    R["nms_ph"] = tf.image.non_max_suppression(ph_boxes, ph_scores, ph_max, 0.4)
    R["nms_half"] = tf.image.non_max_suppression(tf.cast(boxes, tf.float16), tf.cast(scores, tf.float16), 6)
    R["nms_scores_idx"], R["nms_scores"] = tf.image.non_max_suppression_with_scores(
        boxes, scores, 8, iou_threshold=0.6, score_threshold=0.05, soft_nms_sigma=0.5)
    R["nms_scores_hard_idx"], R["nms_scores_hard"] = tf.image.non_max_suppression_with_scores(boxes, scores, 8,
                                                                                              name="ws")
    overlaps = tf.constant(rng.uniform(0, 1, [12, 12]).astype(np.float32))
    R["nms_overlaps"] = tf.image.non_max_suppression_overlaps(overlaps, scores[:12], 6, overlap_threshold=0.7)
    cb = tf.constant(rng.uniform(-0.1, 1.1, [2, 10, 1, 4]).astype(np.float32))
    cs = tf.constant(rng.uniform(0, 1, [2, 10, 3]).astype(np.float32))
    comb = tf.image.combined_non_max_suppression(cb, cs, 3, 7, iou_threshold=0.4, score_threshold=0.1)
    R["comb_boxes"], R["comb_scores"], R["comb_classes"], R["comb_valid"] = comb
    comb2 = tf.image.combined_non_max_suppression(cb, cs, 2, 20, pad_per_class=True, clip_boxes=False, name="cn")
    R["comb2_boxes"], R["comb2_scores"], R["comb2_classes"], R["comb2_valid"] = comb2
    S = {}
    S["shapes"] = [str(t.shape) for t in [R["nms"], R["nms_ph"], R["nms_scores"]] + list(comb) + list(comb2)]

    images = tf.constant(rng.uniform(0, 1, [2, 8, 9, 3]).astype(np.float32))
    dboxes = tf.constant([[[0.1, 0.1, 0.6, 0.8], [0.0, 0.3, 1.0, 0.9]], [[0.5, 0.5, 0.2, 0.9], [-0.1, 0.2, 0.4, 1.3]]])
    R["draw"] = tf.image.draw_bounding_boxes(images, dboxes)
    R["draw_named"] = tf.image.draw_bounding_boxes(tf.cast(images[:, :, :, :1], tf.float16), dboxes, name="d")
    R["draw_colors"] = tf.image.draw_bounding_boxes(images, dboxes, colors=[[1.0, 0.0, 0.5, 1.0], [0.2, 0.2, 0.2, 1]])

    size = tf.constant([60, 80, 3])
    sboxes = tf.constant([[[0.1, 0.2, 0.6, 0.7], [0.3, 0.3, 0.9, 0.8]]])
    begin, extent, bbox = tf.image.sample_distorted_bounding_box(size, sboxes, seed=5, seed2=9,
                                                                 min_object_covered=0.3)
    begin2, extent2, bbox2 = tf.image.sample_distorted_bounding_box(
        tf.constant([30, 20, 1], tf.int64), sboxes, seed=11, min_object_covered=tf.constant(0.5),
        aspect_ratio_range=[0.5, 2.0], area_range=[0.1, 0.8], max_attempts=20, use_image_if_no_bounding_boxes=True,
        name="sdbb")
    S["sdbb_shapes"] = [str(t.shape) for t in (begin, extent, bbox)]
    E["nms_rank"] = _error(lambda: tf.image.non_max_suppression(boxes[0], scores, 3))
    E["nms_cols"] = _error(lambda: tf.image.non_max_suppression(boxes[:, :3], scores, 3))
    E["sdbb_rank"] = _error(lambda: tf.image.sample_distorted_bounding_box(size, sboxes[0]))
    with tf.Session() as sess:
        out = sess.run(R, feed)
        runs = [sess.run([begin, extent, bbox, begin2, extent2, bbox2]) for _ in range(3)]
        for i, r in enumerate(runs):
            for j, v in enumerate(r):
                out["sdbb_run%d_%d" % (i, j)] = v
        E["run_max_negative"] = _error(lambda: sess.run(R["nms_ph"], dict(feed, **{ph_max: -1})), False)
        E["run_scores_len"] = _error(lambda: sess.run(R["nms_ph"], dict(feed, **{ph_scores: np.zeros(3, np.float32)})),
                                     False)
        E["after"] = ["ok", str(sess.run(R["nms"]).dtype)]
    for k, v in E.items():
        out["err_" + k] = v
    out.update(S)
    out["__graph__"] = tf.get_default_graph().as_graph_def()
    return out
