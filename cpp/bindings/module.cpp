// metarun._core: the C++ graph executor behind metarun's Python API.
// Numeric tensors cross in both directions without copies where possible:
// a fed numpy array is wrapped, and a fetched tensor nobody else holds is
// handed to numpy as is.
#include <chrono>
#include <thread>

#include <pybind11/complex.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "executor/executor.h"
#include "executor/plan.h"
#include "kernels/util/blas.h"
#include "framework/adoptable.h"
#include "framework/registry.h"
#include "kernels/families.h"

namespace py = pybind11;
using namespace metarun;

namespace {

// Raised for any failed Status; Python maps `code` to a metarun.errors class.
// Module-lifetime Python objects are held by raw owning pointers that are
// never released: destroying them after interpreter shutdown would crash.
PyObject* g_status_error = nullptr;

// The message of a host kernel's run that a KeyboardInterrupt stopped.
constexpr const char* kInterrupted = "KeyboardInterrupt";

// Text from a graph or a file may hold any bytes: undecodable ones are kept
// as \x escapes instead of turning a typed error into a UnicodeDecodeError.
py::str lenient_str(const std::string& s) {
  PyObject* o = PyUnicode_DecodeUTF8(s.data(), static_cast<Py_ssize_t>(s.size()), "backslashreplace");
  if (!o) throw py::error_already_set();
  return py::reinterpret_steal<py::str>(o);
}

[[noreturn]] void throw_status(const Status& st, const std::string& node) {
  if (PyErr_Occurred()) throw py::error_already_set();  // e.g. KeyboardInterrupt during a loop
  if (st.code() == Code::kCancelled && st.message() == kInterrupted) {
    // A host kernel was interrupted on a thread whose error state is gone.
    PyErr_SetNone(PyExc_KeyboardInterrupt);
    throw py::error_already_set();
  }
  PyErr_SetObject(g_status_error,
                  py::make_tuple(static_cast<int>(st.code()), lenient_str(st.message()), lenient_str(node)).ptr());
  throw py::error_already_set();
}

py::dtype numpy_dtype(DType t) {
  switch (base_type(t)) {
    case DType::kFloat: return py::dtype::of<float>();
    case DType::kDouble: return py::dtype::of<double>();
    case DType::kHalf: return py::dtype(23);  // NPY_HALF
    case DType::kBFloat16: return py::dtype::of<uint16_t>();  // viewed as bfloat16 in Python
    case DType::kInt8: case DType::kQInt8: return py::dtype::of<int8_t>();
    case DType::kInt16: case DType::kQInt16: return py::dtype::of<int16_t>();
    case DType::kInt32: case DType::kQInt32: return py::dtype::of<int32_t>();
    case DType::kInt64: return py::dtype::of<int64_t>();
    case DType::kUInt8: case DType::kQUInt8: return py::dtype::of<uint8_t>();
    case DType::kUInt16: case DType::kQUInt16: return py::dtype::of<uint16_t>();
    case DType::kUInt32: return py::dtype::of<uint32_t>();
    case DType::kUInt64: return py::dtype::of<uint64_t>();
    case DType::kBool: return py::dtype::of<bool>();
    case DType::kComplex64: return py::dtype::of<std::complex<float>>();
    case DType::kComplex128: return py::dtype::of<std::complex<double>>();
    default: return py::dtype::of<py::object>();
  }
}

Tensor to_tensor(const py::handle& value, DType dtype) {
  dtype = base_type(dtype);
  if (is_object_type(dtype)) {
    py::array arr = py::array::ensure(value);
    if (!arr) throw py::type_error("expected an array");
    std::vector<int64_t> shape(arr.shape(), arr.shape() + arr.ndim());
    Tensor t(dtype, shape);
    py::object flat = arr.attr("ravel")();
    py::list items = flat.attr("tolist")();
    if (dtype == DType::kString) {
      std::string* out = t.data<std::string>();
      for (size_t i = 0; i < items.size(); ++i) {
        py::handle it = items[i];
        if (PyBytes_Check(it.ptr())) out[i] = std::string(PyBytes_AS_STRING(it.ptr()), PyBytes_GET_SIZE(it.ptr()));
        else out[i] = py::str(it).cast<std::string>();
      }
    } else if (dtype == DType::kResource) {
      ResourceHandle* out = t.data<ResourceHandle>();
      for (size_t i = 0; i < items.size(); ++i) {
        auto tup = items[i].cast<py::tuple>();
        out[i].container = tup[0].cast<std::string>();
        out[i].name = tup[1].cast<std::string>();
      }
    }
    return t;
  }
  py::array arr = py::array::ensure(value, py::array::c_style);
  if (!arr) throw py::type_error("expected an array");
  if (static_cast<size_t>(arr.itemsize()) != dtype_size(dtype))
    throw py::type_error("array itemsize does not match dtype " + dtype_name(dtype));
  std::vector<int64_t> shape(arr.shape(), arr.shape() + arr.ndim());
  // Kernels load whole elements: a view at an odd offset (a slice of a
  // byte buffer, a record in a file) is copied to aligned memory.
  const size_t align = std::min<size_t>(dtype_size(dtype), 16);
  if (reinterpret_cast<uintptr_t>(arr.data()) % align != 0) {
    Tensor t(dtype, shape);
    if (t.nbytes()) std::memcpy(t.raw(), arr.data(), t.nbytes());
    return t;
  }
  auto* holder = new py::object(arr);
  auto buf = std::make_shared<Buffer>(const_cast<void*>(arr.data()), arr.nbytes(), [holder](void*) {
    py::gil_scoped_acquire gil;
    delete holder;
  });
  buf->set_borrowed();  // the caller may keep the array, or it may be read-only
  return Tensor(dtype, shape, std::move(buf));
}

py::object to_numpy(const Tensor& t) {
  std::vector<py::ssize_t> shape(t.shape().begin(), t.shape().end());
  DType dt = t.dtype();
  if (dt == DType::kString) {
    py::array out(py::dtype("O"), shape);
    auto** p = static_cast<PyObject**>(out.mutable_data());
    const std::string* s = t.data<std::string>();
    for (int64_t i = 0; i < t.num_elements(); ++i) {
      Py_XDECREF(p[i]);
      p[i] = PyBytes_FromStringAndSize(s[i].data(), static_cast<Py_ssize_t>(s[i].size()));
    }
    return std::move(out);
  }
  if (dt == DType::kVariant)  // as TF: a list, a dataset... is no numpy value
    throw StatusError(internal_error("Tensorflow type 21 not convertible to numpy dtype."));
  if (dt == DType::kResource) {
    py::array out(py::dtype("O"), shape);
    auto** p = static_cast<PyObject**>(out.mutable_data());
    const ResourceHandle* h = t.data<ResourceHandle>();
    for (int64_t i = 0; i < t.num_elements(); ++i) {
      Py_XDECREF(p[i]);
      p[i] = py::make_tuple(h[i].container, h[i].name).release().ptr();
    }
    return std::move(out);
  }
  // Hand the buffer over only when nothing else (a variable, a Const) holds it.
  Tensor owned = t.buffer().use_count() > 1 ? t.deep_copy() : t;
  auto* keep = new std::shared_ptr<Buffer>(owned.buffer());
  py::capsule base(keep, [](void* p) { delete static_cast<std::shared_ptr<Buffer>*>(p); });
  return py::array(numpy_dtype(dt), shape, owned.raw(), base);
}

PartialShape to_shape(const py::handle& h) {
  PartialShape s;
  if (h.is_none()) return s;
  s.unknown_rank = false;
  for (auto d : h) s.dims.push_back(d.cast<int64_t>());
  return s;
}

AttrValue to_attr(const py::handle& h) {
  auto tup = h.cast<py::tuple>();
  std::string kind = tup[0].cast<std::string>();
  py::handle v = tup[1];
  AttrValue a;
  using K = AttrValue::Kind;
  if (kind == "i") a.kind = K::kInt, a.i = v.cast<int64_t>();
  else if (kind == "f") a.kind = K::kFloat, a.f = v.cast<double>();
  else if (kind == "b") a.kind = K::kBool, a.b = v.cast<bool>();
  else if (kind == "s") a.kind = K::kString, a.s = v.cast<std::string>();
  else if (kind == "type") a.kind = K::kType, a.type = static_cast<DType>(v.cast<int>());
  else if (kind == "shape") a.kind = K::kShape, a.shape = to_shape(v);
  else if (kind == "func") a.kind = K::kFunc, a.s = v.cast<std::string>();
  else if (kind == "tensor") {
    auto tv = v.cast<py::tuple>();
    a.kind = K::kTensor;
    a.tensor = to_tensor(tv[0], static_cast<DType>(tv[1].cast<int>()));
  } else if (kind == "list") {
    a.kind = K::kList;
    auto d = v.cast<py::dict>();
    for (auto item : d) {
      std::string k = item.first.cast<std::string>();
      py::handle vals = item.second;
      for (auto x : vals) {
        if (k == "i") a.list_i.push_back(x.cast<int64_t>());
        else if (k == "f") a.list_f.push_back(x.cast<double>());
        else if (k == "b") a.list_b.push_back(x.cast<bool>());
        else if (k == "s") a.list_s.push_back(x.cast<std::string>());
        else if (k == "type") a.list_type.push_back(static_cast<DType>(x.cast<int>()));
        else if (k == "shape") a.list_shape.push_back(to_shape(x));
        else if (k == "tensor") {
          auto tv = x.cast<py::tuple>();
          a.list_tensor.push_back(to_tensor(tv[0], static_cast<DType>(tv[1].cast<int>())));
        }
      }
    }
  }
  return a;
}

py::object attr_to_py(const AttrValue& a) {
  using K = AttrValue::Kind;
  switch (a.kind) {
    case K::kInt: return py::int_(a.i);
    case K::kFloat: return py::float_(a.f);
    case K::kBool: return py::bool_(a.b);
    case K::kString: case K::kFunc: return py::bytes(a.s);
    case K::kType: return py::int_(static_cast<int>(a.type));
    case K::kTensor: return to_numpy(a.tensor);
    case K::kList: {
      py::list out;
      for (auto v : a.list_i) out.append(v);
      for (auto v : a.list_type) out.append(static_cast<int>(v));
      for (auto& v : a.list_s) out.append(py::bytes(v));
      for (auto v : a.list_f) out.append(v);
      for (bool v : a.list_b) out.append(v);
      return std::move(out);
    }
    default: return py::none();
  }
}

// Host kernels (the checkpoint IO ops) run in Python: `run_host_op(op,
// name, attrs, inputs)` returns the outputs. The node's attrs are converted
// to a dict once per kernel; the GIL is held only for the call.
py::object* g_host_fn = new py::object();

bool python_finalizing() {
#if PY_VERSION_HEX >= 0x030D0000
  return Py_IsFinalizing();
#else
  return _Py_IsFinalizing();
#endif
}

// Lets go of the GIL around a run, which may block (a queue, a reader). A
// daemon thread (a QueueRunner's) still in a run when the interpreter exits
// must not take the GIL back: CPython ends such a thread with pthread_exit,
// whose forced unwind through pybind11's noexcept gil_scoped_release
// destructor is std::terminate. It waits there for the process to end
// instead; and should finalization begin while it waits for the GIL, this
// destructor lets that unwind pass (noexcept(false)).
class ReleaseGil {
 public:
  ReleaseGil() : state_(PyEval_SaveThread()) {}
  ReleaseGil(const ReleaseGil&) = delete;
  ReleaseGil& operator=(const ReleaseGil&) = delete;
  ~ReleaseGil() noexcept(false) {
    while (python_finalizing()) std::this_thread::sleep_for(std::chrono::seconds(1));
    PyEval_RestoreThread(state_);
  }

