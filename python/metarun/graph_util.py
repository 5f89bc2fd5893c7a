"""tf.graph_util (tf.compat.v1.graph_util): freezing variables into constants and the GraphDef
helpers TF1 exported beside it."""

from metarun.framework.graph_util import (  # noqa: F401
    extract_sub_graph, must_run_on_cpu, remove_training_nodes, tensor_shape_from_node_def_name)
from metarun.framework.importer import import_graph_def  # noqa: F401
from metarun.tools.freeze import convert_variables_to_constants  # noqa: F401
