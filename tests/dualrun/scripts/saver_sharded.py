"""A sharded Saver over variables on three devices (ref and resource), saved, restored into a new
graph by import_meta_graph, and a second Saver with a dict var_list in the same graph."""
import os

GRAPH = True


def main(tf, workdir):
    with tf.device("/cpu:0"):
        a = tf.Variable(1.0, name="a")
    with tf.device("/cpu:1"):
        b = tf.Variable([2.0, 3.0], name="b")
    c = tf.Variable(4, name="c", use_resource=True)
    saver = tf.train.Saver(sharded=True)
    renamed = tf.train.Saver({"renamed_b": b, "renamed_a": a}, max_to_keep=2)
    init = tf.global_variables_initializer()
    config = tf.ConfigProto(device_count={"CPU": 2}, allow_soft_placement=True)
    with tf.Session(config=config) as sess:
        sess.run(init)
        sess.run([a.assign(7.0), b.assign([8.0, 9.0]), c.assign(10)])
        path = saver.save(sess, os.path.join(workdir, "sharded"), global_step=3)
        path2 = renamed.save(sess, os.path.join(workdir, "renamed"))
        graph_def = tf.get_default_graph().as_graph_def()
    files = sorted(f for f in os.listdir(workdir) if not f.startswith("checkpoint"))
    with tf.Graph().as_default():
        loader = tf.train.import_meta_graph(os.path.join(workdir, "sharded-3.meta"))
        with tf.Session(config=config) as sess:
            loader.restore(sess, path)
            restored = sess.run(["a:0", "b:0", "c/Read/ReadVariableOp:0"])
    reader = tf.train.NewCheckpointReader(path2)
    return {"__graph__": graph_def, "files": files, "restored": restored,
            "renamed": [reader.get_tensor("renamed_a"), reader.get_tensor("renamed_b")],
            "saver_def": [str(saver.saver_def.sharded), saver.saver_def.save_tensor_name,
                          saver.saver_def.restore_op_name, renamed.saver_def.restore_op_name],
            "paths": [os.path.basename(path), os.path.basename(path2)]}
