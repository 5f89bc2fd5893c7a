"""CountUpTo and ResourceCountUpTo (limit_epochs' counter): each run outputs the value before
its increment, until the variable has reached `limit`; then OutOfRangeError ("Reached limit of N",
TF's message) and the variable stays at the limit. Checked against counting in Python."""
import numpy as np
import pytest

import metarun as tf

COVERAGE = {"CountUpTo": {"int32", "int64"}, "ResourceCountUpTo": {"int32", "int64"}}


@pytest.mark.parametrize("use_resource", [False, True])
@pytest.mark.parametrize("dtype", [tf.int32, tf.int64])
def test_counts_up_to_the_limit_then_out_of_range(dtype, use_resource):
    with tf.Graph().as_default():
        v = tf.Variable(tf.constant(2, dtype), name="v", trainable=False, use_resource=use_resource)
        c = v.count_up_to(5)
        assert c.op.type == ("ResourceCountUpTo" if use_resource else "CountUpTo")
        assert c.dtype == dtype and c.shape.as_list() == []
        with tf.Session() as sess:
            sess.run(v.initializer)
            got = [sess.run(c) for _ in range(3)]
            assert got == [2, 3, 4] and all(g.dtype == dtype.as_numpy_dtype for g in got)
            for _ in range(2):
                with pytest.raises(tf.errors.OutOfRangeError, match="Reached limit of 5"):
                    sess.run(c)
            assert sess.run(v) == 5
            sess.run(v.initializer)  # re-initialized: counts again
            assert sess.run(c) == 2


def test_uninitialized_and_not_scalar():
    with tf.Graph().as_default():
        v = tf.Variable(np.int64(0), name="v")
        m = tf.Variable(np.zeros(2, np.int64), name="m", validate_shape=False)
        c = tf.count_up_to(v, 1, name="counter")
        assert c.op.name == "counter"
        with pytest.raises(ValueError, match="must be rank 0"):
            tf.count_up_to(tf.Variable(np.zeros(2, np.int64)), 3)
        cm = tf.count_up_to(m, 3)
        with tf.Session() as sess:
            with pytest.raises(tf.errors.FailedPreconditionError, match="uninitialized value v"):
                sess.run(c)
            sess.run(tf.global_variables_initializer())
            with pytest.raises(tf.errors.InvalidArgumentError, match=r"Not a scalar tensor: \[2\]"):
                sess.run(cm)
            assert sess.run(c) == 0  # the session still runs
