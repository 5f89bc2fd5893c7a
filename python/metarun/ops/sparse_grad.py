"""Gradients of the sparse kernels, built as TF 2.21's sparse_grad.py registers them:
SparseReorder, SparseAdd, SparseTensorDenseAdd, SparseReduceSum, SparseSlice,
SparseTensorDenseMatMul, SparseDenseCwiseMul/Div, SparseSoftmax, SparseFillEmptyRows and
SparseToDense. SparseAddGrad and SparseConcat have none; SparseDenseCwiseAdd and
SparseSparseMaximum/Minimum raise as TF's do."""
import numpy as np

from metarun.framework import dtypes
from metarun.framework.op_builder import apply_op, convert_to_tensor
from metarun.framework.sparse_tensor import SparseTensor
from metarun.ops import array_ops, math_ops
from metarun.ops import sparse_ops
from metarun.ops.gradients_impl import NotDifferentiable, RegisterGradient
from metarun.framework import shape_inference as si
from metarun.framework.op_builder import constant
from metarun.ops.scopes import name_scope

NotDifferentiable("SparseAddGrad")
NotDifferentiable("SparseConcat")


def _reduced_shape(input_shape, axes):
    """TF's math_ops.reduced_shape: numpy int32 when both are known, else a DynamicStitch whose
    ones take the shape's dtype (int64 here)."""
    shape_v, axes_v = si.constant_value(input_shape), si.constant_value(axes)
    if shape_v is not None and axes_v is not None:
        out = np.array(shape_v, np.int32).copy()
        out[np.array(axes_v, np.int32)] = 1
        return out
    axes = convert_to_tensor(axes)
    rank = array_ops.size(input_shape, out_type=axes.dtype)
    axes = (axes + rank) % rank
    axes_shape = array_ops.shape(axes)
    positions = math_ops.range(rank)
    with name_scope(None, "ones") as scope:
        one = constant(np.array(1, input_shape.dtype.as_numpy_dtype), name="Const")
        ones = apply_op("Fill", dims=axes_shape, value=one, name=scope)
    return apply_op("DynamicStitch", indices=[positions, axes], data=[input_shape, ones])


@RegisterGradient("SparseReorder")
def _sparse_reorder_grad(op, unused_indices_grad, values_grad):
    input_indices, input_shape = op.inputs[0], op.inputs[2]
    num_entries = array_ops.shape(input_indices)[0]
    entry_indices = math_ops.range(num_entries)
    sp_ordered = sparse_ops.sparse_reorder(SparseTensor(input_indices, entry_indices, input_shape))
    inverted = array_ops.invert_permutation(sp_ordered.values)
    return None, array_ops.gather(values_grad, inverted), None


@RegisterGradient("SparseAdd")
def _sparse_add_grad(op, *grads):
    a_grad, b_grad = apply_op("SparseAddGrad", backprop_val_grad=grads[1], a_indices=op.inputs[0],
                              b_indices=op.inputs[3], sum_indices=op.outputs[0])
    a_grad.set_shape(op.inputs[1].get_shape())
    b_grad.set_shape(op.inputs[4].get_shape())
    return None, a_grad, None, None, b_grad, None, None


@RegisterGradient("SparseTensorDenseAdd")
def _sparse_tensor_dense_add_grad(op, out_grad):
    return None, array_ops.gather_nd(out_grad, op.inputs[0]), None, out_grad


