"""tf.compat.v1.train: meta graphs, savers and checkpoint utilities."""

from metarun.framework.importer import import_meta_graph
from metarun.train.checkpoint_management import (
    checkpoint_exists, generate_checkpoint_state_proto, get_checkpoint_mtimes, get_checkpoint_state, latest_checkpoint,
    remove_checkpoint, update_checkpoint_state)
from metarun.train.basic_session_run_hooks import (
    CheckpointSaverHook, CheckpointSaverListener, FeedFnHook, FinalOpsHook, GlobalStepWaiterHook, LoggingTensorHook,
    NanLossDuringTrainingError, NanTensorHook, SecondOrStepTimer, StepCounterHook, StopAtStepHook, SummarySaverHook)
from metarun.train.checkpoint_utils import (
    NewCheckpointReader, checkpoints_iterator, init_from_checkpoint, list_variables, load_checkpoint, load_variable)
from metarun.train.meta_graph import export_meta_graph, write_graph
from metarun.summary.writer import summary_iterator  # noqa: F401
from metarun.train.saver import Saver
from metarun.train.learning_rate_decay import (
    cosine_decay, cosine_decay_restarts, exponential_decay, inverse_time_decay, linear_cosine_decay,
    natural_exp_decay, noisy_linear_cosine_decay, piecewise_constant, polynomial_decay)
from metarun.train.learning_rate_decay import piecewise_constant as piecewise_constant_decay
from metarun.train.coordinator import Coordinator, LooperThread
from metarun.train import queue_runner  # noqa: F401 -- tf.train.queue_runner
from metarun.train.queue_runner_impl import QueueRunner, add_queue_runner, start_queue_runners
from metarun.train.input import (
    batch, batch_join, input_producer, limit_epochs, match_filenames_once, maybe_batch, maybe_batch_join,
    maybe_shuffle_batch, maybe_shuffle_batch_join, range_input_producer, shuffle_batch, shuffle_batch_join,
    slice_input_producer, string_input_producer)
from metarun.train.monitored_session import (
    ChiefSessionCreator, MonitoredSession, MonitoredTrainingSession, Scaffold, SessionCreator, SingularMonitoredSession,
    WorkerSessionCreator, basic_train_loop)
from metarun.train.moving_averages import ExponentialMovingAverage
from metarun.train.optimizer import Optimizer
from metarun.train.session_manager import SessionManager
from metarun.train.supervisor import Supervisor
from metarun.train.session_run_hook import SessionRunArgs, SessionRunContext, SessionRunHook, SessionRunValues
from metarun.train.optimizers import (
    AdadeltaOptimizer, AdagradOptimizer, AdamOptimizer, FtrlOptimizer, GradientDescentOptimizer, MomentumOptimizer,
    ProximalAdagradOptimizer, ProximalGradientDescentOptimizer, RMSPropOptimizer)
from metarun.train.optimizers_2 import AdagradDAOptimizer
from metarun.train.training_util import (
    assert_global_step, create_global_step, get_global_step, get_or_create_global_step, global_step)


def __getattr__(name):
    # Proto classes TF exposes here, e.g. tf.train.SaverDef.V2.
    if name in ("SaverDef", "CheckpointState", "Example", "SequenceExample", "Features", "Feature", "FeatureList",
                "FeatureLists", "BytesList", "FloatList", "Int64List"):
        from metarun.framework import protos
        return getattr(protos, name)
    raise AttributeError("module 'metarun.train' has no attribute %r" % name)


__all__ = [
    "AdadeltaOptimizer", "AdagradOptimizer", "AdamOptimizer", "FtrlOptimizer", "GradientDescentOptimizer",
    "MomentumOptimizer", "Optimizer", "ProximalAdagradOptimizer", "ProximalGradientDescentOptimizer",
    "RMSPropOptimizer", "assert_global_step", "create_global_step", "get_global_step", "get_or_create_global_step",
    "global_step", "cosine_decay", "cosine_decay_restarts", "exponential_decay", "inverse_time_decay",
    "linear_cosine_decay", "natural_exp_decay", "noisy_linear_cosine_decay", "piecewise_constant",
    "polynomial_decay", "ExponentialMovingAverage",
    "NewCheckpointReader", "Saver", "checkpoint_exists", "export_meta_graph", "get_checkpoint_mtimes",
    "get_checkpoint_state", "import_meta_graph", "latest_checkpoint", "list_variables", "load_checkpoint",
    "load_variable", "remove_checkpoint", "update_checkpoint_state", "write_graph", "init_from_checkpoint",
    "checkpoints_iterator", "piecewise_constant_decay", "generate_checkpoint_state_proto",
    "CheckpointSaverHook", "CheckpointSaverListener", "FeedFnHook", "FinalOpsHook", "GlobalStepWaiterHook",
    "LoggingTensorHook", "NanLossDuringTrainingError", "NanTensorHook", "SecondOrStepTimer", "StepCounterHook",
    "StopAtStepHook", "Coordinator", "LooperThread", "ChiefSessionCreator", "MonitoredSession",
    "MonitoredTrainingSession", "Scaffold", "SessionCreator", "SingularMonitoredSession", "WorkerSessionCreator",
    "basic_train_loop", "SessionManager", "SessionRunArgs", "SessionRunContext", "SessionRunHook", "SessionRunValues",
    "Supervisor", "AdagradDAOptimizer",
    "QueueRunner", "add_queue_runner", "start_queue_runners",
    "batch", "batch_join", "input_producer", "limit_epochs", "match_filenames_once", "maybe_batch",
    "maybe_batch_join", "maybe_shuffle_batch", "maybe_shuffle_batch_join", "range_input_producer", "shuffle_batch",
    "shuffle_batch_join", "slice_input_producer", "string_input_producer",
]
from metarun.train.device_setter import replica_device_setter  # noqa: E402,F401
