// The C API (include/metarun/c_api.h) over the Python package: every call takes the interpreter
// lock, calls metarun._embed, and turns its exceptions into status codes. Values cross as numpy
// arrays, whose memory the C side reads through the buffer protocol without copying.
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <dlfcn.h>

#include <cstdlib>
#include <cstring>
#include <limits>
#include <mutex>
#include <string>
#include <vector>

#include "metarun/c_api.h"

struct MR_Status {
  MR_Code code = MR_OK;
  std::string message;
};

struct MR_Tensor {
  MR_DataType dtype = MR_FLOAT;
  std::vector<int64_t> dims;
  int64_t count = 0;
  PyObject* array = nullptr;    // the numpy array a run is fed
  PyObject* payload = nullptr;  // flat uint8 view of its bytes, or a tuple of bytes (strings)
  Py_buffer view{};             // over the payload (numeric tensors)
  bool has_view = false;
};

struct MR_Model {
  PyObject* model = nullptr;  // metarun._embed.Model
};

struct MR_ModelOptions {
  std::vector<std::string> read, write;
  int64_t max_memory = 0;
  int num_threads = 0;
};

namespace {

std::once_flag g_init_once;
PyObject* g_embed = nullptr;  // the metarun._embed module
PyObject* g_describe_name = nullptr;
PyObject* g_error_info_name = nullptr;
std::string g_init_error;

// Holds the interpreter lock for a scope, from any thread.
class Gil {
 public:
  Gil() : state_(PyGILState_Ensure()) {}
  ~Gil() { PyGILState_Release(state_); }
  Gil(const Gil&) = delete;
  Gil& operator=(const Gil&) = delete;

