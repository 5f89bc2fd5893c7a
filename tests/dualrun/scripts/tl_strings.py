"""tf.strings and the TF1 top-level string functions (tf.string_split, tf.substr, tf.reduce_join,
tf.regex_replace, tf.string_to_number, base64, hash buckets...): values on fed and constant
inputs, static shapes, the nodes TF's wrappers build (static vs. tensor regex patterns, the
reversed reduction axes of reduce_join, the SparseTensors of the splits), TF's errors at run time,
and the ValueError of a format template with the wrong number of placeholders."""
import numpy as np

GRAPH = True


def main(tf, workdir):
    words = tf.placeholder(tf.string, [None], name="words")
    grid = tf.constant([["Hello", "wörld"], ["  pad me ", "ΣΑΣ"]], name="grid")
    nums = tf.placeholder(tf.string, [None], name="nums")
    pos = tf.placeholder(tf.int32, [None], name="pos")
    pattern = tf.placeholder(tf.string, [], name="pattern")
    dense = {
        "lower": tf.strings.lower(grid),
        "lower_utf8": tf.strings.lower(grid, encoding="utf-8"),
        "upper": tf.strings.upper(words, encoding="utf-8"),
        "strip": tf.strings.strip(grid),
        "string_strip": tf.string_strip(words),
        "length": tf.strings.length(grid),
        "length_chars": tf.strings.length(words, unit="UTF8_CHAR"),
        "substr": tf.strings.substr(words, 1, 2),
        "substr_fed": tf.substr(words, pos, tf.ones_like(pos)),
        "substr_chars": tf.strings.substr(grid, [0, 1], [3, 2], unit="UTF8_CHAR"),
        "to_number": tf.strings.to_number(nums),
        "to_number_i64": tf.string_to_number(nums[:2], out_type=tf.int64),
        "hash": tf.strings.to_hash_bucket(words, 1000),
        "hash_v1": tf.string_to_hash_bucket(grid, num_buckets=7),
        "hash_fast": tf.strings.to_hash_bucket_fast(words, 10),
        "hash_strong": tf.strings.to_hash_bucket_strong(words, 100, [3, 4]),
        "hash_strong_v1": tf.string_to_hash_bucket_strong(grid, 5, key=[1, 2]),
        "join": tf.strings.join([words, words], separator="+"),
        "string_join": tf.string_join(["a", words], "-"),
        "reduce_join": tf.reduce_join(grid),
        "reduce_join_axis": tf.strings.reduce_join(grid, axis=1, separator=",", keepdims=True),
        "reduce_join_v1": tf.reduce_join(grid, reduction_indices=[0], keep_dims=False),
        "segment_join": tf.strings.unsorted_segment_join(words, [1, 0, 1, 1], 3, separator="/"),
        "regex_static": tf.strings.regex_replace(words, r"[aeiou]", "_"),
        "regex_v1": tf.regex_replace(words, r"(\w)(\w*)", r"\2\1", replace_global=False),
        "regex_tensor": tf.strings.regex_replace(words, pattern, "#"),
        "full_match": tf.strings.regex_full_match(words, r"\w+"),
        "full_match_tensor": tf.strings.regex_full_match(words, pattern),
        "b64": tf.io.encode_base64(words),
        "b64_pad": tf.encode_base64(words, pad=True),
        "b64_round": tf.decode_base64(tf.io.encode_base64(words)),
        "b64_io_decode": tf.io.decode_base64(tf.constant(["aGk", "_-8"])),
        "as_string": tf.strings.as_string(tf.constant([1.5, -2.0])),
        "format": tf.strings.format("x={} y={}", [pos, words]),
        "format_one": tf.strings.format("{}!", pos),
        "script": tf.strings.unicode_script(tf.constant([65, 0x3B1, 0x4E00, -1])),
        "transcode": tf.strings.unicode_transcode(words, "UTF-8", "UTF-16-BE"),
        "transcode_bad": tf.strings.unicode_transcode(tf.constant([b"a\xffb"]), "UTF-8", "UTF-8",
                                                      errors="replace", replacement_char=63),
    }
    sparse = {
        "string_split": tf.string_split(words),
        "string_split_delim": tf.string_split(grid[0], delimiter="lo", skip_empty=False),
        "string_split_sep": tf.string_split(["a,b;c"], sep=",;"),
        "split": tf.strings.split(words),
        "split_sep": tf.strings.split(grid[1], sep=" ", maxsplit=1),
        "split_scalar": tf.strings.split("a b  c"),
        "split_source": tf.strings.split(source=words, sep="o"),
    }
    feed = {words: ["hello", "wörld", "Ab1", "xy"], nums: ["15", "-2", " 3 "], pos: [0, 1, 2, 0],
            pattern: "[lo]+"}
    result = {"shapes": [k + str(v.shape) for k, v in sorted(dense.items())]
              + [k + str(v.dense_shape.shape) + str(v.indices.shape) for k, v in sorted(sparse.items())]}
    with tf.Session() as sess:
        got = sess.run({"dense": dense, "sparse": sparse}, feed)
        result.update(got["dense"])
        for k, v in got["sparse"].items():
            result["sp_" + k] = [v.indices, v.values, v.dense_shape]
        for name, t, f in (("to_number_bad", dense["to_number"], {nums: ["1.5", "x"]}),
                           ("substr_oob", dense["substr_fed"], {pos: [9, 0, 0, 0]}),
                           ("bad_pattern", dense["regex_tensor"], {pattern: "("}),
                           ("b64_bad", dense["b64_round"], {}),
                           ("segment_oob", dense["segment_join"], {words: ["a", "b", "c", "d", "e"]})):
            try:
                out = sess.run(t, {**feed, **f})
                result["error_" + name] = ["no error", out]
            except tf.errors.OpError as ex:
                result["error_" + name] = type(ex).__name__
        result["after_error"] = sess.run(dense["regex_tensor"], feed)
        result["bad_b64"] = type_of_error(tf, sess, tf.decode_base64(tf.constant(["a"])))
    try:
        tf.strings.format("{} {}", [pos])
        result["format_mismatch"] = "no error"
    except ValueError:
        result["format_mismatch"] = "ValueError"
    result["__graph__"] = tf.get_default_graph().as_graph_def()
    return result


def type_of_error(tf, sess, t):
    try:
        sess.run(t)
        return "no error"
    except tf.errors.OpError as ex:
        return type(ex).__name__
