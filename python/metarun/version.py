"""tf.version: the TensorFlow release whose tf.compat.v1 metarun emulates (2.21: the same
GraphDef producer version metarun writes into the graphs it exports) and how metarun's own
C++ core was built."""

VERSION = "2.21.0"
# metarun is not built from TensorFlow's repository; TF reports "unknown" when it has no git.
GIT_VERSION = "unknown"
COMPILER_VERSION = "unknown"
GRAPH_DEF_VERSION = 2474
GRAPH_DEF_VERSION_MIN_CONSUMER = 0
GRAPH_DEF_VERSION_MIN_PRODUCER = 0
# The C++ core is C++17 with the libstdc++ C++11 ABI, as TF's wheels (top-level tf names only).
_CXX11_ABI_FLAG = 1
_CXX_VERSION = 201703