 private:
  PyGILState_STATE state_;
};

void set_status(MR_Status* status, MR_Code code, std::string message) {
  if (status == nullptr) return;
  status->code = code;
  status->message = std::move(message);
}

void set_ok(MR_Status* status) { set_status(status, MR_OK, std::string()); }

// The directory holding the `metarun` package this library belongs to (lib/ is inside it).
std::string package_parent_dir() {
  Dl_info info;
  if (dladdr(reinterpret_cast<void*>(&MR_Version), &info) == 0 || info.dli_fname == nullptr) return "";
  std::string path = info.dli_fname;
  for (int i = 0; i < 3; ++i) {
    size_t slash = path.rfind('/');
    if (slash == std::string::npos) return "";
    path.resize(slash);
  }
  return path;
}

std::string python_error_text() {
  PyObject *type, *value, *traceback;
  PyErr_Fetch(&type, &value, &traceback);
  PyErr_NormalizeException(&type, &value, &traceback);
  std::string text = "unknown Python error";
  if (value != nullptr) {
    PyObject* str = PyObject_Str(value);
    if (str != nullptr) {
      const char* utf8 = PyUnicode_AsUTF8(str);
      if (utf8 != nullptr) text = std::string(Py_TYPE(value)->tp_name) + ": " + utf8;
      Py_DECREF(str);
    }
  }
  PyErr_Clear();
  Py_XDECREF(type);
  Py_XDECREF(value);
  Py_XDECREF(traceback);
  return text;
}

// Imports metarun._embed (the caller holds the lock) from the package this library belongs to:
// its directory goes first on sys.path, after site.addsitedir has applied the .pth files there.
// A Python program that loaded this library and imported metarun keeps its sys.path and metarun.
bool import_embed() {
  std::string site_dir = package_parent_dir();
  if (!site_dir.empty()) {
    PyObject* globals = PyDict_New();
    PyObject* dir = globals ? PyUnicode_DecodeFSDefault(site_dir.c_str()) : nullptr;
    bool ok = dir != nullptr && PyDict_SetItemString(globals, "_dir", dir) == 0 &&
              PyDict_SetItemString(globals, "__builtins__", PyEval_GetBuiltins()) == 0;
    PyObject* r = ok ? PyRun_String(
                           "import site, sys\n"
                           "if 'metarun' not in sys.modules:\n"  // a host program's own stays
                           "    site.addsitedir(_dir)\n"
                           "    if _dir in sys.path: sys.path.remove(_dir)\n"
                           "    sys.path.insert(0, _dir)\n",
                           Py_file_input, globals, globals)
                     : nullptr;
    Py_XDECREF(dir);
    Py_XDECREF(globals);
    if (r == nullptr) {
      g_init_error = "cannot add " + site_dir + " to Python's path: " + python_error_text();
      return false;
    }
    Py_DECREF(r);
  }
  g_describe_name = PyUnicode_InternFromString("describe");
  g_error_info_name = PyUnicode_InternFromString("error_info");
  g_embed = PyImport_ImportModule("metarun._embed");
  if (g_embed == nullptr) {
    g_init_error = "cannot import the metarun Python package: " + python_error_text();
    return false;
  }
  return true;
}

void initialize() {
  if (Py_IsInitialized()) {  // a Python program loaded us (ctypes, an extension)
    Gil gil;
    import_embed();
    return;
  }
  PyConfig config;
  PyConfig_InitPythonConfig(&config);
  config.install_signal_handlers = 0;  // the host program's signals and C stdio stay its own
  config.configure_c_stdio = 0;
  config.parse_argv = 0;
  PyStatus st = PyStatus_Ok();
  const char* home = std::getenv("PYTHONHOME");
  if (home == nullptr || home[0] == '\0') st = PyConfig_SetBytesString(&config, &config.home, METARUN_PYTHON_HOME);
  if (!PyStatus_Exception(st)) st = Py_InitializeFromConfig(&config);
  PyConfig_Clear(&config);
  if (PyStatus_Exception(st)) {
    g_init_error = std::string("cannot start the embedded Python interpreter: ") +
                   (st.err_msg ? st.err_msg : "unknown error") + " (PYTHONHOME names the Python " +
                   "installation metarun was built with: " + METARUN_PYTHON_HOME + ")";
    return;
  }
  import_embed();
  PyEval_SaveThread();  // let every thread take the lock in turn
}

bool ready(MR_Status* status) {
  std::call_once(g_init_once, initialize);
  if (g_embed == nullptr) {
    set_status(status, MR_FAILED_PRECONDITION, g_init_error);
    return false;
  }
  return true;
}

// Sets `status` from the pending Python exception, mapped to a TF code by _embed.error_info.
void set_status_from_python(MR_Status* status) {
  PyObject *type, *value, *traceback;
  PyErr_Fetch(&type, &value, &traceback);
  PyErr_NormalizeException(&type, &value, &traceback);
  MR_Code code = MR_UNKNOWN;
  std::string message = "unknown error";
  PyObject* info = value ? PyObject_CallMethodObjArgs(g_embed, g_error_info_name, value, nullptr) : nullptr;
  int code_value = 0;
  const char* text = nullptr;
  if (info != nullptr && PyArg_ParseTuple(info, "is", &code_value, &text)) {
    code = static_cast<MR_Code>(code_value);
    message = text;
  } else {
    PyErr_Clear();
  }
  Py_XDECREF(info);
  Py_XDECREF(type);
  Py_XDECREF(value);
  Py_XDECREF(traceback);
  set_status(status, code == MR_OK ? MR_UNKNOWN : code, message);
}

PyObject* to_str(const char* s) { return PyUnicode_DecodeUTF8(s, std::strlen(s), "strict"); }

PyObject* to_path(const char* s) { return PyUnicode_DecodeFSDefault(s); }

PyObject* shape_tuple(const int64_t* dims, int num_dims) {
  PyObject* shape = PyTuple_New(num_dims);
  for (int i = 0; shape != nullptr && i < num_dims; ++i) PyTuple_SET_ITEM(shape, i, PyLong_FromLongLong(dims[i]));
  return shape;
}

// Checks dims and returns the element count, or -1 with `status` set.
int64_t checked_count(const int64_t* dims, int num_dims, MR_Status* status) {
  if (num_dims < 0 || (num_dims > 0 && dims == nullptr)) {
    set_status(status, MR_INVALID_ARGUMENT, "dims is NULL or num_dims is negative");
    return -1;
  }
  int64_t count = 1;
  for (int i = 0; i < num_dims; ++i) {
    if (dims[i] < 0) {
      set_status(status, MR_INVALID_ARGUMENT, "dimension " + std::to_string(i) + " is negative (" +
                                                  std::to_string(dims[i]) + ")");
      return -1;
    }
    if (dims[i] != 0 && count > std::numeric_limits<int64_t>::max() / dims[i]) {
      set_status(status, MR_INVALID_ARGUMENT, "the shape's element count overflows int64");
      return -1;
    }
    count *= dims[i];
  }
  return count;
}

void free_tensor(MR_Tensor* t) {  // with the lock held
  if (t->has_view) PyBuffer_Release(&t->view);
  Py_XDECREF(t->payload);
  Py_XDECREF(t->array);
  delete t;
}

// A tensor from _embed.describe's (dtype, shape, payload, array) (the lock held); NULL with
// `status` set.
MR_Tensor* tensor_from_description(PyObject* description, MR_Status* status) {
  int dtype = 0;
  PyObject *shape = nullptr, *payload = nullptr, *array = nullptr;
  if (!PyArg_ParseTuple(description, "iO!OO", &dtype, &PyTuple_Type, &shape, &payload, &array)) {
    set_status_from_python(status);
    return nullptr;
  }
  auto* t = new MR_Tensor;
  t->dtype = static_cast<MR_DataType>(dtype);
  t->count = 1;
  for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(shape); ++i) {
    t->dims.push_back(PyLong_AsLongLong(PyTuple_GET_ITEM(shape, i)));
    t->count *= t->dims.back();
  }
  Py_INCREF(array);
  t->array = array;
  Py_INCREF(payload);
  t->payload = payload;
  if (t->dtype != MR_STRING) {
    if (PyObject_GetBuffer(payload, &t->view, PyBUF_WRITABLE) != 0) {
      PyErr_Clear();  // a read-only array: its memory is still readable
      if (PyObject_GetBuffer(payload, &t->view, PyBUF_SIMPLE) != 0) {
        set_status_from_python(status);
        free_tensor(t);
        return nullptr;
      }
    }
    t->has_view = true;
  }
  return t;
}

