"""A Saver with write_version=SaverDef.V1 over ref, resource and partitioned variables (bool,
int64, float): TF's SaveSlices save subgraph node for node, the one data file per checkpoint
(bytes compared with TF's), the paths `save` returns, the `checkpoint` state file, max_to_keep
deleting old data files, the checkpoint-list helpers, and restores by the same Saver and by a
Saver from the exported .meta in a fresh graph."""
import logging
import os

import numpy as np

GRAPH = True


def _build(tf):
    a = tf.Variable(np.arange(6, dtype=np.float32).reshape(2, 3) / 4, name="a")
    with tf.variable_scope("s", partitioner=tf.fixed_size_partitioner(2)):
        p = tf.get_variable("p", [5, 2], initializer=tf.constant_initializer(0.5))
    c = tf.Variable(np.int64(7), name="c", use_resource=True)
    flag = tf.Variable([True, False], name="flag")
    return a, p, c, flag


def _files(workdir):
    return sorted(os.listdir(workdir))


class _Collect(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.lines = []

    def emit(self, record):
        self.lines.append(record.getMessage())


def _bytes(path):
    with open(path, "rb") as f:
        return np.frombuffer(f.read(), np.uint8)


def main(tf, workdir):
    out = {}
    prefix = os.path.join(workdir, "model")
    a, p, c, flag = _build(tf)
    saver = tf.train.Saver(write_version=tf.train.SaverDef.V1, max_to_keep=2)
    out["__graph__"] = tf.get_default_graph().as_graph_def()
    out["saver_def"] = [saver.saver_def.filename_tensor_name, saver.saver_def.save_tensor_name,
                        saver.saver_def.restore_op_name, str(saver.saver_def.sharded),
                        str(saver.saver_def.version)]
    step = tf.placeholder(tf.float32, [], name="step")
    update = tf.group(a.assign(a * step), c.assign_add(tf.cast(step, tf.int64)),
                      tf.assign(flag, tf.logical_not(flag)),
                      *[tf.assign_add(part, tf.fill(part.get_shape().as_list(), step)) for part in p])
    paths, listings = [], []
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for i in range(4):
            sess.run(update, {step: float(i + 2)})
            collect = _Collect()
            logging.getLogger("tensorflow").addHandler(collect)
            try:
                paths.append(saver.save(sess, prefix, global_step=i))
            finally:
                logging.getLogger("tensorflow").removeHandler(collect)
            if i == 0:  # what every V1 save logs (later saves also delete, which TF logs as deprecated)
                out["logged"] = collect.lines
            listings.append(_files(workdir))
        saved = sess.run([a, tf.convert_to_tensor(p), c, flag])
        # The data file would be the state file: refused before anything is written.
        try:
            saver.save(sess, os.path.join(workdir, "checkpoint"))
            out["collision"] = "none"
        except ValueError:
            out["collision"] = "ValueError"
        # The same Saver restores what it wrote after the variables changed.
        sess.run(update, {step: 10.0})
        saver.restore(sess, paths[-1])
        out["restored_same"] = sess.run([a, tf.convert_to_tensor(p), c, flag])
        # The older kept checkpoint, then a save without a step (which pushes model-2 out).
        saver.restore(sess, paths[-2])
        out["restored_older"] = sess.run([a, c])
        out["plain_path"] = os.path.relpath(saver.save(sess, prefix, write_meta_graph=False), workdir)
    out["saved"] = saved
    out["paths"] = [os.path.relpath(x, workdir) for x in paths]
    out["listings"] = ["|".join(x) for x in listings]
    out["files"] = _files(workdir)
    with open(os.path.join(workdir, "checkpoint")) as f:
        out["state"] = f.read().replace(workdir, "DIR")
    out["last_checkpoints"] = [os.path.relpath(x, workdir) for x in saver.last_checkpoints]
    # The V1 data files byte for byte (TF's writer is deterministic).
    out["bytes"] = [_bytes(os.path.join(workdir, f)) for f in ("model-3", "model")]
    out["latest"] = os.path.relpath(tf.train.latest_checkpoint(workdir), workdir)
    out["exists"] = [tf.train.checkpoint_exists(paths[-1]), tf.train.checkpoint_exists(paths[0]),
                     tf.train.checkpoint_exists(prefix)]
    out["mtimes"] = len(tf.train.get_checkpoint_mtimes(paths))
    reader = tf.train.NewCheckpointReader(paths[-1])
    keys = sorted(reader.get_variable_to_shape_map())
    out["keys"] = keys
    out["values"] = [reader.get_tensor(k) for k in keys if k != "s/p"]  # TF's reader can't join V1 slices
    with tf.Graph().as_default():
        loader = tf.train.import_meta_graph(paths[-1] + ".meta")
        out["imported_saver_def"] = [loader.saver_def.save_tensor_name, str(loader.saver_def.version)]
        with tf.Session() as sess:
            loader.restore(sess, paths[-1])
            out["restored_import"] = sess.run(["a:0", "c/Read/ReadVariableOp:0", "flag:0",
                                               "s/p/part_0:0", "s/p/part_1:0"])
            # The imported Saver saves V1 again through the graph's own ops.
            again = loader.save(sess, os.path.join(workdir, "again"), global_step=9)
            out["again_path"] = os.path.relpath(again, workdir)
        out["again_bytes"] = _bytes(again)
    for version in (0, 3):  # neither V1 nor V2
        with tf.Graph().as_default():
            tf.Variable(1.0, name="v")
            try:
                tf.train.Saver(write_version=version)
                out["version_%d" % version] = "built"
            except (TypeError, ValueError, RuntimeError) as e:
                out["version_%d" % version] = type(e).__name__
    tf.train.remove_checkpoint(paths[-1], tf.train.SaverDef.V1)
    out["after_remove"] = _files(workdir)
    # A SaverDef of LEGACY version (0, as graphs of old TF have) over the same V1 ops: max_to_keep
    # deletes old checkpoints as V1 files.
    legacy_def = tf.train.SaverDef()
    legacy_def.CopyFrom(saver.saver_def)
    legacy_def.version = 0
    legacy_def.max_to_keep = 1
    legacy = tf.train.Saver(saver_def=legacy_def)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for i in (1, 2):
            legacy.save(sess, os.path.join(workdir, "legacy"), global_step=i, latest_filename="legacy_state")
    out["legacy_files"] = [f for f in _files(workdir) if f.startswith("legacy")]
    return out
