"""signature_def_utils.MethodNameUpdater: method names replaced per tag set (a list, one tag, or
every MetaGraphDef), TF's ValueErrors, save() in place, to another folder and as .pbtxt, and the
loader reading the new names back."""
import os
import re


def _err(fn, workdir):
    try:
        fn()
    except Exception as e:  # noqa: BLE001 -- the class and message are the result
        return "%s: %s" % (type(e).__name__, re.sub(r"/\S*", "<path>", str(e).replace(workdir, "<dir>")))
    return "no error"


def _methods(tf, d):
    out = []
    for tags in (["serve"], ["train", "gpu"]):
        with tf.Graph().as_default(), tf.Session() as sess:
            meta = tf.saved_model.load(sess, tags, d)
            out += ["%s:%s=%s" % (",".join(tags), k, s.method_name) for k, s in sorted(meta.signature_def.items())]
    return out


def main(tf, workdir):
    x = tf.placeholder(tf.float32, [None], name="x")
    v = tf.Variable(3.0, name="v")
    y = tf.multiply(x, v, name="y")
    sig = tf.saved_model.predict_signature_def({"x": x}, {"y": y})
    r = {}
    for as_text in (False, True):
        d = os.path.join(workdir, "text" if as_text else "binary")
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            b = tf.saved_model.Builder(d)
            b.add_meta_graph_and_variables(sess, ["serve"], {"a": sig, "b": sig})
            b.add_meta_graph(["train", "gpu"], {"a": sig})
            b.save(as_text=as_text)
        u = tf.saved_model.signature_def_utils.MethodNameUpdater(d)
        p = "text_" if as_text else ""
        r[p + "no_key"] = _err(lambda: u.replace_method_name("", "m"), workdir)
        r[p + "no_method"] = _err(lambda: u.replace_method_name("a", None), workdir)
        r[p + "bad_tags"] = _err(lambda: u.replace_method_name("a", "m", tags=["nope"]), workdir)
        r[p + "missing_key"] = _err(lambda: u.replace_method_name("b", "m", tags=["gpu", "train"]), workdir)
        r[p + "missing_key_all"] = _err(lambda: u.replace_method_name("b", "m"), workdir)
        u.replace_method_name("a", "custom/all")
        u.replace_method_name("b", "custom/serve", tags="serve")
        u.replace_method_name("a", "custom/train", tags=["gpu", "train"])
        r[p + "before_save"] = _methods(tf, d)
        other = os.path.join(workdir, p + "other")
        r[p + "missing_dir"] = _err(lambda: u.save(other), workdir).split(":")[0]
        os.makedirs(other)
        u.save(other)
        r[p + "other_files"] = sorted(os.listdir(other))
        u.save()
        r[p + "after_save"] = _methods(tf, d)
    return r