// A tensor for a numpy array (the lock held); NULL with `status` set.
MR_Tensor* tensor_from_array(PyObject* array, MR_Status* status) {
  PyObject* description = PyObject_CallMethodObjArgs(g_embed, g_describe_name, array, nullptr);
  if (description == nullptr) {
    set_status_from_python(status);
    return nullptr;
  }
  MR_Tensor* t = tensor_from_description(description, status);
  Py_DECREF(description);
  return t;
}

// A tensor for a new numpy array (consumed; NULL means a Python error is pending), with
// `status` set either way.
MR_Tensor* tensor_from_new_array(PyObject* array, MR_Status* status) {
  if (array == nullptr) {
    set_status_from_python(status);
    return nullptr;
  }
  MR_Tensor* t = tensor_from_array(array, status);
  Py_DECREF(array);
  if (t != nullptr) set_ok(status);
  return t;
}

// Whether `dtype` is a numeric type `function` can make; sets `status` when not.
bool numeric_type(const char* function, MR_DataType dtype, MR_Status* status) {
  if (MR_DataTypeSize(dtype) != 0) return true;
  set_status(status, MR_INVALID_ARGUMENT, std::string(function) + ": unsupported data type " + std::to_string(dtype) +
                                              (dtype == MR_STRING ? " (use MR_NewStringTensor)" : ""));
  return false;
}

// ---- A Python object over memory the caller of MR_NewTensor owns ----
struct ExternalBuffer {
  PyObject_HEAD
  void* data;
  size_t len;
  void (*deallocator)(void*, size_t, void*);
  void* arg;
};