 private:
  PyThreadState* state_;
};

// What a host op under an IoPolicy asks before it touches a file (its own
// copy of the policy: Python may keep the object past the run).
struct FileGuard {
  IoPolicy policy;
  std::string node, op;
  // None when allowed, else the PermissionDenied message.
  py::object check(const std::string& path, bool write) const {
    RunEnv env;
    env.io = &policy;
    Status st = check_file_access(env, node, op, write ? FileAccess::kWrite : FileAccess::kRead, path);
    if (st.ok()) return py::none();
    return py::str(st.message());
  }
};

struct PreparedHostOp {
  std::string op, name;
  py::object* attrs;  // never freed after interpreter shutdown; see throw_status
};

std::shared_ptr<void> prepare_host_op(const Node& node) {
  py::gil_scoped_acquire gil;
  py::dict attrs;
  for (const auto& kv : node.attrs) attrs[py::str(kv.first)] = attr_to_py(kv.second);
  auto* p = new PreparedHostOp{node.op, node.name, new py::object(std::move(attrs))};
  return std::shared_ptr<void>(p, [](void* v) {
    auto* h = static_cast<PreparedHostOp*>(v);
    if (Py_IsInitialized() && !python_finalizing()) {
      py::gil_scoped_acquire gil;
      delete h->attrs;
    }
    delete h;
  });
}

// A host kernel's output that nothing else can reach (the result list held
// only here holds the only reference, and the array owns its writable,
// aligned memory): wrapped as a buffer a variable may take over instead of
// copying (framework/adoptable.h). Anything else goes through to_tensor.
Tensor host_output_tensor(const py::list& outs, size_t i, DType dtype, bool list_is_ours) {
  PyObject* item = PyList_GET_ITEM(outs.ptr(), static_cast<Py_ssize_t>(i));
  dtype = base_type(dtype);
  if (!list_is_ours || Py_REFCNT(item) != 1 ||
      Py_TYPE(item) != reinterpret_cast<PyTypeObject*>(py::detail::npy_api::get().PyArray_Type_) ||
      is_object_type(dtype))
    return to_tensor(item, dtype);
  auto arr = py::reinterpret_borrow<py::array>(item);
  const size_t align = std::min<size_t>(dtype_size(dtype), 16);
  if (!arr.owndata() || !arr.writeable() || !(arr.flags() & py::array::c_style) ||
      static_cast<size_t>(arr.itemsize()) != dtype_size(dtype) ||
      reinterpret_cast<uintptr_t>(arr.data()) % align != 0)
    return to_tensor(item, dtype);
  std::vector<int64_t> shape(arr.shape(), arr.shape() + arr.ndim());
  auto* holder = new py::object(arr);
  auto self = std::make_shared<const Buffer*>(nullptr);
  auto buf = std::make_shared<Buffer>(arr.mutable_data(), arr.nbytes(), [holder, self](void*) {
    unmark_adoptable(*self);
    py::gil_scoped_acquire gil;
    delete holder;
  });
  *self = buf.get();
  mark_adoptable(buf.get());
  return Tensor(dtype, shape, std::move(buf));
}

Status run_host_op(OpContext& ctx, void* prepared) {
  const auto& h = *static_cast<PreparedHostOp*>(prepared);
  py::gil_scoped_acquire gil;
  try {
    if (g_host_fn->is_none()) return unimplemented(str_cat("No host function for op ", h.op));
    py::list inputs;
    for (int i = 0; i < ctx.num_inputs(); ++i) inputs.append(to_numpy(ctx.input(i)));
    py::object guard = py::none();
    if (ctx.env().io) guard = py::cast(FileGuard{*ctx.env().io, h.name, h.op});
    py::object result = (*g_host_fn)(h.op, h.name, *h.attrs, inputs, guard);
    if (!result.is_none()) {
      const bool list_is_ours = PyList_CheckExact(result.ptr()) && Py_REFCNT(result.ptr()) == 1;
      auto outs = result.cast<py::list>();
      if (static_cast<int>(outs.size()) != ctx.num_outputs())
        return internal_error(str_cat(h.op, " returned ", outs.size(), " outputs, expected ", ctx.num_outputs()));
      for (int i = 0; i < ctx.num_outputs(); ++i)
        ctx.set_output(i, host_output_tensor(outs, i, ctx.node().output_types[i], list_is_ours));
    }
  } catch (py::error_already_set& e) {
    if (e.matches(PyExc_KeyboardInterrupt)) {
      // Stop the run and let Session.run raise it: Ctrl-C during a save or
      // a restore is the user's, not an error of the graph.
      e.restore();
      return cancelled(kInterrupted);
    }
    if (e.matches(PyExc_MemoryError))
      return Status(Code::kResourceExhausted, str_cat("OOM in ", h.op, ": ", py::str(e.value()).cast<std::string>()));
    int code = static_cast<int>(Code::kUnknown);
    if (py::hasattr(e.value(), "error_code")) code = e.value().attr("error_code").cast<int>();
    std::string msg = py::str(e.value()).cast<std::string>();
    if (code == static_cast<int>(Code::kUnknown)) msg = py::str(e.type().attr("__name__")).cast<std::string>() + ": " + msg;
    return Status(static_cast<Code>(code), msg);
  } catch (const StatusError& e) {
    return e.status();
  } catch (std::exception& e) {
    return internal_error(e.what());
  }
  return Status();
}

// A prepared signature: the plan is resolved once, so a call only converts
// feeds, runs and converts fetches.
struct Callable {
  Session* session;
  std::shared_ptr<const Plan> plan;
  std::vector<DType> feed_types;
};

py::list outputs_to_list(RunResult& r) {
  if (!r.status.ok()) throw_status(r.status, r.failed_node);
  py::list out;
  for (Tensor& t : r.outputs) out.append(to_numpy(t));
  return out;
}

Edge to_edge(const py::handle& h) {
  auto t = h.cast<std::pair<int, int>>();
  return Edge{t.first, t.second};
}

}  // namespace

