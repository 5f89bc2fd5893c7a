"""tf.matching_files and tf.io.matching_files, as TF 2.21 builds and runs them."""
import pytest

import metarun as tf


def test_matching_files_api_and_static_shape(tmp_path):
    """tf.matching_files / tf.io.matching_files: a pattern or a vector of them; TF gives a (?,) shape."""
    for name in ("b.txt", "a.txt", "c.csv"):
        (tmp_path / name).write_text(name)
    with tf.Graph().as_default():
        m = tf.matching_files(str(tmp_path / "*.txt"))
        m2 = tf.io.matching_files([str(tmp_path / "*.csv"), str(tmp_path / "a*")])
        assert m.shape.as_list() == [None] and m2.shape.as_list() == [None]
        with pytest.raises(ValueError, match="at most rank 1"):
            tf.io.matching_files([["x"]])
        with tf.Session() as s:
            assert s.run(m).tolist() == [str(tmp_path / n).encode() for n in ("a.txt", "b.txt")]
            assert s.run(m2).tolist() == [str(tmp_path / n).encode() for n in ("a.txt", "c.csv")]
