"""TF's `name_scope(name, default_name, values)` for op functions: a block whose
value is the scope string ('name/') an op function passes as its final op's
name, so the op is named after the scope and helper ops nest under it."""

import contextlib

from metarun.framework import graph as graph_lib


@contextlib.contextmanager
def name_scope(name, default_name=None, values=None):
    g = _graph_of(values)
    scope_name = name if name is not None else default_name
    if scope_name is None:
        raise ValueError("At least one of name (%s) and default_name (%s) must be provided." % (name, default_name))
    with g.as_default(), g.name_scope(scope_name) as scope:
        yield scope


def _graph_of(values):
    """The graph of the first value that has one; the default graph when that is a function
    being traced in it (the function reads the value through a capture), or when none has."""
    default = graph_lib.get_default_graph()
    for v in values or ():
        g = getattr(v, "graph", None)
        if isinstance(g, graph_lib.Graph):
            inner = default
            while inner is not None:
                if inner is g:
                    return default
                inner = inner._outer_graph
            return g
    return default
