"""tf.nn.ctc_loss, ctc_loss_v2 (sparse labels), ctc_greedy_decoder, ctc_beam_search_decoder(_v2),
collapse_repeated and tf.edit_distance (tf.compat.v1 signatures), building TF's nodes; the shape
functions of CTCLoss, the two decoders and EditDistance, and CTCLoss's gradient (the op's own
second output, scaled by the loss's gradient), as TF registers them.

ctc_loss_v2 with dense labels is TF's ctc_loss_dense, a Python forward-backward over scans with a
custom gradient; it is not built here (NotImplementedError names it). TF's CTCLossV2 kernel is
cuDNN's (GPU only), so nothing here builds it."""
from metarun.framework import dtypes
from metarun.framework import shape_inference as si
from metarun.framework.op_builder import apply_op, convert_to_tensor
from metarun.framework.sparse_tensor import SparseTensor, SparseTensorValue
from metarun.framework.tensor_shape import TensorShape, dimension_value
from metarun.ops import array_ops, math_ops
from metarun.ops.gradients_impl import NotDifferentiable, RegisterGradient
from metarun.ops.scopes import name_scope


def ctc_loss(labels, inputs=None, sequence_length=None, preprocess_collapse_repeated=False,
             ctc_merge_repeated=True, ignore_longer_outputs_than_inputs=False, time_major=True, logits=None):
    """The CTC loss of each batch entry; `labels` a SparseTensor, `inputs` the logits
    [max_time, batch, classes] (batch first unless time_major), the blank the last class."""
    if not isinstance(labels, SparseTensor):
        raise TypeError("Expected argument `labels` to be a SparseTensor. Received labels=%s of type: %s"
                        % (labels, type(labels).__name__))
    if logits is not None and inputs is not None:
        raise ValueError("Cannot specify both 'logits' and 'inputs'")
    inputs = logits if logits is not None else inputs
    inputs = convert_to_tensor(inputs, name="logits")
    if not time_major:
        inputs = array_ops.transpose(inputs, [1, 0, 2])
    orig_dtype = inputs.dtype.base_dtype
    if orig_dtype in (dtypes.float16, dtypes.bfloat16):
        inputs = math_ops.cast(inputs, dtypes.float32)
    loss, _ = apply_op("CTCLoss", inputs=inputs, labels_indices=labels.indices, labels_values=labels.values,
                       sequence_length=sequence_length, preprocess_collapse_repeated=preprocess_collapse_repeated,
                       ctc_merge_repeated=ctc_merge_repeated,
                       ignore_longer_outputs_than_inputs=ignore_longer_outputs_than_inputs)
    if orig_dtype in (dtypes.float16, dtypes.bfloat16):
        loss = math_ops.cast(loss, orig_dtype)
    return loss


def _get_dim(tensor, i):
    """tensor.shape[i] when known, else tf.shape(tensor)[i] (TF's _get_dim)."""
    return dimension_value(tensor.shape[i]) or array_ops.shape(tensor)[i]


def ctc_loss_v2(labels, logits, label_length, logit_length, logits_time_major=True, unique=None, blank_index=None,
                name=None):
    """CTC loss with any blank class. Sparse labels: the blank's logits move last and the labels
    above it shift down, then ctc_loss. Dense labels (TF's ctc_loss_dense) are not supported."""
    if isinstance(labels, SparseTensor):
        if blank_index is None:
            raise ValueError("Argument `blank_index` must be provided when labels is a SparseTensor.")
        if blank_index < 0:
            blank_index += _get_dim(logits, 2)
        if blank_index != _get_dim(logits, 2) - 1:
            logits = array_ops.concat([logits[:, :, :blank_index], logits[:, :, blank_index + 1:],
                                       logits[:, :, blank_index:blank_index + 1]], axis=2)
            labels = SparseTensor(labels.indices, array_ops.where(labels.values < blank_index, labels.values,
                                                                  labels.values - 1), labels.dense_shape)
        return ctc_loss(labels=labels, inputs=logits, sequence_length=logit_length, time_major=logits_time_major)
    raise NotImplementedError("ctc_loss_v2 with dense labels (TF's ctc_loss_dense) is not supported by metarun; "
                              "pass the labels as a SparseTensor")


def ctc_greedy_decoder(inputs, sequence_length, merge_repeated=True, blank_index=None):
    """([SparseTensor of the best path], [batch, 1] negated sum of the chosen logits)."""
    if blank_index is None:
        blank_index = -1
    ix, vals, shape, log_probs = apply_op("CTCGreedyDecoder", inputs=inputs, sequence_length=sequence_length,
                                          merge_repeated=merge_repeated, blank_index=blank_index)
    return [SparseTensor(ix, vals, shape)], log_probs


def ctc_beam_search_decoder(inputs, sequence_length, beam_width=100, top_paths=1, merge_repeated=True):
    """(top_paths SparseTensors, [batch, top_paths] log probabilities) of TF's beam search."""
    ixs, vals, shapes, log_probs = apply_op("CTCBeamSearchDecoder", inputs=inputs, sequence_length=sequence_length,
                                            beam_width=beam_width, top_paths=top_paths,
                                            merge_repeated=merge_repeated)
    return [SparseTensor(ix, val, shape) for ix, val, shape in zip(ixs, vals, shapes)], log_probs


