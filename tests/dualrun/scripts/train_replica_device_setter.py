"""tf.train.replica_device_setter as TF1 parameter-server scripts use it: variables (ref and
resource, slots of an optimizer) on the ps tasks in turn, everything else on the worker, with
merging of devices already set; None for no ps tasks. The graph is compared node for node,
devices included. Nothing runs: TF cannot place these ops without a cluster (metarun runs every
device's ops on the one machine)."""

GRAPH = True


def main(tf, workdir):
    assert tf.train.replica_device_setter(ps_tasks=0) is None
    assert tf.train.replica_device_setter(cluster={"worker": ["w0:1"]}) is None
    with tf.device(tf.train.replica_device_setter(ps_tasks=2, worker_device="/job:worker/task:0")):
        x = tf.placeholder(tf.float32, [None, 3], name="x")
        w = tf.Variable(tf.ones([3, 2]), name="w")
        b = tf.get_variable("b", [2], initializer=tf.zeros_initializer())
        r = tf.get_variable("r", [2], initializer=tf.ones_initializer(), use_resource=True)
        with tf.device("/cpu:0"):
            y = tf.matmul(x, w) + b * r
        loss = tf.reduce_sum(y * y)
        step = tf.train.MomentumOptimizer(0.01, 0.9).minimize(loss)
    cluster = {"ps": ["ps0:2222", "ps1:2222", "ps2:2222"], "worker": ["w0:2222"]}
    with tf.device(tf.train.replica_device_setter(cluster=cluster, ps_device="/job:ps/cpu:0")):
        v = tf.Variable(3.0, name="v")
        u = v * 2.0
    with tf.device(tf.train.replica_device_setter(ps_tasks=1, merge_devices=False)):
        with tf.device("/job:other"):
            z = tf.Variable(1.0, name="z")
    assert step is not None and u is not None
    return {"devices": [t.device for t in (x, w, b, r, y, loss, v, u, z)],
            "__graph__": tf.get_default_graph().as_graph_def()}
