"""tf.compat.v1.saved_model.main_op: the usual main op of a SavedModel."""


def main_op():
    """One op that initializes the global and local variables and the lookup tables."""
    from metarun.framework.variables import global_variables_initializer, local_variables_initializer
    from metarun.initializers import tables_initializer
    from metarun.ops.control_flow_ops import group
    return group(global_variables_initializer(), local_variables_initializer(), tables_initializer())


def main_op_with_restore(restore_op_name):
    """main_op(), then the restore op `restore_op_name` (an Operation, despite the name, as in TF)
    after it."""
    from metarun.framework import graph as graph_lib
    from metarun.ops.control_flow_ops import group
    with graph_lib.get_default_graph().control_dependencies([main_op()]):
        return group(restore_op_name)