def ctc_beam_search_decoder_v2(inputs, sequence_length, beam_width=100, top_paths=1):
    return ctc_beam_search_decoder(inputs, sequence_length=sequence_length, beam_width=beam_width,
                                   top_paths=top_paths, merge_repeated=False)


def collapse_repeated(labels, seq_length, name=None):
    """(labels with repeats merged and left-aligned, new lengths), built as TF builds it."""
    with name_scope(name, "collapse_repeated_labels", [labels, seq_length]):
        labels = convert_to_tensor(labels, name="labels")
        seq_length = convert_to_tensor(seq_length, name="seq_length")
        label_mask = array_ops.concat([array_ops.ones_like(labels[:, :1], dtypes.bool),
                                       math_ops.not_equal(labels[:, 1:], labels[:, :-1])], axis=1)
        maxlen = _get_dim(labels, 1)
        seq_mask = array_ops.sequence_mask(seq_length, maxlen=maxlen)
        label_mask = math_ops.logical_and(label_mask, seq_mask)
        new_seq_len = math_ops.reduce_sum(math_ops.cast(label_mask, dtypes.int32), axis=1)
        new_maxlen = math_ops.reduce_max(new_seq_len)
        idx_mask = array_ops.sequence_mask(new_seq_len, maxlen=new_maxlen)
        flat_labels = array_ops.reshape(labels, [-1])
        flat_label_mask = array_ops.reshape(label_mask, [-1])
        flat_idx_mask = array_ops.reshape(idx_mask, [-1])
        idx = math_ops.range(_get_dim(flat_idx_mask, 0))
        flat = array_ops.scatter_nd(indices=array_ops.expand_dims(array_ops.boolean_mask(idx, flat_idx_mask), axis=1),
                                    updates=array_ops.boolean_mask(flat_labels, flat_label_mask),
                                    shape=array_ops.shape(flat_idx_mask))
        batch_size = _get_dim(labels, 0)
        return (array_ops.reshape(flat, [batch_size, new_maxlen]),
                math_ops.cast(new_seq_len, seq_length.dtype))


def edit_distance(hypothesis, truth, normalize=True, name="edit_distance"):
    """Levenshtein distances between the sequences (last dimension) of two sparse tensors."""
    if not isinstance(hypothesis, (SparseTensor, SparseTensorValue)):
        raise TypeError("Hypothesis must be a SparseTensor.")
    if not isinstance(truth, (SparseTensor, SparseTensorValue)):
        raise TypeError("Truth must be a SparseTensor.")
    return apply_op("EditDistance", hypothesis_indices=hypothesis.indices, hypothesis_values=hypothesis.values,
                    hypothesis_shape=hypothesis.dense_shape, truth_indices=truth.indices,
                    truth_values=truth.values, truth_shape=truth.dense_shape, normalize=normalize, name=name)


# -- gradients ------------------------------------------------------------------------------------

@RegisterGradient("CTCLoss")
def _ctc_loss_grad(op, grad_loss, _):
    grad = apply_op("PreventGradient", input=op.outputs[1],
                    message="Currently there is no way to take the second  derivative of ctc_loss due to the "
                    "fused implementation's interaction  with tf.gradients()")
    return [array_ops.expand_dims(grad_loss, -1) * grad, None, None, None]


NotDifferentiable("CTCGreedyDecoder")
NotDifferentiable("CTCBeamSearchDecoder")


# -- shape functions ------------------------------------------------------------------------------

def _batch(a, b):
    return si.merge(TensorShape([a]), TensorShape([b])).dims[0]


@si.register("CTCLoss")
def _ctc_loss_shape(op):
    x, seq = op.inputs[0].shape.with_rank(3), op.inputs[3].shape.with_rank(1)
    op.inputs[1].shape.with_rank(2)
    op.inputs[2].shape.with_rank(1)
    batch = _batch(x.dims[1], seq.dims[0])
    return [TensorShape([batch]), TensorShape([x.dims[0], batch, x.dims[2]])]


@si.register("CTCGreedyDecoder", "CTCBeamSearchDecoder")
def _ctc_decoder_shape(op):
    x, seq = op.inputs[0].shape.with_rank(3), op.inputs[1].shape.with_rank(1)
    batch = _batch(x.dims[1], seq.dims[0])
    top = op.get_attr("top_paths") if op.type == "CTCBeamSearchDecoder" else 1
    return ([TensorShape([None, 2])] * top + [TensorShape([None])] * top + [TensorShape([2])] * top +
            [TensorShape([batch, top])])


@si.register("EditDistance")
def _edit_distance_shape(op):
    # TF knows the output only when both dense shapes are constants
    hyp, truth = si.constant_value(op.inputs[2]), si.constant_value(op.inputs[5])
    if hyp is None or truth is None:
        return [TensorShape(None)]
    if len(hyp) != len(truth):
        raise ValueError("Inconsistent ranks in hypothesis and truth.  Saw shapes: %s and %s"
                         % (list(hyp), list(truth)))
    return [TensorShape([max(int(a), int(b)) for a, b in zip(hyp[:-1], truth[:-1])])]
