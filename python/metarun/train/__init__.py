"""tf.compat.v1.train: meta graphs, savers and checkpoint utilities.

import_meta_graph is imported with the package; every other name where it is first used
(see metarun/_lazy.py)."""

from metarun import _lazy
from metarun.framework.importer import import_meta_graph

__getattr__, __dir__ = _lazy.exports(__name__, {
    "metarun.train.checkpoint_management": (
        "checkpoint_exists generate_checkpoint_state_proto get_checkpoint_mtimes get_checkpoint_state "
        "latest_checkpoint remove_checkpoint update_checkpoint_state"),
    "metarun.train.basic_session_run_hooks": (
        "CheckpointSaverHook CheckpointSaverListener FeedFnHook FinalOpsHook GlobalStepWaiterHook "
        "LoggingTensorHook NanLossDuringTrainingError NanTensorHook SecondOrStepTimer StepCounterHook "
        "StopAtStepHook SummarySaverHook"),
    "metarun.train.checkpoint_utils": (
        "NewCheckpointReader checkpoints_iterator init_from_checkpoint list_variables load_checkpoint "
        "load_variable"),
    "metarun.train.meta_graph": "export_meta_graph write_graph",
    "metarun.summary.writer": "summary_iterator",
    "metarun.train.saver": "Saver",
    "metarun.train.learning_rate_decay": (
        "cosine_decay cosine_decay_restarts exponential_decay inverse_time_decay linear_cosine_decay "
        "natural_exp_decay noisy_linear_cosine_decay piecewise_constant polynomial_decay "
        "piecewise_constant_decay=piecewise_constant"),
    "metarun.train.coordinator": "Coordinator LooperThread",
    "metarun.train.queue_runner_impl": "QueueRunner add_queue_runner start_queue_runners",
    "metarun.train.input": (
        "batch batch_join input_producer limit_epochs match_filenames_once maybe_batch maybe_batch_join "
        "maybe_shuffle_batch maybe_shuffle_batch_join range_input_producer shuffle_batch "
        "shuffle_batch_join slice_input_producer string_input_producer"),
    "metarun.train.monitored_session": (
        "ChiefSessionCreator MonitoredSession MonitoredTrainingSession Scaffold SessionCreator "
        "SingularMonitoredSession WorkerSessionCreator basic_train_loop"),
    "metarun.train.moving_averages": "ExponentialMovingAverage",
    "metarun.train.optimizer": "Optimizer",
    "metarun.train.session_manager": "SessionManager",
    "metarun.train.supervisor": "Supervisor",
    "metarun.train.session_run_hook": "SessionRunArgs SessionRunContext SessionRunHook SessionRunValues",
    "metarun.train.optimizers": (
        "AdadeltaOptimizer AdagradOptimizer AdamOptimizer FtrlOptimizer GradientDescentOptimizer "
        "MomentumOptimizer ProximalAdagradOptimizer ProximalGradientDescentOptimizer RMSPropOptimizer"),
    "metarun.train.optimizers_2": "AdagradDAOptimizer",
    "metarun.train.training_util": (
        "assert_global_step create_global_step get_global_step get_or_create_global_step global_step"),
    "metarun.train.device_setter": "replica_device_setter",
    # Proto classes TF exposes here, e.g. tf.train.SaverDef.V2.
    "metarun.framework.protos": (
        "SaverDef CheckpointState Example SequenceExample Features Feature FeatureList FeatureLists BytesList "
        "FloatList Int64List"),
}, submodules=(
    "basic_session_run_hooks checkpoint_management checkpoint_utils coordinator device_setter input input_sparse "
    "learning_rate_decay meta_graph monitored_session moving_averages optimizer optimizers optimizers_2 "
    "queue_runner queue_runner_impl saver session_manager session_run_hook supervisor training_util"))

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