PYBIND11_MODULE(_core, m) {
  m.doc() = "metarun's C++ core: tensors, kernels and the graph executor";
  register_all_kernels();
  Registry::global().set_host_handler({prepare_host_op, run_host_op});
  g_status_error = PyErr_NewException("metarun._core.StatusError", PyExc_RuntimeError, nullptr);
  m.attr("StatusError") = py::reinterpret_borrow<py::object>(g_status_error);
  // A tensor refused outside a run (a fed array's shape, an attr's value).
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const StatusError& e) {
      PyErr_SetObject(g_status_error, py::make_tuple(static_cast<int>(e.status().code()),
                                                     lenient_str(e.status().message()), "").ptr());
    }
  });

  py::class_<Graph, std::shared_ptr<Graph>>(m, "Graph")
      .def(py::init<>())
      .def("add_node",
           [](Graph& g, const std::string& name, const std::string& op, const std::string& device,
              const py::list& inputs, const std::vector<int>& control, const py::dict& attrs,
              const std::vector<int>& output_types) {
             Node n;
             n.name = name;
             n.op = op;
             n.device = device;
             for (auto e : inputs) n.inputs.push_back(to_edge(e));
             n.control_inputs = control;
             for (auto kv : attrs) n.attrs[kv.first.cast<std::string>()] = to_attr(kv.second);
             for (int t : output_types) n.output_types.push_back(static_cast<DType>(t));
             return g.add_node(std::move(n));
           })
      .def("num_nodes", &Graph::num_nodes)
      // A function body shares the library of the graph it belongs to.
      .def("share_library", [](Graph& g, const Graph& outer) { g.set_library(outer.library()); })
      .def("add_function",
           [](Graph& g, const std::string& name, std::shared_ptr<Graph> body, const py::list& args,
              const py::list& rets, const std::vector<int>& control_rets, const std::vector<int>& arg_types,
              const std::vector<int>& ret_types) {
             auto f = std::make_shared<Function>();
             f->name = name;
             f->body = std::move(body);
             for (auto e : args) f->args.push_back(to_edge(e));
             for (auto e : rets) f->rets.push_back(to_edge(e));
             f->control_rets = control_rets;
             for (int t : arg_types) f->arg_types.push_back(static_cast<DType>(t));
             for (int t : ret_types) f->ret_types.push_back(static_cast<DType>(t));
             g.library()->add(std::move(f));
           })
      .def("has_function", [](const Graph& g, const std::string& name) { return g.library()->find(name) != nullptr; });

  py::class_<Session>(m, "Session")
      .def(py::init([](std::shared_ptr<Graph> g, int num_threads) {
             auto s = std::make_unique<Session>(std::move(g), num_threads);
             // Ctrl-C during a long loop: Python's handler only flags the signal,
             // so the executor asks here (with the GIL) every few hundred steps.
             s->set_interrupt_check([] {
               py::gil_scoped_acquire gil;
               return PyErr_CheckSignals() != 0;
             });
             return s;
           }),
           py::arg("graph"), py::arg("num_threads") = 0)
      .def("run",
           [](Session& s, const py::list& feeds, const py::list& feed_values, const py::list& fetches,
              const std::vector<int>& targets, const py::object& policy) {
             std::shared_ptr<const IoPolicy> io;
             if (!policy.is_none()) io = policy.cast<std::shared_ptr<const IoPolicy>>();
             std::vector<Edge> feed_edges, fetch_edges;
             std::vector<Tensor> values;
             for (auto f : feeds) feed_edges.push_back(to_edge(f));
             for (auto v : feed_values) {
               auto t = v.cast<py::tuple>();
               values.push_back(to_tensor(t[0], static_cast<DType>(t[1].cast<int>())));
             }
             for (auto f : fetches) fetch_edges.push_back(to_edge(f));
             RunResult r;
             {
               ReleaseGil release;
               r = s.run(feed_edges, values, fetch_edges, targets, io.get());
             }
             values.clear();
             return outputs_to_list(r);
           },
           py::arg("feeds"), py::arg("feed_values"), py::arg("fetches"), py::arg("targets"),
           py::arg("policy") = py::none())
      .def("prepare",
           [](Session& s, const py::list& feeds, const std::vector<int>& feed_types, const py::list& fetches,
              const std::vector<int>& targets) {
             std::vector<Edge> feed_edges, fetch_edges;
             for (auto f : feeds) feed_edges.push_back(to_edge(f));
             for (auto f : fetches) fetch_edges.push_back(to_edge(f));
             Callable c{&s, nullptr, {}};
             for (int t : feed_types) c.feed_types.push_back(static_cast<DType>(t));
             Status st;
             {
               ReleaseGil release;
               st = s.prepare(feed_edges, fetch_edges, targets, &c.plan);
             }
             if (!st.ok()) throw_status(st, "");
             return c;
           },
           py::keep_alive<0, 1>())
      .def("cancel", &Session::cancel)
      .def("num_cached_plans", &Session::num_cached_plans);

  py::class_<Callable>(m, "Callable")
      .def("__call__", [](const Callable& c, const py::list& feed_values, int64_t timeout_ms,
                          const py::object& policy) {
        // py::object, not the holder type: converting the default None costs
        // a type lookup on every call of the hot path.
        std::shared_ptr<const IoPolicy> io;
        if (!policy.is_none()) io = policy.cast<std::shared_ptr<const IoPolicy>>();
        std::vector<Tensor> values;
        values.reserve(feed_values.size());
        size_t i = 0;
        for (auto v : feed_values) {
          if (i >= c.feed_types.size()) throw py::value_error("too many feed values");
          values.push_back(to_tensor(v, c.feed_types[i++]));
        }
        RunResult r;
        {
          ReleaseGil release;
          r = c.session->execute(*c.plan, values, timeout_ms, io.get());
        }
        values.clear();
        return outputs_to_list(r);
      }, py::arg("feed_values"), py::arg("timeout_ms") = 0, py::arg("policy") = py::none());

  py::class_<IoPolicy, std::shared_ptr<IoPolicy>>(m, "IoPolicy",
                                                  "Where a run may read and write files, and its tensor memory budget")
      .def(py::init([](const std::vector<std::string>& read, const std::vector<std::string>& write,
                       int64_t max_bytes, const std::string& allow_read_hint, const std::string& allow_write_hint) {
             auto p = std::make_shared<IoPolicy>();
             for (const auto& d : read) p->read.push_back(normalize_path(d));
             for (const auto& d : write) p->write.push_back(normalize_path(d));
             if (max_bytes > 0) p->memory = std::make_shared<MemoryBudget>(max_bytes);
             if (!allow_read_hint.empty()) p->allow_read_hint = allow_read_hint;
             if (!allow_write_hint.empty()) p->allow_write_hint = allow_write_hint;
             return p;
           }),
           py::arg("read"), py::arg("write"), py::arg("max_bytes") = 0, py::arg("allow_read_hint") = "",
           py::arg("allow_write_hint") = "")
      .def_property_readonly("read", [](const IoPolicy& p) { return p.read; })
      .def_property_readonly("write", [](const IoPolicy& p) { return p.write; })
      .def_property_readonly("max_bytes", [](const IoPolicy& p) { return p.memory ? p.memory->limit : 0; })
      .def_property_readonly("memory_live", [](const IoPolicy& p) { return p.memory ? p.memory->live.load() : 0; })
      .def_property_readonly("memory_peak", [](const IoPolicy& p) { return p.memory ? p.memory->peak.load() : 0; })
      .def("allows", [](const IoPolicy& p, const std::string& path, bool write) {
             return p.allows(write ? FileAccess::kWrite : FileAccess::kRead, normalize_path(path));
           }, py::arg("path"), py::arg("write") = false);

  py::class_<FileGuard>(m, "FileGuard")
      .def("check", &FileGuard::check, py::arg("path"), py::arg("write") = false,
           "None when the run's policy allows it, else the PermissionDenied message")
      .def_property_readonly("node", [](const FileGuard& g) { return g.node; })
      .def_property_readonly("op", [](const FileGuard& g) { return g.op; });
  m.def("glob_base", &glob_base, "The folder a glob pattern lists: the part before its first wildcard's component");
  m.def("normalize_path", &normalize_path,
        "The path made absolute, '.' and '..' resolved and symbolic links followed (as far as it exists)");

  m.def("registered_kernels", [] {
    py::dict out;
    for (const auto& kv : Registry::global().all()) {
      py::list types;
      for (DType t : kv.second.dtypes) types.append(static_cast<int>(t));
      out[py::str(kv.first)] = types;
    }
    return out;
  });
  m.def("host_ops", [] {
    py::list out;
    for (const auto& kv : Registry::global().all())
      if (kv.second.kind == KernelKind::kHost) out.append(py::str(kv.first));
    return out;
  }, "Op types whose kernels run in the host (Python) layer");
  m.def("set_host_function", [](py::object fn) { *g_host_fn = std::move(fn); },
        "The Python function that runs host ops: fn(op, node_name, attrs, inputs, guard) -> outputs or None; "
        "guard is a FileGuard when the run has an IoPolicy, else None");
  m.def("default_num_threads", &default_num_threads);
  m.def("set_blas_library", &set_blas_library, "Path of the BLAS shared library, opened on first use");
  m.def("blas_available", &blas_available);
}
