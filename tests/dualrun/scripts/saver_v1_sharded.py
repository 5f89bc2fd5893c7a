"""A sharded Saver with write_version=SaverDef.V1 over variables on three devices (ref,
resource, a partitioned one): TF's per-device ShardedFilename -> SaveSlices subgraph and the
ShardedFilespec it returns, node for node; one data file per shard (bytes compared with TF's),
`save` returning the `-?????-of-00003` pattern, the `checkpoint` state file, max_to_keep
deleting every shard of old checkpoints, the checkpoint-list helpers on the pattern, restores
by the same Saver and by one imported from the .meta, which saves V1 shards again."""
import os

import numpy as np

GRAPH = True


def _build(tf):
    with tf.device("/cpu:0"):
        a = tf.Variable(np.arange(4, dtype=np.float32) - 1.5, name="a")
    with tf.device("/cpu:1"):
        b = tf.Variable([[2.0, 3.0]], name="b", dtype=tf.float64)
        with tf.variable_scope("s", partitioner=tf.fixed_size_partitioner(2)):
            p = tf.get_variable("p", [3, 2], initializer=tf.constant_initializer(1.25))
    c = tf.Variable(4, name="c", use_resource=True)
    return a, b, p, c


def _files(workdir):
    return sorted(os.listdir(workdir))


def _bytes(path):
    with open(path, "rb") as f:
        return np.frombuffer(f.read(), np.uint8)


def main(tf, workdir):
    out = {}
    prefix = os.path.join(workdir, "model")
    a, b, p, c = _build(tf)
    saver = tf.train.Saver(sharded=True, write_version=tf.train.SaverDef.V1, max_to_keep=2)
    out["__graph__"] = tf.get_default_graph().as_graph_def()
    out["saver_def"] = [saver.saver_def.filename_tensor_name, saver.saver_def.save_tensor_name,
                        saver.saver_def.restore_op_name, str(saver.saver_def.sharded),
                        str(saver.saver_def.version)]
    step = tf.placeholder(tf.float32, [], name="step")
    update = tf.group(a.assign(a * step), b.assign_add(tf.cast(step, tf.float64) * b),
                      c.assign_add(tf.cast(step, tf.int32)),
                      *[tf.assign_add(part, tf.fill(part.get_shape().as_list(), step)) for part in p])
    config = tf.ConfigProto(device_count={"CPU": 2}, allow_soft_placement=True)
    paths, listings = [], []
    with tf.Session(config=config) as sess:
        sess.run(tf.global_variables_initializer())
        for i in range(3):
            sess.run(update, {step: float(i + 2)})
            paths.append(saver.save(sess, prefix, global_step=10 * i))
            listings.append(_files(workdir))
        out["saved"] = sess.run([a, b, tf.convert_to_tensor(p), c])
        sess.run(update, {step: 10.0})
        saver.restore(sess, paths[-1])
        out["restored_same"] = sess.run([a, b, tf.convert_to_tensor(p), c])
        saver.restore(sess, paths[-2])
        out["restored_older"] = sess.run([a, b, c])
    out["paths"] = [os.path.relpath(x, workdir) for x in paths]
    out["listings"] = ["|".join(x) for x in listings]
    with open(os.path.join(workdir, "checkpoint")) as f:
        out["state"] = f.read().replace(workdir, "DIR")
    out["bytes"] = [_bytes(os.path.join(workdir, "model-20-%05d-of-00003" % i)) for i in range(3)]
    out["latest"] = os.path.relpath(tf.train.latest_checkpoint(workdir), workdir)
    out["exists"] = [tf.train.checkpoint_exists(paths[-1]), tf.train.checkpoint_exists(paths[0])]
    out["mtimes"] = len(tf.train.get_checkpoint_mtimes(paths))
    reader = tf.train.NewCheckpointReader(paths[-1])
    keys = sorted(reader.get_variable_to_shape_map())
    out["keys"] = keys
    out["shapes"] = [reader.get_variable_to_shape_map()[k] for k in keys]
    out["values"] = [reader.get_tensor(k) for k in keys if k != "s/p"]  # TF's reader can't join V1 slices
    with tf.Graph().as_default():
        loader = tf.train.import_meta_graph(os.path.join(workdir, "model-20.meta"))
        out["imported_saver_def"] = [loader.saver_def.save_tensor_name, str(loader.saver_def.sharded),
                                     str(loader.saver_def.version)]
        with tf.Session(config=config) as sess:
            loader.restore(sess, paths[-1])
            out["restored_import"] = sess.run(["a:0", "b:0", "c/Read/ReadVariableOp:0",
                                               "s/p/part_0:0", "s/p/part_1:0"])
            again = loader.save(sess, os.path.join(workdir, "again"))
            out["again_path"] = os.path.relpath(again, workdir)
    out["again_bytes"] = [_bytes(os.path.join(workdir, "again-%05d-of-00003" % i)) for i in range(3)]
    out["files"] = _files(workdir)
    tf.train.remove_checkpoint(paths[-1], tf.train.SaverDef.V1)
    out["after_remove"] = _files(workdir)
    return out
