"""tf.random.*_candidate_sampler and tf.nn.compute_accidental_hits: the candidate samplers of
sampled_softmax_loss and nce_loss, seeded as TF seeds them (graph seed + op seed -> seed, seed2).

The samplers are not differentiable; their outputs are static in shape: sampled candidates and
their expected counts [num_sampled], the true classes' expected counts [batch, num_true]."""

import collections

from metarun.framework import shape_inference as si
from metarun.framework.op_builder import apply_op
from metarun.framework.tensor_shape import TensorShape
from metarun.ops.gradients_impl import NoGradient
from metarun.ops.random_ops import get_seed

_SAMPLERS = ("UniformCandidateSampler", "LogUniformCandidateSampler", "LearnedUnigramCandidateSampler",
             "FixedUnigramCandidateSampler", "AllCandidateSampler", "ThreadUnsafeUnigramCandidateSampler")

for _t in _SAMPLERS + ("ComputeAccidentalHits",):
    NoGradient(_t)

_SamplerOutput = {t: collections.namedtuple(t, ["sampled_candidates", "true_expected_count",
                                                "sampled_expected_count"]) for t in _SAMPLERS}
_AccidentalHits = collections.namedtuple("ComputeAccidentalHits", ["indices", "ids", "weights"])


@si.register(*_SAMPLERS)
def _sampler_shape(op):
    n = op.get_attr("num_sampled")
    true_shape = op.inputs[0].shape
    batch = true_shape.dims[0] if true_shape.ndims == 2 else None
    return [TensorShape([n]), TensorShape([batch, op.get_attr("num_true")]), TensorShape([n])]


@si.register("ComputeAccidentalHits")
def _accidental_hits_shape(op):
    return [TensorShape([None])] * 3


def _seeds(seed):
    s1, s2 = get_seed(seed)
    return {"seed": s1 or 0, "seed2": s2 or 0}


def _sample(op_type, name, **kwargs):
    return _SamplerOutput[op_type](*apply_op(op_type, name=name, **kwargs))


def uniform_candidate_sampler(true_classes, num_true, num_sampled, unique, range_max, seed=None, name=None):
    return _sample("UniformCandidateSampler", name, true_classes=true_classes, num_true=num_true,
                   num_sampled=num_sampled, unique=unique, range_max=range_max, **_seeds(seed))


def log_uniform_candidate_sampler(true_classes, num_true, num_sampled, unique, range_max, seed=None, name=None):
    return _sample("LogUniformCandidateSampler", name, true_classes=true_classes, num_true=num_true,
                   num_sampled=num_sampled, unique=unique, range_max=range_max, **_seeds(seed))


def learned_unigram_candidate_sampler(true_classes, num_true, num_sampled, unique, range_max, seed=None,
                                      name=None):
    seeds = _seeds(seed)
    if range_max > 2147483647:
        raise ValueError(f"Value of range_max:{range_max} is too large to handle")
    return _sample("LearnedUnigramCandidateSampler", name, true_classes=true_classes, num_true=num_true,
                   num_sampled=num_sampled, unique=unique, range_max=range_max, **seeds)


def fixed_unigram_candidate_sampler(true_classes, num_true, num_sampled, unique, range_max, vocab_file="",
                                    distortion=1.0, num_reserved_ids=0, num_shards=1, shard=0, unigrams=(),
                                    seed=None, name=None):
    return _sample("FixedUnigramCandidateSampler", name, true_classes=true_classes, num_true=num_true,
                   num_sampled=num_sampled, unique=unique, range_max=range_max, vocab_file=vocab_file,
                   distortion=distortion, num_reserved_ids=num_reserved_ids, num_shards=num_shards, shard=shard,
                   unigrams=list(unigrams), **_seeds(seed))


def all_candidate_sampler(true_classes, num_true, num_sampled, unique, seed=None, name=None):
    return _sample("AllCandidateSampler", name, true_classes=true_classes, num_true=num_true,
                   num_sampled=num_sampled, unique=unique, **_seeds(seed))


def compute_accidental_hits(true_classes, sampled_candidates, num_true, seed=None, name=None):
    # TF draws seeds here too (the op ignores them), which moves the graph's seed counter.
    return _AccidentalHits(*apply_op("ComputeAccidentalHits", name=name, true_classes=true_classes,
                                     sampled_candidates=sampled_candidates, num_true=num_true, **_seeds(seed)))
