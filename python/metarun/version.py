"""tf.version: the TensorFlow release whose tf.compat.v1 metarun emulates (2.21: the same
GraphDef producer version metarun writes into the graphs it exports) and how metarun's own
C++ core was built. `tf.__version__` is VERSION too, as `tf.compat.v1.__version__` is in
TensorFlow, so scripts that branch on TensorFlow's version take the path they take under
TF 2.21's tf.compat.v1; metarun's own release is METARUN_VERSION."""

VERSION = "2.21.0"
METARUN_VERSION = "0.1.0"  # the package's version (pyproject.toml)
# metarun is not built from TensorFlow's repository; TF reports "unknown" when it has no git.
GIT_VERSION = "unknown"
COMPILER_VERSION = "unknown"
GRAPH_DEF_VERSION = 2474
GRAPH_DEF_VERSION_MIN_CONSUMER = 0
GRAPH_DEF_VERSION_MIN_PRODUCER = 0
# The C++ core is C++17 with the libstdc++ C++11 ABI, as TF's wheels (top-level tf names only).
_CXX11_ABI_FLAG = 1
_CXX_VERSION = 201703