@RegisterGradient("SparseReduceSum")
def _sparse_reduce_sum_grad(op, out_grad):
    sp_indices, sp_shape = op.inputs[0], op.inputs[2]
    kept = _reduced_shape(sp_shape, op.inputs[3])
    reshaped = array_ops.reshape(out_grad, kept)
    scale = sp_shape // math_ops.cast(kept, dtypes.int64)
    return None, array_ops.gather_nd(reshaped, sp_indices // scale), None, None


@RegisterGradient("SparseSlice")
def _sparse_slice_grad(op, *grads):
    val_grad = apply_op("SparseSliceGrad", backprop_val_grad=grads[1], input_indices=op.inputs[0],
                        input_start=op.inputs[3], output_indices=op.outputs[0])
    val_grad.set_shape(op.inputs[1].get_shape())
    return None, val_grad, None, None, None


@RegisterGradient("SparseTensorDenseMatMul")
def _sparse_tensor_dense_matmul_grad(op, grad):
    a_indices, a_values, a_shape = op.inputs[:3]
    b = op.inputs[3]
    adj_a, adj_b = op.get_attr("adjoint_a"), op.get_attr("adjoint_b")
    a_type, b_type = a_values.dtype.base_dtype, b.dtype.base_dtype
    if a_type != b_type:
        raise TypeError("SparseTensorDenseMatMul op received operands with different types: `%s` and `%s`."
                        % (a_type, b_type))
    b_grad = apply_op("SparseTensorDenseMatMul", a_indices=a_indices, a_values=a_values, a_shape=a_shape, b=grad,
                      adjoint_a=not adj_a)
    if adj_b:
        b_grad = array_ops.matrix_transpose(b_grad, conjugate=True)
    rows, cols = a_indices[:, 0], a_indices[:, 1]
    parts_a = array_ops.gather(grad, rows if not adj_a else cols)
    parts_b = array_ops.gather(b if not adj_b else array_ops.transpose(b), cols if not adj_a else rows)
    if not adj_a and not adj_b:
        a_values_grad = math_ops.matmul(array_ops.expand_dims(parts_a, -2), array_ops.expand_dims(parts_b, -2),
                                        adjoint_b=True)
    elif adj_a and not adj_b:
        a_values_grad = math_ops.matmul(array_ops.expand_dims(parts_a, -1), array_ops.expand_dims(parts_b, -1),
                                        adjoint_a=True)
    elif not adj_a and adj_b:
        a_values_grad = math_ops.matmul(array_ops.expand_dims(parts_a, -2), array_ops.expand_dims(parts_b, -1))
    else:
        a_values_grad = math_ops.matmul(array_ops.expand_dims(parts_a, -1), array_ops.expand_dims(parts_b, -2),
                                        adjoint_a=True, adjoint_b=True)
    return None, array_ops.squeeze(a_values_grad, axis=[-2, -1]), None, b_grad


@RegisterGradient("SparseDenseCwiseAdd")
def _sparse_dense_cwise_add_grad(unused_op, unused_grad):
    raise NotImplementedError("Gradient for SparseDenseCwiseAdd is not implemented.")


def _sparse_dense_cwise_mul_or_div_grad(op, grad, is_mul):
    x_indices, x_shape, y = op.inputs[0], op.inputs[2], op.inputs[3]
    y_shape = math_ops.cast(array_ops.shape(y), dtypes.int64)
    num_added_dims = array_ops.expand_dims(array_ops.size(x_shape) - array_ops.size(y_shape), 0)
    augmented_y_shape = array_ops.concat([array_ops.ones(num_added_dims, dtypes.int64), y_shape], 0)
    scaling = x_shape // augmented_y_shape
    scaled_indices = x_indices // scaling
    scaled_indices = array_ops.slice(scaled_indices, array_ops.concat([[0], num_added_dims], 0), [-1, -1])
    dense_vals = array_ops.gather_nd(y, scaled_indices)
    if is_mul:
        dx = grad * dense_vals
        dy_val = grad * op.inputs[1]
    else:
        dx = grad / dense_vals
        dy_val = grad * (-op.inputs[1] / math_ops.square(dense_vals))
    dy = sparse_ops.sparse_add(array_ops.zeros_like(y), SparseTensor(scaled_indices, dy_val, y_shape))
    return None, dx, None, dy


@RegisterGradient("SparseDenseCwiseMul")
def _sparse_dense_cwise_mul_grad(op, grad):
    return _sparse_dense_cwise_mul_or_div_grad(op, grad, True)


@RegisterGradient("SparseDenseCwiseDiv")
def _sparse_dense_cwise_div_grad(op, grad):
    return _sparse_dense_cwise_mul_or_div_grad(op, grad, False)


@RegisterGradient("SparseSoftmax")
def _sparse_softmax_grad(op, grad):
    indices, shape = op.inputs[0], op.inputs[2]
    out_vals = op.outputs[0]
    sp_output = SparseTensor(indices, out_vals, shape)
    sp_grad = SparseTensor(indices, grad, shape)
    sp_product = SparseTensor(indices, sp_output.values * sp_grad.values, shape)
    sum_reduced = -sparse_ops.sparse_reduce_sum(sp_product, [-1], keepdims=True)
    sp_sum = sparse_ops.sparse_dense_cwise_add(sp_grad, sum_reduced)
    return [None, sp_sum.values * sp_output.values, None]


@RegisterGradient("SparseSparseMaximum")
def _sparse_sparse_maximum_grad(unused_op, unused_grad):
    raise NotImplementedError("Gradient for SparseSparseMaximum is not implemented.")


@RegisterGradient("SparseSparseMinimum")
def _sparse_sparse_minimum_grad(unused_op, unused_grad):
    raise NotImplementedError("Gradient for SparseSparseMinimum is not implemented.")


@RegisterGradient("SparseFillEmptyRows")
def _sparse_fill_empty_rows_grad(op, unused_indices_grad, values_grad, unused_indicator_grad, unused_map_grad):
    d_values, d_default = apply_op("SparseFillEmptyRowsGrad", reverse_index_map=op.outputs[3],
                                   grad_values=values_grad)
    return [None, d_values, None, d_default]


@RegisterGradient("SparseToDense")
def _sparse_to_dense_grad(op, grad):
    sparse_indices, output_shape, _, _ = op.inputs
    values_grad = array_ops.gather_nd(grad, sparse_indices)
    default_grad = math_ops.reduce_sum(grad) - math_ops.reduce_sum(values_grad)
    return [array_ops.zeros_like(sparse_indices), array_ops.zeros_like(output_shape), values_grad, default_grad]


def _matmul_maybe_sparse(a, b, transpose_a, transpose_b, a_is_sparse, b_is_sparse):
    """math_ops.matmul with TF's sparse hints: SparseMatMul (cast back to bfloat16 when both are)
    when a hint is set and both operands are float32 or bfloat16."""
    kinds = (dtypes.bfloat16, dtypes.float32)
    if (a_is_sparse or b_is_sparse) and a.dtype in kinds and b.dtype in kinds:
        with name_scope(None, "MatMul", [a, b]) as name:
            out = sparse_ops.sparse_matmul(a, b, transpose_a=transpose_a, transpose_b=transpose_b,
                                           a_is_sparse=a_is_sparse, b_is_sparse=b_is_sparse, name=name)
            if a.dtype == dtypes.bfloat16 and b.dtype == dtypes.bfloat16:
                out = math_ops.cast(out, dtypes.bfloat16)
            return out
    return math_ops.matmul(a, b, transpose_a=transpose_a, transpose_b=transpose_b)


@RegisterGradient("SparseMatMul")
def _sparse_matmul_grad(op, grad):
    t_a, t_b = op.get_attr("transpose_a"), op.get_attr("transpose_b")
    x, y = op.inputs
    sparse = {id(x): op.get_attr("a_is_sparse"), id(y): op.get_attr("b_is_sparse"),
              id(grad): grad.op.type == "ReluGrad"}

    def product(t1, t2, out_dtype, transpose_a=False, transpose_b=False):
        s1, s2 = sparse[id(t1)], sparse[id(t2)]
        if transpose_b:
            t2 = array_ops.transpose(t2)
            transpose_b = False
        prod = _matmul_maybe_sparse(t1, t2, transpose_a, transpose_b, s1, s2)
        if prod.dtype != out_dtype:
            prod = math_ops.cast(prod, out_dtype)
        return prod

    if not t_a and not t_b:
        return product(grad, y, x.dtype, transpose_b=True), product(x, grad, y.dtype, transpose_a=True)
    if not t_a and t_b:
        return product(grad, y, x.dtype), product(grad, x, y.dtype, transpose_a=True)
    if t_a and not t_b:
        return product(y, grad, x.dtype, transpose_b=True), product(x, grad, y.dtype)
    return (product(y, grad, x.dtype, transpose_a=True, transpose_b=True),
            product(grad, x, y.dtype, transpose_a=True, transpose_b=True))
