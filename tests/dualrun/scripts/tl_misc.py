"""Variable reports, container, custom_gradient, make_template, init_scope, op_scope, tf.print,
get_static_value and make_tensor_proto against TF."""
import sys

import numpy as np

GRAPH = True


def main(tf, workdir):
    result = {}
    with tf.container("ctr"):
        v = tf.Variable(1.5, name="v")
    w = tf.get_variable("w", [2], initializer=tf.ones_initializer(), use_resource=True)
    report = tf.report_uninitialized_variables()
    ranks = tf.assert_variables_initialized()
    only_v = tf.assert_variables_initialized([v])

    @tf.custom_gradient
    def scaled(a):
        def grad(dy):
            return dy * 3.0
        return a * 2.0, grad

    c = tf.constant([1., 2.], name="c")
    y = scaled(c)
    gy = tf.gradients(y, c)[0]

    def dense(z):
        k = tf.get_variable("k", [2], initializer=tf.constant_initializer([0.5, -1.0]))
        return z * k
    tmpl = tf.make_template("dense", dense)
    t1, t2 = tmpl(c), tmpl(c + 1.0)
    with tf.name_scope("outer"):
        with tf.control_dependencies([y]):
            with tf.init_scope():
                lifted = tf.constant(4.0, name="lifted")
            inside = tf.identity(c, name="inside")
    with tf.op_scope([c], None, "opsc") as scope:
        result["op_scope"] = scope
        tf.identity(c)
    fmt = tf.print("value:", c, {"k": 2}, output_stream=sys.stdout, summarize=2, sep="|", end="!\n")
    result["print_type"] = fmt.type
    result["template_vars"] = [x.op.name for x in tmpl.variables]
    result["lifted_controls"] = [op.name for op in lifted.op.control_inputs]
    result["inside_controls"] = [op.name for op in inside.op.control_inputs]
    with tf.Session() as sess:
        result["report_before"] = sess.run(report)
        sess.run(tf.global_variables_initializer())
        result["report_after"] = sess.run(report)
        result["ranks"] = sess.run(ranks)
        result["only_v"] = sess.run(only_v)
        result["y"], result["gy"], result["t1"], result["t2"] = sess.run([y, gy, t1, t2])
        sess.run(fmt)
    static = tf.get_static_value(tf.shape(tf.zeros([2, 3])))
    result["static"] = static
    result["static_none"] = str(tf.get_static_value(tf.placeholder(tf.float32)))
    result["static_py"] = tf.get_static_value(7)
    result["is_tensor"] = [tf.is_tensor(c), tf.is_tensor(v), tf.is_tensor(3), tf.is_numeric_tensor(c),
                           tf.is_numeric_tensor(tf.constant("s"))]
    protos = [tf.make_tensor_proto([[1., 2.], [3., 4.]]), tf.make_tensor_proto(5, shape=[2, 2]),
              tf.make_tensor_proto([1, 2], dtype=tf.int64, shape=[4]), tf.make_tensor_proto(["a", "bc"]),
              tf.make_tensor_proto(np.arange(3, dtype=np.int8)), tf.make_tensor_proto(True, shape=[2])]
    result["protos"] = [p.SerializeToString() for p in protos]
    result["ndarrays"] = [tf.make_ndarray(p).tolist().__repr__() for p in protos]
    errors = []
    for fn in (lambda: tf.make_tensor_proto([1, 2, 3], shape=[2]),
               lambda: tf.make_tensor_proto([1, 2], shape=[2, 1], verify_shape=True),
               lambda: tf.make_template(None, dense)):
        try:
            fn()
            errors.append("no error")
        except Exception as e:  # noqa: BLE001
            errors.append(type(e).__name__)
    result["errors"] = errors
    result["__graph__"] = tf.get_default_graph().as_graph_def()
    return result
