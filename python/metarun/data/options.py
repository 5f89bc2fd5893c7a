"""tf.data.Options: the settings `Dataset.with_options` records in an OptionsDataset node.

metarun's pipelines run the same whatever these say (no static rewrites, no autotuning model):
the options are kept so the graph carries what TF writes, a tensorflow.data.Options message
serialized as TF serializes it (the four sub-messages always present, unset fields left out).
"""
import enum


class AutoShardPolicy(enum.IntEnum):
    OFF = -1
    AUTO = 0
    FILE = 1
    DATA = 2
    HINT = 3


class ExternalStatePolicy(enum.Enum):
    WARN = 0
    IGNORE = 1
    FAIL = 2


class AutotuneAlgorithm(enum.Enum):
    DEFAULT = 0
    HILL_CLIMB = 1
    GRADIENT_DESCENT = 2
    MAX_PARALLELISM = 3
    STAGE_BASED = 4


def _varint(value):
    value &= (1 << 64) - 1
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _field(number, wire, payload):
    return _varint(number << 3 | wire) + payload


class _OptionsBase(object):
    """Options with a fixed set of fields (None: unset), refusing unknown names as TF does."""

    _FIELDS = ()      # (python name, proto field number, kind) kind: bool, int, float, enum
    _CHILDREN = ()    # (python name, proto field number, class)

    def __init__(self):
        object.__setattr__(self, "_values", {})
        for attr, _, cls in self._CHILDREN:
            self._values[attr] = cls()

    def __getattr__(self, name):
        values = object.__getattribute__(self, "_values")
        if name in values:
            return values[name]
        if any(f[0] == name for f in self._FIELDS):
            return None
        raise AttributeError("'%s' object has no attribute '%s'" % (type(self).__name__, name))

    def __setattr__(self, name, value):
        if any(f[0] == name for f in self._FIELDS) or any(c[0] == name for c in self._CHILDREN):
            self._values[name] = value
        else:
            raise AttributeError("Cannot set the property %s on %s." % (name, type(self).__name__))

    def __eq__(self, other):
        return type(self) is type(other) and self._serialize() == other._serialize()

    def __ne__(self, other):
        return not self == other

    def __hash__(self):
        return hash(self._serialize())

    def merge(self, other):
        """A copy of these options with the fields `other` sets taken from it."""
        result = type(self)()
        for attr, _, _kind in self._FIELDS:
            mine, theirs = self._values.get(attr), other._values.get(attr)
            if theirs is not None:
                result._values[attr] = theirs
            elif mine is not None:
                result._values[attr] = mine
        for attr, _, _cls in self._CHILDREN:
            result._values[attr] = self._values[attr].merge(other._values[attr])
        return result

    def _serialize(self):
        out = b""
        entries = [(num, "field", attr, kind) for attr, num, kind in self._FIELDS]
        entries += [(num, "child", attr, None) for attr, num, _ in self._CHILDREN]
        for num, what, attr, kind in sorted(entries):
            value = self._values.get(attr)
            if what == "child":
                body = value._serialize()
                out += _field(num, 2, _varint(len(body)) + body)
            elif value is not None:
                if kind == "float":
                    import struct
                    out += _field(num, 5, struct.pack("<f", float(value)))
                elif kind == "enum":
                    out += _field(num, 0, _varint(int(getattr(value, "value", value))))
                elif kind == "str":
                    data = value.encode() if isinstance(value, str) else bytes(value)
                    out += _field(num, 2, _varint(len(data)) + data)
                else:
                    out += _field(num, 0, _varint(int(value)))
        return out


class ThreadingOptions(_OptionsBase):
    _FIELDS = (("max_intra_op_parallelism", 1, "int"), ("private_threadpool_size", 2, "int"))


class AutotuneOptions(_OptionsBase):
    _FIELDS = (("enabled", 1, "bool"), ("cpu_budget", 2, "int"), ("ram_budget", 3, "int"),
               ("autotune_algorithm", 4, "enum"), ("initial_parallelism", 5, "int"), ("min_parallelism", 6, "int"))


class DistributeOptions(_OptionsBase):
    _FIELDS = (("auto_shard_policy", 1, "enum"), ("num_devices", 2, "int"))

    def _serialize(self):
        # auto_shard_policy is a plain proto3 enum: AUTO (0) is not written.
        policy = self._values.get("auto_shard_policy")
        if policy is not None and int(policy) == 0:
            saved = dict(self._values)
            self._values.pop("auto_shard_policy")
            try:
                return super()._serialize()
            finally:
                self._values.update(saved)
        return super()._serialize()


class OptimizationOptions(_OptionsBase):
    _FIELDS = (("apply_default_optimizations", 1, "bool"), ("filter_fusion", 6, "bool"),
               ("map_and_batch_fusion", 9, "bool"), ("map_and_filter_fusion", 10, "bool"),
               ("map_fusion", 11, "bool"), ("map_parallelization", 12, "bool"), ("noop_elimination", 14, "bool"),
               ("parallel_batch", 15, "bool"), ("shuffle_and_repeat_fusion", 17, "bool"),
               ("filter_parallelization", 18, "bool"), ("inject_prefetch", 19, "bool"),
               ("seq_interleave_prefetch", 21, "bool"))


class ServiceOptions(_OptionsBase):
    _FIELDS = (("pinned", 1, "bool"),)


class Options(_OptionsBase):
    """tf.data.Options (the Python names of TF 2.21, experimental_ spellings included)."""

    _FIELDS = (("deterministic", 1, "bool"), ("experimental_slack", 4, "bool"),
               ("experimental_external_state_policy", 6, "enum"), ("experimental_symbolic_checkpoint", 8, "bool"),
               ("experimental_warm_start", 9, "bool"), ("dataset_name", 10, "str"))
    _CHILDREN = (("experimental_distribute", 2, DistributeOptions),
                 ("experimental_optimization", 3, OptimizationOptions),
                 ("threading", 5, ThreadingOptions), ("autotune", 7, AutotuneOptions),
                 ("experimental_service", 12, ServiceOptions))

    _ALIASES = {"experimental_deterministic": "deterministic", "experimental_threading": "threading"}

    def __getattr__(self, name):
        return super().__getattr__(Options._ALIASES.get(name, name))

    def __setattr__(self, name, value):
        super().__setattr__(Options._ALIASES.get(name, name), value)
