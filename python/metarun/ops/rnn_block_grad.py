"""The fused recurrent-cell ops of TF 1.x's tf.contrib.rnn (LSTMBlockCell, BlockLSTM, BlockLSTMV2,
GRUBlockCell and their Grad ops, cpp/kernels/rnn_block_ops.cpp and gru_block_ops.cpp): their
static shapes, and their gradients as TF registers them.

TF registers a gradient for BlockLSTM and BlockLSTMV2 only, both through BlockLSTMGrad (the V1
op, ICFO gate layout, even for the V2 op). The gradients of LSTMBlockCell and GRUBlockCell lived
in tf.contrib, which TF 2.x no longer has; tf.gradients through them raises LookupError there,
and does here.
"""

from metarun.framework import shape_inference as si
from metarun.framework.op_builder import apply_op
from metarun.framework.tensor_shape import TensorShape
from metarun.ops.gradients_impl import RegisterGradient


def _dim(shape, k):
    return None if shape.ndims is None else shape.dims[k]


def _times(d, n):
    return None if d is None else d * n


@si.register("LSTMBlockCell", "LSTMBlockCellGrad")
def _lstm_block_cell_shape(op):
    x = op.inputs[0].shape.with_rank(2)
    cs_prev = op.inputs[1].shape.with_rank(2)
    batch, cell = _dim(x, 0), _dim(cs_prev, 1)
    if op.type == "LSTMBlockCell":
        return [TensorShape([batch, cell])] * 7
    for k in range(2, 8):
        op.inputs[k].shape.with_rank(2 if k < 4 else 1)
    peep = [op.inputs[k].shape for k in (4, 5, 6)]
    return [TensorShape([batch, cell]), TensorShape([batch, _times(cell, 4)])] + peep


@si.register("BlockLSTM", "BlockLSTMV2")
def _block_lstm_shape(op):
    x = op.inputs[1].shape.with_rank(3)
    b = op.inputs[8].shape.with_rank(1)
    four_cell = _dim(b, 0)
    if four_cell is not None and four_cell % 4:
        raise ValueError("Dimension size must be evenly divisible by 4 but is %d" % four_cell)
    cell = None if four_cell is None else four_cell // 4
    return [TensorShape([_dim(x, 0), _dim(x, 1), cell])] * 7


@si.register("BlockLSTMGrad", "BlockLSTMGradV2")
def _block_lstm_grad_shape(op):
    ranks = [0, 3, 2, 2, 2, 1, 1, 1, 1]
    shapes = [op.inputs[k].shape.with_rank(r) for k, r in enumerate(ranks)]
    return shapes[1:]


@si.register("GRUBlockCell", "GRUBlockCellGrad")
def _gru_block_cell_shape(op):
    x = op.inputs[0].shape.with_rank(2)
    h_prev = op.inputs[1].shape.with_rank(2)
    batch, cell = _dim(x, 0), _dim(h_prev, 1)
    if op.type == "GRUBlockCell":
        return [TensorShape([batch, cell])] * 4
    return [x, h_prev, TensorShape([batch, cell]), TensorShape([batch, _times(cell, 2)])]


def _block_lstm_grad(op, *grads):
    seq_len_max, x, cs_prev, h_prev, w, wci, wcf, wco, b = op.inputs
    i, cs, f, o, ci, co, h = op.outputs
    cs_grad, h_grad = grads[1], grads[6]
    results = apply_op(
        "BlockLSTMGrad", seq_len_max=seq_len_max, x=x, cs_prev=cs_prev, h_prev=h_prev, w=w, wci=wci, wcf=wcf,
        wco=wco, b=b, i=i, cs=cs, f=f, o=o, ci=ci, co=co, h=h, cs_grad=cs_grad, h_grad=h_grad,
        use_peephole=op.get_attr("use_peephole"))
    return [None] + list(results)


RegisterGradient("BlockLSTM")(_block_lstm_grad)
RegisterGradient("BlockLSTMV2")(_block_lstm_grad)
