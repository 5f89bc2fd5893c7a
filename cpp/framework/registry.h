// The one kernel registry: op type -> factory, with the dtypes it accepts.
// Each kernel family file ends in `register_<family>(Registry&)`, a line per
// op, e.g. `r.add<NumberTypes>("AddV2", binary<AddFn>)`; kernels/families.h
// fills the global registry with all of them.
//
// Two kinds of kernel: native ones (C++ here) and host ones, whose work the
// embedding application does (the Python layer's checkpoint IO). Host ops are
// registered like any other (`r.add_host("SaveV2")`); one handler, installed
// by the application, runs them all.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "framework/kernel.h"

namespace metarun {

using KernelFactory = std::function<std::unique_ptr<OpKernel>(KernelInit&)>;

// Where a typed factory reads the dtype it dispatches on.
struct TypeFrom {
  std::string attr = "T";  // an attr name, or "" to use `input`
  int input = 0;
  static TypeFrom attr_named(std::string a) { return {std::move(a), 0}; }
  static TypeFrom input_at(int i) { return {"", i}; }
  static TypeFrom output_at(int i) { return {"#out", i}; }
};

enum class KernelKind { kNative, kHost };

struct KernelDef {
  std::string op;
  std::vector<DType> dtypes;  // empty: the kernel is not dtype-specific
  KernelFactory factory;
  KernelKind kind = KernelKind::kNative;
};

// Runs host ops. `prepare` is called once per kernel (when a plan is built)
// and may convert the node's attrs into whatever `run` wants; `run` is then
// called for each execution with what `prepare` returned. Both may be called
// from any thread, concurrently.
struct HostHandler {
  std::function<std::shared_ptr<void>(const Node&)> prepare;
  std::function<Status(OpContext&, void* prepared)> run;
};

class Registry {
 public:
  static Registry& global();

  // An untyped kernel: `make` builds it from the KernelInit.
  void add(const std::string& op, KernelFactory make);

  // A kernel template over the dtypes of `List`. `make` is a generic lambda
  // `(auto tag, KernelInit&) -> std::unique_ptr<OpKernel>`, called with a
  // value of the chosen element type.
  template <class List, class Make>
  void add(const std::string& op, Make make, TypeFrom from = TypeFrom()) {
    std::vector<DType> dtypes;
    list_dtypes(List{}, &dtypes);
    // Only the dtype switch is per op; resolving the dtype and the error for
    // one not in `List` are compiled once, in registry.cpp. The registry lives
    // as long as the program, and so does this copy of `make`.
    add_typed(op, std::move(dtypes), std::move(from), &make_typed<List, Make>, new Make(std::move(make)));
  }

  // A host op: executed by the installed HostHandler.
  void add_host(const std::string& op);
  void set_host_handler(HostHandler handler);
  const HostHandler& host_handler() const { return host_; }

  const KernelDef* find(const std::string& op) const;
  const std::map<std::string, KernelDef>& all() const { return defs_; }

 private:
  // Calls the `make` that `state` points to; returns false when the dtype is not one the kernel
  // takes. A plain function and a pointer rather than a std::function: a std::function around
  // each op's factory cost GCC about 10 ms per op to compile.
  using TypedFactory = bool (*)(const void* state, DType, KernelInit&, std::unique_ptr<OpKernel>*);
  template <class List, class Make>
  static bool make_typed(const void* make, DType t, KernelInit& init, std::unique_ptr<OpKernel>* out) {
    return dispatch(List{}, t, [&](auto tag) { *out = (*static_cast<const Make*>(make))(tag, init); });
  }
  void add_typed(const std::string& op, std::vector<DType> dtypes, TypeFrom from, TypedFactory make,
                 const void* state);
  void add_def(KernelDef def);
  static DType resolve_type(KernelInit& init, const TypeFrom& from);
  std::map<std::string, KernelDef> defs_;
  HostHandler host_;
};

// Builds a kernel for `init`, or returns why not (unknown op, bad attrs).
Status create_kernel(KernelInit& init, std::unique_ptr<OpKernel>* out);

// Helper for the common case: construct K from the KernelInit.
template <class K>
std::unique_ptr<OpKernel> make_kernel(KernelInit& init) {
  return new_kernel<K>(init);
}

}  // namespace metarun
