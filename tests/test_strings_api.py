"""tf.strings and the top-level string names: what the dual-run script tl_strings cannot show
(TF's Python-side errors, the names left out for want of RaggedTensor). Values and nodes are
compared with TF in tests/dualrun/scripts/tl_strings.py."""
import numpy as np
import pytest

import metarun as tf


def test_split_variants_refuse_what_needs_a_ragged_tensor():
    with tf.Graph().as_default():
        with pytest.raises(NotImplementedError):
            tf.strings.split(["a b"], result_type="RaggedTensor")
        with pytest.raises(NotImplementedError):
            tf.string_split(["a b"], result_type="RaggedTensor")
        with pytest.raises(NotImplementedError):
            tf.strings.split([["a b"]])
        with pytest.raises(ValueError, match="result_type must be"):
            tf.strings.split(["a b"], result_type="dense")
        with pytest.raises(ValueError, match="Cannot specify both 'delimiter' and 'sep'"):
            tf.string_split(["a b"], sep=" ", delimiter=",")
        with pytest.raises(ValueError, match="Cannot specify both 'source' and 'input'"):
            tf.strings.split(input=["a"], source=["b"])


def test_split_returns_a_sparse_tensor_fetched_as_a_value():
    with tf.Graph().as_default():
        st = tf.strings.split(tf.constant(["a b", "", "c"]))
        assert isinstance(st, tf.SparseTensor)
        assert st.indices.shape.as_list() == [None, 2] and st.dense_shape.shape.as_list() == [2]
        with tf.Session() as sess:
            v = sess.run(st)
        assert isinstance(v, tf.SparseTensorValue)
        np.testing.assert_array_equal(v.indices, [[0, 0], [0, 1], [2, 0]])
        assert v.values.tolist() == [b"a", b"b", b"c"]
        np.testing.assert_array_equal(v.dense_shape, [3, 2])


def test_regex_ops_choose_static_kernels_for_python_patterns():
    with tf.Graph().as_default():
        p = tf.constant("a")
        assert tf.strings.regex_replace(["x"], "a", "b").op.type == "StaticRegexReplace"
        assert tf.strings.regex_replace(["x"], p, "b").op.type == "RegexReplace"
        assert tf.strings.regex_full_match(["x"], "a").op.type == "StaticRegexFullMatch"
        assert tf.strings.regex_full_match(["x"], p).op.type == "RegexFullMatch"


def test_static_shape_checks():
    with tf.Graph().as_default():
        with pytest.raises(ValueError):
            tf.strings.regex_replace(["x"], tf.constant(["a"]), "b")
        with pytest.raises(ValueError):
            tf.strings.substr(["abc"], [0, 1], [1])
        assert tf.strings.reduce_join(tf.zeros([2, 3, 4], tf.string), axis=[0, -1]).shape.as_list() == [3]
        assert tf.strings.unsorted_segment_join(tf.zeros([5, 2], tf.string), [0] * 5, 4).shape.as_list() == [4, 2]


def test_names_left_out_for_want_of_ragged_tensors():
    for name in ("bytes_split", "ngrams", "unicode_decode", "unicode_decode_with_offsets", "unicode_encode",
                 "unicode_split", "unicode_split_with_offsets"):
        assert not hasattr(tf.strings, name), name
