"""Image files through a TF1 input pipeline: images encoded in the graph (JPEG at two qualities,
grayscale with optimized tables, progressive, PNG in 8 and 16 bits) written with
tf.io.write_file, listed and read back through tf.data (read_file -> decode_image -> float)
and through a queue (string_input_producer -> WholeFileReader -> decode_jpeg with ratio 2 and
the accurate DCT); extract_jpeg_shape, decode_and_crop_jpeg, is-it-a-JPEG sniffing done by
decode_image, adjust_jpeg_quality on a float image, and a corrupt file's error. The files'
bytes, the decoded pixels and the graph are compared with TF's."""
import os

import numpy as np

GRAPH = True


def _error(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001
        return type(e).__name__
    return "no error"


def main(tf, workdir):
    """File names are relative to workdir (made the working directory for the run), so the
    graph holds the same constants under both frameworks."""
    cwd = os.getcwd()
    os.chdir(workdir)
    try:
        return _run(tf)
    finally:
        os.chdir(cwd)


def _run(tf):
    out = {}
    y, x = np.mgrid[0:27, 0:35]
    pixels = np.stack([x * 7, y * 9, (x * y) % 256], -1).astype(np.uint8)
    image = tf.constant(pixels, name="pixels")
    encoded = {
        "a_q90.jpg": tf.image.encode_jpeg(image, quality=90),
        "b_q40_444.jpg": tf.io.encode_jpeg(image, quality=40, chroma_downsampling=False),
        "c_gray.jpg": tf.image.encode_jpeg(image[:, :, :1], format="grayscale", optimize_size=True),
        "d_progressive.jpg": tf.image.encode_jpeg(image, progressive=True),
        "e.png": tf.image.encode_png(image, compression=9),
        "f_16bit.png": tf.io.encode_png(tf.cast(image, tf.uint16) * 257),
    }
    writes = [tf.io.write_file(name, data) for name, data in sorted(encoded.items())]
    with tf.Session() as sess:
        sess.run(writes)
        for name, data in sorted(encoded.items()):
            out["bytes_" + name] = np.frombuffer(sess.run(data), np.uint8)

    paths = sorted(encoded)
    with tf.Graph().as_default():  # its function names carry a process-wide counter: not compared
        ds = tf.data.Dataset.from_tensor_slices(paths)
        ds = ds.map(lambda p: tf.image.decode_image(tf.io.read_file(p), channels=3, dtype=tf.float32,
                                                    expand_animations=False))
        ds = ds.map(lambda img: tf.reduce_mean(img, axis=[0, 1]))
        element = tf.data.make_one_shot_iterator(ds).get_next()
        with tf.Session() as sess:
            out["dataset_means"] = [sess.run(element) for _ in paths]

    queue = tf.train.string_input_producer([p for p in paths if p.endswith(".jpg")], shuffle=False, num_epochs=1)
    _, contents = tf.WholeFileReader().read(queue)
    small = tf.image.decode_jpeg(contents, channels=3, ratio=2, dct_method="INTEGER_ACCURATE")
    shape = tf.image.extract_jpeg_shape(contents)
    crop = tf.image.decode_and_crop_jpeg(contents, [3, 5, 11, 13], channels=3)
    with tf.Session() as sess:
        sess.run(tf.local_variables_initializer())
        coord = tf.train.Coordinator()
        threads = tf.train.start_queue_runners(sess, coord)
        for i in range(4):
            got = sess.run({"small": small, "shape": shape, "crop": crop})
            for key, value in got.items():
                out["queue_%d_%s" % (i, key)] = value
        coord.request_stop()
        coord.join(threads)

    floats = tf.constant(pixels.astype(np.float32) / 300.0, name="floats")
    requality = tf.image.adjust_jpeg_quality(floats, 55)
    blob = tf.placeholder(tf.string, [], name="blob")
    decoded = tf.io.decode_image(blob)
    with tf.Session() as sess:
        out["adjusted"] = sess.run(requality)
        png = out["bytes_e.png"].tobytes()
        out["decode_image_png"] = sess.run(decoded, {blob: png})
        out["corrupt"] = _error(lambda: sess.run(decoded, {blob: png[:40]}))
        out["not_an_image"] = _error(lambda: sess.run(decoded, {blob: b"text"}))
    out["__graph__"] = tf.get_default_graph().as_graph_def()
    return out