char g_empty_byte;

int external_getbuffer(PyObject* self, Py_buffer* view, int flags) {
  auto* b = reinterpret_cast<ExternalBuffer*>(self);
  void* data = b->len == 0 ? &g_empty_byte : b->data;
  return PyBuffer_FillInfo(view, self, data, static_cast<Py_ssize_t>(b->len), 0, flags);
}

void external_dealloc(PyObject* self) {
  auto* b = reinterpret_cast<ExternalBuffer*>(self);
  if (b->deallocator != nullptr) b->deallocator(b->data, b->len, b->arg);
  PyObject_Free(self);
}

PyBufferProcs g_external_buffer_procs = {external_getbuffer, nullptr};

PyTypeObject* external_buffer_type() {  // with the lock held
  static PyTypeObject type = [] {
    PyTypeObject t{PyVarObject_HEAD_INIT(nullptr, 0)};
    t.tp_name = "metarun.ExternalBuffer";
    t.tp_basicsize = sizeof(ExternalBuffer);
    t.tp_flags = Py_TPFLAGS_DEFAULT;
    t.tp_dealloc = external_dealloc;
    t.tp_as_buffer = &g_external_buffer_procs;
    return t;
  }();
  static bool readied = PyType_Ready(&type) == 0;
  return readied ? &type : nullptr;
}

// Returns a new list of str from `names` (NULL with `status` set).
PyObject* name_list(const char* const* names, int count, const char* what, MR_Status* status) {
  if (count < 0 || (count > 0 && names == nullptr)) {
    set_status(status, MR_INVALID_ARGUMENT, std::string(what) + ": NULL array or negative count");
    return nullptr;
  }
  PyObject* list = PyList_New(count);
  for (int i = 0; list != nullptr && i < count; ++i) {
    if (names[i] == nullptr) {
      Py_DECREF(list);
      set_status(status, MR_INVALID_ARGUMENT, std::string(what) + " " + std::to_string(i) + " is NULL");
      return nullptr;
    }
    PyObject* s = to_str(names[i]);
    if (s == nullptr) {
      Py_DECREF(list);
      set_status_from_python(status);
      return nullptr;
    }
    PyList_SET_ITEM(list, i, s);
  }
  if (list == nullptr) set_status_from_python(status);
  return list;
}

bool check_model(const MR_Model* model, MR_Status* status) {
  if (model == nullptr || model->model == nullptr) {
    set_status(status, MR_INVALID_ARGUMENT, "model is NULL");
    return false;
  }
  return true;
}

// Calls `method` on the model with `args` (a new reference, consumed); returns the result or
// NULL with `status` set.
PyObject* call_model(MR_Model* model, const char* method, PyObject* args, MR_Status* status) {
  if (args == nullptr) {
    set_status_from_python(status);
    return nullptr;
  }
  PyObject* fn = PyObject_GetAttrString(model->model, method);
  PyObject* result = fn ? PyObject_CallObject(fn, args) : nullptr;
  Py_XDECREF(fn);
  Py_DECREF(args);
  if (result == nullptr) set_status_from_python(status);
  return result;
}

}  // namespace

