"""tf.saved_model's TF1 API: SignatureDefs and TensorInfos byte for byte, is_valid_signature,
each helper's errors and messages, SavedModelBuilder's files, collections, saver and
checks, loading back (with an import scope, from .pbtxt, assets fed to the main op),
main_op and main_op_with_restore, maybe_saved_model_directory/contains_saved_model."""
import os
import re

import numpy as np


def _walk(d):
    out = []
    for root, _, files in os.walk(d):
        out += [os.path.relpath(os.path.join(root, f), d) for f in files]
    return sorted(out)


def _err(fn, workdir):
    try:
        fn()
    except Exception as e:  # noqa: BLE001 -- the class and message are the result
        text = re.sub(r"<class '[\w.]+'>", "<class>", str(e).replace(workdir, "<dir>"))  # Tensor classes differ
        return "%s: %s" % (type(e).__name__, text)
    return "no error"


def main(tf, workdir):
    sm = tf.saved_model
    r = {}
    x = tf.placeholder(tf.float32, [None, 3], name="x")
    ex = tf.placeholder(tf.string, [None], name="examples")
    sp = tf.sparse_placeholder(tf.float32, [None, 4], name="sp")
    w = tf.Variable(np.arange(6, dtype=np.float32).reshape(3, 2), name="w")
    v = tf.get_variable("v", initializer=np.float32(1.5), use_resource=True)
    y = tf.add(tf.matmul(x, w), v, name="y")
    scores = tf.nn.softmax(y, name="scores")
    classes = tf.constant(["a", "b"], name="classes")
    k = tf.constant(3, name="k")

    info = sm.build_tensor_info
    r["info_dense"] = info(x).SerializeToString(deterministic=True).hex()
    r["info_sparse"] = info(sp).SerializeToString(deterministic=True).hex()
    r["info_scalar"] = info(k).SerializeToString(deterministic=True).hex()
    r["from_info"] = sm.get_tensor_from_tensor_info(info(y)).name
    back = sm.get_tensor_from_tensor_info(info(sp))
    r["from_sparse"] = [back.indices.name, back.values.name, back.dense_shape.name]
    r["from_missing"] = _err(lambda: sm.utils.get_tensor_from_tensor_info(info(y), import_scope="nope"), workdir)

    predict = sm.predict_signature_def({"x": x}, {"y": y, "s": scores})
    classify = sm.classification_signature_def(ex, classes, scores)
    classify_scores = sm.signature_def_utils.classification_signature_def(ex, None, scores)
    regress = sm.regression_signature_def(ex, y)
    built = sm.build_signature_def({"x": info(x)}, {"y": info(y)}, "custom/method", defaults={"k": k})
    for name, sig in [("predict", predict), ("classify", classify), ("classify_scores", classify_scores),
                      ("regress", regress), ("built", built),
                      ("empty", sm.build_signature_def())]:
        r["sig_" + name] = sig.SerializeToString(deterministic=True).hex()
        r["valid_" + name] = sm.is_valid_signature(sig)
    r["valid_none"] = sm.is_valid_signature(None)
    bad_classify = sm.build_signature_def({"inputs": info(ex)}, {"other": info(scores)},
                                          sm.CLASSIFY_METHOD_NAME)
    r["valid_bad_classify"] = sm.signature_def_utils.is_valid_signature(bad_classify)
    bad_regress = sm.build_signature_def({"inputs": info(x)}, {"outputs": info(y)}, sm.REGRESS_METHOD_NAME)
    r["valid_bad_regress"] = sm.is_valid_signature(bad_regress)

    errs = {
        "predict_no_inputs": lambda: sm.predict_signature_def({}, {"y": y}),
        "predict_no_outputs": lambda: sm.predict_signature_def({"x": x}, None),
        "regress_none": lambda: sm.regression_signature_def(None, y),
        "regress_not_tensor": lambda: sm.regression_signature_def("x", y),
        "regress_no_predictions": lambda: sm.regression_signature_def(ex, None),
        "regress_float_input": lambda: sm.regression_signature_def(x, y),
        "regress_string_output": lambda: sm.regression_signature_def(ex, classes),
        "classify_none": lambda: sm.classification_signature_def(None, classes, scores),
        "classify_no_outputs": lambda: sm.classification_signature_def(ex, None, None),
        "classify_float_input": lambda: sm.classification_signature_def(x, classes, None),
        "classify_float_classes": lambda: sm.classification_signature_def(ex, scores, None),
        "classify_string_scores": lambda: sm.classification_signature_def(ex, None, classes),
        "defaults_not_const": lambda: sm.build_signature_def(defaults={"y": y}),
    }
    for name, fn in errs.items():
        r["err_" + name] = _err(fn, workdir)

    with open(os.path.join(workdir, "vocab.txt"), "w") as f:
        f.write("a\nb\nc\n")
    asset = tf.constant(os.path.join(workdir, "vocab.txt"), name="asset_path")
    table = tf.lookup.StaticHashTable(
        tf.lookup.TextFileInitializer(asset, tf.string, tf.lookup.TextFileIndex.WHOLE_LINE, tf.int64,
                                      tf.lookup.TextFileIndex.LINE_NUMBER), -1)
    words = tf.placeholder(tf.string, [None], name="words")
    ids = tf.identity(table.lookup(words), name="ids")

    d = os.path.join(workdir, "export")
    os.makedirs(os.path.join(d, "junk"))
    r["builder_not_empty"] = _err(lambda: sm.builder.SavedModelBuilder(d), workdir)
    os.rmdir(os.path.join(d, "junk"))
    b = sm.Builder(d)
    r["add_before_vars"] = _err(lambda: b.add_meta_graph(["x"]), workdir)
    r["reserved_init_key"] = _err(lambda: b.add_meta_graph_and_variables(
        None, ["serve"], {"__saved_model_init_op": predict}), workdir)
    r["reserved_train_key"] = _err(lambda: b.add_meta_graph_and_variables(
        None, ["serve"], {"__saved_model_train_op": predict}), workdir)
    no_dtype = tf.TensorInfo(name="x:0")
    r["info_no_dtype"] = _err(lambda: b.add_meta_graph_and_variables(
        None, ["serve"], {"s": sm.build_signature_def({"x": no_dtype})}), workdir)
    r["info_no_name"] = _err(lambda: b.add_meta_graph_and_variables(
        None, ["serve"], {"s": sm.build_signature_def({"x": tf.TensorInfo(dtype=1)})}), workdir)
    r["main_op_not_op"] = _err(lambda: b.add_meta_graph_and_variables(None, ["serve"], main_op="init"), workdir)
    r["asset_not_const"] = _err(lambda: b.add_meta_graph_and_variables(
        None, ["serve"], assets_collection=[y]), workdir)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(w.assign(w * 2.0))
        b.add_meta_graph_and_variables(sess, [sm.SERVING], {"serving_default": predict, "lookup":
                                       sm.predict_signature_def({"words": words}, {"ids": ids})},
                                       assets_collection=[asset], main_op=tf.tables_initializer())
    r["vars_twice"] = _err(lambda: b.add_meta_graph_and_variables(None, ["serve"]), workdir)
    r["main_op_twice"] = _err(lambda: b.add_meta_graph(["other"], main_op=tf.no_op()), workdir)
    b.add_meta_graph([sm.TRAINING, sm.GPU], {"regress": regress}, clear_devices=True)
    r["save_path"] = b.save().replace(workdir.encode(), b"<dir>")
    r["files"] = _walk(d)
    with open(os.path.join(d, "assets", "vocab.txt")) as f:
        r["asset_copied"] = f.read()

    feed = np.array([[1.0, 2.0, 3.0], [-1.0, 0.5, 0.0]], np.float32)
    with tf.Graph().as_default() as g, tf.Session() as sess:
        meta = sm.loader.load(sess, ["serve"], d, import_scope="imp")
        r["tags"] = sorted(meta.meta_info_def.tags)
        r["signature_keys"] = sorted(meta.signature_def)
        r["collections"] = sorted(meta.collection_def)
        r["saver"] = [meta.saver_def.filename_tensor_name, meta.saver_def.save_tensor_name,
                      meta.saver_def.restore_op_name, meta.saver_def.sharded, meta.saver_def.version,
                      meta.saver_def.max_to_keep]
        r["main_op_collection"] = [x.name for x in g.get_collection(sm.MAIN_OP_KEY)]
        sig = meta.signature_def["serving_default"]
        r["loaded_y"] = sess.run("imp/" + sig.outputs["y"].name, {"imp/" + sig.inputs["x"].name: feed})
        r["loaded_ids"] = sess.run("imp/ids:0", {"imp/words:0": ["c", "z", "a"]})
        r["loaded_scoped_tensor"] = sm.get_tensor_from_tensor_info(sig.outputs["y"], import_scope="imp").name
    with tf.Graph().as_default() as g, tf.Session() as sess:
        meta = sm.load(sess, ["gpu", "train"], d)
        r["train_tags"] = list(meta.meta_info_def.tags)
        r["train_signatures"] = sorted(meta.signature_def)
        r["train_y"] = sess.run("y:0", {"x:0": feed})
    r["missing_dir"] = _err(lambda: sm.loader.load(None, ["serve"], os.path.join(workdir, "none")), workdir)
    r["maybe"] = [sm.maybe_saved_model_directory(d), sm.loader.maybe_saved_model_directory(workdir),
                  sm.contains_saved_model(d), sm.contains_saved_model(workdir)]

    t = os.path.join(workdir, "text")
    with tf.Graph().as_default(), tf.Session() as sess:
        c = tf.Variable(4.0, name="c")
        z = tf.multiply(c, 2.0, name="z")
        sess.run(tf.global_variables_initializer())
        tb = sm.Builder(t)
        tb.add_meta_graph_and_variables(sess, ["serve"], legacy_init_op=tf.group(c.assign(7.0), name="legacy"))
        r["text_path"] = tb.save(as_text=True).replace(workdir.encode(), b"<dir>")
        r["main_op"] = sorted(i.name for i in sm.main_op.main_op().control_inputs)
        r["main_op_with_restore"] = sorted(i.name for i in sm.main_op_with_restore(tf.get_default_graph().get_operation_by_name("save/restore_all")).control_inputs)
    r["text_files"] = _walk(t)
    with tf.Graph().as_default(), tf.Session() as sess:
        sm.load(sess, ["serve"], t)
        r["text_z"] = sess.run("z:0")
        r["missing_tags"] = _err(lambda: sm.loader.load(sess, ["serve", "gpu"], t), workdir)

    s = os.path.join(workdir, "simple")
    with tf.Graph().as_default(), tf.Session() as sess:
        a = tf.placeholder(tf.float32, [2], name="a")
        q = tf.Variable([1.0, -1.0], name="q")
        out = tf.multiply(a, q, name="out")
        tf.add_to_collection(tf.GraphKeys.ASSET_FILEPATHS, tf.constant(os.path.join(workdir, "vocab.txt")))
        sess.run(tf.global_variables_initializer())
        sm.simple_save(sess, s, {"a": a}, {"out": out})
    r["simple_files"] = _walk(s)
    with tf.Graph().as_default(), tf.Session() as sess:
        meta = sm.load(sess, [sm.tag_constants.SERVING], s)
        r["simple_sig"] = meta.signature_def[sm.signature_constants.DEFAULT_SERVING_SIGNATURE_DEF_KEY] \
            .SerializeToString(deterministic=True).hex()
        r["simple_assets"] = [a.value.hex() for a in meta.collection_def[sm.constants.ASSETS_KEY].any_list.value]
        r["simple_out"] = sess.run("out:0", {"a:0": [3.0, 4.0]})
    r["constants"] = [sm.SERVING, sm.TRAINING, sm.GPU, sm.TPU, sm.DEFAULT_SERVING_SIGNATURE_DEF_KEY,
                      sm.PREDICT_INPUTS, sm.PREDICT_OUTPUTS, sm.PREDICT_METHOD_NAME, sm.CLASSIFY_INPUTS,
                      sm.CLASSIFY_OUTPUT_CLASSES, sm.CLASSIFY_OUTPUT_SCORES, sm.CLASSIFY_METHOD_NAME,
                      sm.REGRESS_INPUTS, sm.REGRESS_OUTPUTS, sm.REGRESS_METHOD_NAME, sm.ASSETS_DIRECTORY,
                      sm.ASSETS_KEY, sm.LEGACY_INIT_OP_KEY, sm.MAIN_OP_KEY, sm.SAVED_MODEL_FILENAME_PB,
                      sm.SAVED_MODEL_FILENAME_PBTXT, sm.SAVED_MODEL_SCHEMA_VERSION, sm.VARIABLES_DIRECTORY,
                      sm.VARIABLES_FILENAME, sm.DEBUG_DIRECTORY, sm.DEBUG_INFO_FILENAME_PB,
                      sm.constants.MAIN_OP_KEY, sm.tag_constants.TPU, sm.signature_constants.REGRESS_OUTPUTS]
    return r
