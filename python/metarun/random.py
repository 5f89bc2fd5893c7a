"""tf.random."""

from metarun.ops.random_ops import (  # noqa: F401
    categorical, get_seed, multinomial, random_poisson as poisson, random_shuffle as shuffle,
    random_normal as normal, random_uniform as uniform, set_random_seed, truncated_normal)
from metarun.ops.stateless_random_ops import (  # noqa: F401
    stateless_categorical, stateless_multinomial, stateless_random_normal as stateless_normal,
    stateless_random_uniform as stateless_uniform, stateless_truncated_normal)
from metarun.ops.candidate_sampling_ops import (  # noqa: F401,E402
    all_candidate_sampler, fixed_unigram_candidate_sampler, learned_unigram_candidate_sampler,
    log_uniform_candidate_sampler, uniform_candidate_sampler)
