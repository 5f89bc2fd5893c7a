"""Replay TF-made cases through `import metarun as tf`.

- Every case under tests/fixtures/cases/ (written by tests/fixtures/generate.py).
- The shared corpus (tfcases/ and realworld/, located by conftest.py), when it is there: only the
  cases named in SHARED_EXPECTED_PASS run; add a name once metarun passes it.
"""
import glob
import os

import pytest

from replay import replay_case

OWN_CASES_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "cases")

SHARED_EXPECTED_PASS = [
    "bad_inputs",
    "batchnorm_infer",
    "cnn_infer",
    "cnn_train_momentum",
    "collections_kinds",
    "cond_v1",
    "dtypes_mix",
    "elementwise_zoo",
    "import_scope_and_devices",
    "lstm_infer",
    "mlp_infer",
    "mlp_train_adam",
    "partitioned_var",
    "reductions_zoo",
    "seed_ex1_refvar",
    "seed_ex1_resource",
    "seed_train_restart",
    "shape_zoo",
    "sharded_saver",
    "text_metagraph",
    "while_v1",
    "banknotes_mlp_adam",
    "cartpole_dqn_rmsprop",
    "char_lstm_trump",
    "houseprices_dropout_cond",
    "lenet_mnist_contrib",
    "lstm_static_rnnrepo",
    "lstm_timeseries",
    "nxt_mlp_v1",
    "pos_simplernn_resource",
    "traffic_sign_lenet",
    "vocal_autoencoder_v1",
    "xor_mlp_sgd",
]

def _cases_in(root):
    return sorted(os.path.dirname(p) for p in glob.glob(os.path.join(root, "*", "case.json")))


@pytest.fixture(scope="module")
def tf():
    import metarun
    return metarun


def test_own_cases_exist():
    names = [os.path.basename(d) for d in _cases_in(OWN_CASES_DIR)]
    assert "seed_ex1_ref" in names and len(names) >= 12, names


def _own_case_params():
    return [pytest.param(d, id=os.path.basename(d)) for d in _cases_in(OWN_CASES_DIR)]


@pytest.mark.parametrize("case_dir", _own_case_params())
def test_own_case(tf, case_dir):
    replay_case(tf, case_dir)


def test_shared_case(tf, shared_case_dir):
    if os.path.basename(shared_case_dir) not in SHARED_EXPECTED_PASS:
        pytest.skip("not in SHARED_EXPECTED_PASS yet")
    replay_case(tf, shared_case_dir)


def test_shared_expected_pass_names_exist(shared_cases):
    present = set(os.path.basename(d) for d in shared_cases)
    assert sorted(set(SHARED_EXPECTED_PASS) - present) == []