extern "C" {

const char* MR_Version(void) { return METARUN_VERSION; }
const char* MR_TensorFlowVersion(void) { return "2.21.0"; }

MR_Status* MR_NewStatus(void) { return new MR_Status; }
void MR_DeleteStatus(MR_Status* status) { delete status; }
MR_Code MR_GetCode(const MR_Status* status) { return status ? status->code : MR_INVALID_ARGUMENT; }
const char* MR_Message(const MR_Status* status) { return status ? status->message.c_str() : "status is NULL"; }
void MR_Free(void* pointer) { std::free(pointer); }

size_t MR_DataTypeSize(MR_DataType dtype) {
  switch (dtype) {
    case MR_BOOL: case MR_INT8: case MR_UINT8: return 1;
    case MR_INT16: case MR_UINT16: case MR_HALF: case MR_BFLOAT16: return 2;
    case MR_FLOAT: case MR_INT32: case MR_UINT32: return 4;
    case MR_DOUBLE: case MR_INT64: case MR_UINT64: case MR_COMPLEX64: return 8;
    case MR_COMPLEX128: return 16;
    default: return 0;
  }
}

MR_Tensor* MR_AllocateTensor(MR_DataType dtype, const int64_t* dims, int num_dims, MR_Status* status) {
  if (!ready(status)) return nullptr;
  if (!numeric_type("MR_AllocateTensor", dtype, status) || checked_count(dims, num_dims, status) < 0) return nullptr;
  Gil gil;
  return tensor_from_new_array(
      PyObject_CallMethod(g_embed, "zeros", "iN", static_cast<int>(dtype), shape_tuple(dims, num_dims)), status);
}

MR_Tensor* MR_NewTensor(MR_DataType dtype, const int64_t* dims, int num_dims, void* data, size_t len,
                        void (*deallocator)(void*, size_t, void*), void* arg, MR_Status* status) {
  if (!ready(status)) return nullptr;
  if (!numeric_type("MR_NewTensor", dtype, status)) return nullptr;
  size_t size = MR_DataTypeSize(dtype);
  int64_t count = checked_count(dims, num_dims, status);
  if (count < 0) return nullptr;
  if (static_cast<uint64_t>(count) > std::numeric_limits<size_t>::max() / size || len != count * size) {
    set_status(status, MR_INVALID_ARGUMENT, "MR_NewTensor: len is " + std::to_string(len) + " bytes; the shape needs " +
                                                std::to_string(count) + " elements of " + std::to_string(size) + " bytes");
    return nullptr;
  }
  if (data == nullptr && len != 0) {
    set_status(status, MR_INVALID_ARGUMENT, "MR_NewTensor: data is NULL");
    return nullptr;
  }
  Gil gil;
  PyTypeObject* type = external_buffer_type();
  auto* buffer = type ? PyObject_New(ExternalBuffer, type) : nullptr;
  if (buffer == nullptr) {
    set_status_from_python(status);
    return nullptr;
  }
  buffer->data = data;
  buffer->len = len;
  buffer->deallocator = nullptr;  // set once the tensor exists: no call on failure
  buffer->arg = arg;
  MR_Tensor* t = tensor_from_new_array(
      PyObject_CallMethod(g_embed, "from_buffer", "OiN", reinterpret_cast<PyObject*>(buffer), static_cast<int>(dtype),
                          shape_tuple(dims, num_dims)),
      status);
  if (t != nullptr) buffer->deallocator = deallocator;
  Py_DECREF(reinterpret_cast<PyObject*>(buffer));
  return t;
}

MR_Tensor* MR_NewStringTensor(const int64_t* dims, int num_dims, const char* const* strings, const size_t* lengths,
                              MR_Status* status) {
  if (!ready(status)) return nullptr;
  int64_t count = checked_count(dims, num_dims, status);
  if (count < 0) return nullptr;
  if (count > 0 && (strings == nullptr || lengths == nullptr)) {
    set_status(status, MR_INVALID_ARGUMENT, "MR_NewStringTensor: strings or lengths is NULL");
    return nullptr;
  }
  Gil gil;
  PyObject* values = PyList_New(count);
  for (int64_t i = 0; values != nullptr && i < count; ++i) {
    if (strings[i] == nullptr && lengths[i] != 0) {
      Py_DECREF(values);
      set_status(status, MR_INVALID_ARGUMENT, "MR_NewStringTensor: string " + std::to_string(i) + " is NULL");
      return nullptr;
    }
    PyObject* b = PyBytes_FromStringAndSize(strings[i] ? strings[i] : "", static_cast<Py_ssize_t>(lengths[i]));
    if (b == nullptr) {
      Py_DECREF(values);
      values = nullptr;
      break;
    }
    PyList_SET_ITEM(values, i, b);
  }
  return tensor_from_new_array(
      values ? PyObject_CallMethod(g_embed, "strings", "NN", values, shape_tuple(dims, num_dims)) : nullptr, status);
}

void MR_DeleteTensor(MR_Tensor* tensor) {
  if (tensor == nullptr) return;
  if (!Py_IsInitialized()) return;  // the host's interpreter is gone: nothing can be freed safely
  Gil gil;
  free_tensor(tensor);
}

// The accessors take NULL (a failed call's result) and answer as for an empty handle.
MR_DataType MR_TensorType(const MR_Tensor* tensor) { return tensor ? tensor->dtype : static_cast<MR_DataType>(0); }
int MR_NumDims(const MR_Tensor* tensor) { return tensor ? static_cast<int>(tensor->dims.size()) : -1; }
int64_t MR_Dim(const MR_Tensor* tensor, int dim_index) {
  if (tensor == nullptr || dim_index < 0 || dim_index >= static_cast<int>(tensor->dims.size())) return -1;
  return tensor->dims[dim_index];
}
int64_t MR_TensorElementCount(const MR_Tensor* tensor) { return tensor ? tensor->count : -1; }
void* MR_TensorData(const MR_Tensor* tensor) { return tensor && tensor->has_view ? tensor->view.buf : nullptr; }
size_t MR_TensorByteSize(const MR_Tensor* tensor) {
  return tensor && tensor->has_view ? static_cast<size_t>(tensor->view.len) : 0;
}

const char* MR_TensorString(const MR_Tensor* tensor, int64_t index, size_t* length) {
  if (length != nullptr) *length = 0;
  if (tensor == nullptr || tensor->dtype != MR_STRING || index < 0 || index >= tensor->count) return nullptr;
  // The payload is a tuple of bytes objects, immutable and alive as long as the tensor.
  PyObject* item = PyTuple_GET_ITEM(tensor->payload, static_cast<Py_ssize_t>(index));
  if (length != nullptr) *length = static_cast<size_t>(PyBytes_GET_SIZE(item));
  return PyBytes_AS_STRING(item);
}

MR_ModelOptions* MR_NewModelOptions(void) { return new MR_ModelOptions; }
void MR_DeleteModelOptions(MR_ModelOptions* options) { delete options; }
void MR_ModelOptionsAllowRead(MR_ModelOptions* options, const char* directory) {
  if (options != nullptr && directory != nullptr) options->read.emplace_back(directory);
}
void MR_ModelOptionsAllowWrite(MR_ModelOptions* options, const char* directory) {
  if (options != nullptr && directory != nullptr) options->write.emplace_back(directory);
}
void MR_ModelOptionsSetMaxMemory(MR_ModelOptions* options, int64_t bytes) {
  if (options != nullptr) options->max_memory = bytes < 0 ? 0 : bytes;
}
void MR_ModelOptionsSetNumThreads(MR_ModelOptions* options, int num_threads) {
  if (options != nullptr) options->num_threads = num_threads < 0 ? 0 : num_threads;
}

namespace {

// A new list of paths (NULL with a Python error set).
PyObject* path_list(const std::vector<std::string>& paths) {
  PyObject* list = PyList_New(0);
  for (const auto& d : paths) {
    PyObject* p = list ? to_path(d.c_str()) : nullptr;
    if (p == nullptr || PyList_Append(list, p) != 0) {
      Py_XDECREF(p);
      Py_XDECREF(list);
      return nullptr;
    }
    Py_DECREF(p);
  }
  return list;
}

// _embed.Model(path, read, write, max_memory, num_threads, tags) (the lock held); tags may be NULL.
MR_Model* new_model(const char* path, PyObject* tags, const MR_ModelOptions* options, MR_Status* status) {
  MR_ModelOptions defaults;
  const MR_ModelOptions& o = options ? *options : defaults;
  PyObject* read = path_list(o.read);
  PyObject* write = read ? path_list(o.write) : nullptr;
  PyObject* p = write ? to_path(path) : nullptr;
  PyObject* model = nullptr;
  if (p != nullptr) {
    model = PyObject_CallMethod(g_embed, "Model", "OOOLiO", p, read, write, static_cast<long long>(o.max_memory),
                                o.num_threads, tags ? tags : Py_None);
  }
  Py_XDECREF(p);
  Py_XDECREF(read);
  Py_XDECREF(write);
  if (model == nullptr) {
    set_status_from_python(status);
    return nullptr;
  }
  set_ok(status);
  return new MR_Model{model};
}

// A malloc'ed copy of str `s` for the caller (NULL with `status` set).
char* owned_string(PyObject* s, MR_Status* status) {
  PyObject* encoded = PyUnicode_Check(s) ? PyUnicode_EncodeFSDefault(s) : nullptr;
  if (encoded == nullptr) {
    set_status_from_python(status);
    return nullptr;
  }
  char* copy = strdup(PyBytes_AS_STRING(encoded));
  Py_DECREF(encoded);
  set_ok(status);
  return copy;
}

// call_model for a method returning a str: a malloc'ed copy for the caller, or NULL.
char* call_model_for_string(MR_Model* model, const char* method, PyObject* args, MR_Status* status) {
  PyObject* r = call_model(model, method, args, status);
  if (r == nullptr) return nullptr;
  char* copy = owned_string(r, status);
  Py_DECREF(r);
  return copy;
}

}  // namespace

MR_Model* MR_LoadMetaGraph(const char* meta_path, const MR_ModelOptions* options, MR_Status* status) {
  if (!ready(status)) return nullptr;
  if (meta_path == nullptr) {
    set_status(status, MR_INVALID_ARGUMENT, "meta_path is NULL");
    return nullptr;
  }
  Gil gil;
  return new_model(meta_path, nullptr, options, status);
}

MR_Model* MR_LoadSavedModel(const char* export_dir, const char* const* tags, int num_tags,
                            const MR_ModelOptions* options, MR_Status* status) {
  if (!ready(status)) return nullptr;
  if (export_dir == nullptr) {
    set_status(status, MR_INVALID_ARGUMENT, "export_dir is NULL");
    return nullptr;
  }
  Gil gil;
  PyObject* tag_list = name_list(tags, num_tags, "tag", status);
  if (tag_list == nullptr) return nullptr;
  MR_Model* model = new_model(export_dir, tag_list, options, status);
  Py_DECREF(tag_list);
  return model;
}

char* MR_SignatureTensorName(MR_Model* model, const char* signature_key, const char* key, int output,
                             MR_Status* status) {
  if (!ready(status) || !check_model(model, status)) return nullptr;
  if (signature_key == nullptr || key == nullptr) {
    set_status(status, MR_INVALID_ARGUMENT, "signature_key or key is NULL");
    return nullptr;
  }
  Gil gil;
  PyObject* sig = to_str(signature_key);
  PyObject* k = sig ? to_str(key) : nullptr;
  PyObject* args = k ? Py_BuildValue("(OOi)", sig, k, output != 0) : nullptr;
  Py_XDECREF(sig);
  Py_XDECREF(k);
  return call_model_for_string(model, "signature_tensor", args, status);
}

void MR_DeleteModel(MR_Model* model) {
  if (model == nullptr) return;
  if (Py_IsInitialized()) {
    Gil gil;
    PyObject* r = PyObject_CallMethod(model->model, "close", nullptr);
    if (r == nullptr) PyErr_Clear();
    Py_XDECREF(r);
    Py_DECREF(model->model);
  }
  delete model;
}

void MR_Restore(MR_Model* model, const char* checkpoint, MR_Status* status) {
  if (!ready(status) || !check_model(model, status)) return;
  if (checkpoint == nullptr) return set_status(status, MR_INVALID_ARGUMENT, "checkpoint is NULL");
  Gil gil;
  PyObject* path = to_path(checkpoint);
  PyObject* r = call_model(model, "restore", path ? PyTuple_Pack(1, path) : nullptr, status);
  Py_XDECREF(path);
  if (r != nullptr) set_ok(status);
  Py_XDECREF(r);
}

char* MR_Save(MR_Model* model, const char* prefix, int64_t global_step, MR_Status* status) {
  if (!ready(status) || !check_model(model, status)) return nullptr;
  if (prefix == nullptr) {
    set_status(status, MR_INVALID_ARGUMENT, "prefix is NULL");
    return nullptr;
  }
  Gil gil;
  PyObject* path = to_path(prefix);
  PyObject* args = path ? Py_BuildValue("(OL)", path, static_cast<long long>(global_step)) : nullptr;
  Py_XDECREF(path);
  return call_model_for_string(model, "save", args, status);
}

void MR_InitializeVariables(MR_Model* model, MR_Status* status) {
  if (!ready(status) || !check_model(model, status)) return;
  Gil gil;
  PyObject* r = call_model(model, "initialize", PyTuple_New(0), status);
  if (r != nullptr) set_ok(status);
  Py_XDECREF(r);
}

void MR_Run(MR_Model* model, const char* const* feed_names, MR_Tensor* const* feed_values, int num_feeds,
            const char* const* fetch_names, MR_Tensor** fetch_values, int num_fetches, const char* const* target_names,
            int num_targets, MR_Status* status) {
  if (!ready(status) || !check_model(model, status)) return;
  if (num_fetches > 0 && fetch_values == nullptr) return set_status(status, MR_INVALID_ARGUMENT, "fetch_values is NULL");
  for (int i = 0; i < num_fetches; ++i) fetch_values[i] = nullptr;
  if (num_feeds > 0 && feed_values == nullptr) return set_status(status, MR_INVALID_ARGUMENT, "feed_values is NULL");
  Gil gil;
  PyObject* feeds = name_list(feed_names, num_feeds, "feed name", status);
  if (feeds == nullptr) return;
  PyObject* fetches = name_list(fetch_names, num_fetches, "fetch name", status);
  PyObject* targets = fetches ? name_list(target_names, num_targets, "target name", status) : nullptr;
  PyObject* values = targets ? PyList_New(num_feeds) : nullptr;
  for (int i = 0; values != nullptr && i < num_feeds; ++i) {
    if (feed_values[i] == nullptr) {
      Py_CLEAR(values);
      set_status(status, MR_INVALID_ARGUMENT, "feed value " + std::to_string(i) + " is NULL");
      break;
    }
    Py_INCREF(feed_values[i]->array);
    PyList_SET_ITEM(values, i, feed_values[i]->array);
  }
  PyObject* outputs = nullptr;
  if (values != nullptr) {
    Py_INCREF(feeds);
    Py_INCREF(values);
    Py_INCREF(fetches);
    Py_INCREF(targets);
    outputs = call_model(model, "run", PyTuple_Pack(4, feeds, values, fetches, targets), status);
    Py_DECREF(feeds);
    Py_DECREF(values);
    Py_DECREF(fetches);
    Py_DECREF(targets);
  }
  Py_XDECREF(feeds);
  Py_XDECREF(fetches);
  Py_XDECREF(targets);
  Py_XDECREF(values);
  if (outputs == nullptr) return;
  bool ok = true;
  for (int i = 0; ok && i < num_fetches; ++i) {
    fetch_values[i] = tensor_from_description(PyList_GET_ITEM(outputs, i), status);
    ok = fetch_values[i] != nullptr;
  }
  Py_DECREF(outputs);
  if (!ok) {
    for (int i = 0; i < num_fetches; ++i) {
      if (fetch_values[i] != nullptr) free_tensor(fetch_values[i]);
      fetch_values[i] = nullptr;
    }
    return;
  }
  set_ok(status);
}

}  // extern "C"
