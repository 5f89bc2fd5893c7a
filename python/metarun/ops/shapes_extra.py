"""Shape functions TF's ops have and metarun lacked: gradient helpers (BroadcastGradientArgs,
ConcatOffset, StridedSliceGrad), the ref-variable optimizer updates, dataset and iterator
handles, and reads of resource variables through the control-flow ops that forward handles.
Ops built in Python and imported ops (imported_shapes) use them alike."""

from metarun.framework import shape_inference as si
from metarun.framework.tensor_shape import TensorShape

_SCALAR = TensorShape([])


@si.register("BroadcastGradientArgs")
def _broadcast_gradient_args(op):
    return [TensorShape([None]), TensorShape([None])]


@si.register("ConcatOffset")
def _concat_offset(op):
    return [t.shape for t in op.inputs[1:]]


@si.register("StridedSliceGrad")
def _strided_slice_grad(op):
    return [si.constant_shape(op.inputs[0])]


# The inputs of an Apply op that are scalars (learning rates, decays, ...); every other input
# (the slots and the gradient) has the variable's shape, which TF merges them all into.
_HYPERPARAMETERS = frozenset(["lr", "l1", "l2", "l2_shrinkage", "lr_power", "rho", "epsilon", "momentum",
                              "decay", "beta1_power", "beta2_power", "beta1", "beta2", "alpha", "logbase",
                              "sign_decay", "beta", "global_step"])
_APPLY = """ApplyAdaMax ApplyAdadelta ApplyAdagrad ApplyAdagradDA ApplyAdagradV2 ApplyAdam ApplyAddSign
ApplyCenteredRMSProp ApplyFtrl ApplyFtrlV2 ApplyGradientDescent ApplyMomentum ApplyPowerSign
ApplyProximalAdagrad ApplyProximalGradientDescent ApplyRMSProp""".split()
_SPARSE_APPLY = ["Sparse" + name for name in _APPLY if name not in (
    "ApplyAdaMax", "ApplyAdam", "ApplyAddSign", "ApplyPowerSign", "ApplyGradientDescent")]


@si.register(*_APPLY)
def _apply(op):
    return [_merged_variable_shape(op, skip=_HYPERPARAMETERS)]


@si.register(*_SPARSE_APPLY)
def _sparse_apply(op):
    return [_merged_variable_shape(op, skip=_HYPERPARAMETERS | {"grad", "indices"})]


def _merged_variable_shape(op, skip):
    shape = op.inputs[0].shape
    for arg, t in zip(op.op_def.input_arg[1:], op.inputs[1:]):
        if arg.name not in skip:
            shape = si.merge(shape, t.shape)
    return shape


_HANDLES = """AnonymousIterator DatasetCardinality Iterator IteratorFromStringHandle IteratorFromStringHandleV2
IteratorToStringHandle IteratorV2 OneShotIterator IteratorGetNextAsOptional EmptyTensorList TensorListReserve
TensorListFromTensor TensorListPushBack TensorListSetItem""".split()


@si.register(*_HANDLES)
def _scalar_handles(op):
    return [_SCALAR] * len(op.outputs)


@si.register("AnonymousIteratorV2", "AnonymousIteratorV3")
def _anonymous_iterator(op):
    return [_SCALAR] * len(op.outputs)


# Every dataset op outputs one scalar variant handle.
_DATASETS = """AssertCardinalityDataset AssertNextDataset BatchDataset BatchDatasetV2 CacheDataset CacheDatasetV2
ConcatenateDataset ExperimentalAssertNextDataset ExperimentalMapAndBatchDataset
ExperimentalMaxIntraOpParallelismDataset ExperimentalNonSerializableDataset ExperimentalParallelInterleaveDataset
ExperimentalPrivateThreadPoolDataset ExperimentalScanDataset ExperimentalTakeWhileDataset ExperimentalUnbatchDataset
FilterDataset FixedLengthRecordDataset FixedLengthRecordDatasetV2 FlatMapDataset GeneratorDataset InterleaveDataset
LegacyParallelInterleaveDatasetV2 MapAndBatchDataset MapDataset MaxIntraOpParallelismDataset ModelDataset
NonSerializableDataset OptimizeDataset OptimizeDatasetV2 OptionsDataset PaddedBatchDataset PaddedBatchDatasetV2
ParallelBatchDataset ParallelInterleaveDataset ParallelInterleaveDatasetV2 ParallelInterleaveDatasetV3
ParallelInterleaveDatasetV4 ParallelMapDataset ParallelMapDatasetV2 PrefetchDataset PrivateThreadPoolDataset
RangeDataset RepeatDataset RewriteDataset ScanDataset ShardDataset ShuffleAndRepeatDataset
ShuffleAndRepeatDatasetV2 ShuffleDataset ShuffleDatasetV2 ShuffleDatasetV3 SkipDataset TFRecordDataset TakeDataset
TakeWhileDataset TensorDataset TensorSliceDataset TextLineDataset UnbatchDataset ZipDataset""".split()


@si.register(*_DATASETS)
def _dataset_handle(op):
    return [_SCALAR]


@si.register("IteratorGetNext", "IteratorGetNextSync", "DatasetToSingleElement", "ReduceDataset")
def _dataset_elements(op):
    return [TensorShape(s) for s in op.get_attr("output_shapes")]
