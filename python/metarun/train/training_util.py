"""The global step: an int64 scalar variable `global_step` in the GLOBAL_STEP and
GLOBAL_VARIABLES collections (not trainable), found by collection or, failing that, by the
tensor name `global_step:0`, as TF finds it."""

from metarun.framework import dtypes
from metarun.framework import graph as graph_lib
from metarun.framework.variables import Variable

GLOBAL_STEP = graph_lib.GraphKeys.GLOBAL_STEP


def global_step(sess, global_step_tensor):
    """The global step's value as a Python int."""
    return int(sess.run(global_step_tensor))


def get_global_step(graph=None):
    """The graph's global step (a Variable or a Tensor), or None."""
    g = graph or graph_lib.get_default_graph()
    steps = g.get_collection(GLOBAL_STEP)
    if len(steps) == 1:
        step = steps[0]
    elif not steps:
        try:
            step = g.get_tensor_by_name("global_step:0")
        except KeyError:
            return None
    else:
        import logging
        logging.getLogger("metarun").error("Multiple tensors in global_step collection.")
        return None
    assert_global_step(step)
    return step


def assert_global_step(global_step_tensor):
    """Raises TypeError unless `global_step_tensor` is an integer scalar variable or tensor."""
    if not (isinstance(global_step_tensor, (Variable, graph_lib.Tensor))):
        raise TypeError("Existing \"global_step\" must be a Variable or Tensor: %s." % global_step_tensor)
    if not global_step_tensor.dtype.base_dtype.is_integer:
        raise TypeError("Existing \"global_step\" does not have integer type: %s" % global_step_tensor.dtype)
    shape = global_step_tensor.shape
    if shape.ndims != 0 and shape.is_fully_defined():
        raise TypeError("Existing \"global_step\" is not scalar: %s" % shape)


def create_global_step(graph=None):
    """A new `global_step` variable (int64, zero), outside any name scope; ValueError if the
    graph has one."""
    g = graph or graph_lib.get_default_graph()
    if get_global_step(g) is not None:
        raise ValueError("\"global_step\" already exists.")
    from metarun.ops import init_ops
    from metarun.ops import variable_scope as vs
    with g.as_default(), g.name_scope(None), g.control_dependencies(None):
        return vs.get_variable(GLOBAL_STEP, shape=[], dtype=dtypes.int64,
                               initializer=init_ops.zeros_initializer(), trainable=False,
                               collections=[graph_lib.GraphKeys.GLOBAL_VARIABLES, GLOBAL_STEP])


def get_or_create_global_step(graph=None):
    """The graph's global step, created if it has none."""
    g = graph or graph_lib.get_default_graph()
    step = get_global_step(g)
    return step if step is not None else create_global_step(g)
