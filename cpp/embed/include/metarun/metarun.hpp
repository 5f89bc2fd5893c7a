// metarun's C++ API: RAII classes over the C API (c_api.h), header-only. Failures throw
// metarun::Error, which carries TensorFlow's status code. The thread-safety contract is the C
// API's: a Model may be used from many threads at once; a Tensor is read by many, deleted by one.
//
//   metarun::Model model = metarun::Model::load("model.meta");
//   model.restore("model");
//   metarun::Tensor v1 = metarun::Tensor::scalar(12.0f), v2 = metarun::Tensor::scalar(3.3f);
//   std::vector<metarun::Tensor> out = model.run({{"v1", &v1}, {"v2", &v2}}, {"v4"});
//   float v4 = out[0].data<float>()[0];
#ifndef METARUN_METARUN_HPP_
#define METARUN_METARUN_HPP_

#include <complex>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "metarun/c_api.h"

namespace metarun {

using Code = MR_Code;
using DataType = MR_DataType;

class Error : public std::runtime_error {
 public:
  Error(Code code, const std::string& message) : std::runtime_error(message), code_(code) {}
  Code code() const noexcept { return code_; }

 private:
  Code code_;
};

namespace detail {

class Status {
 public:
  Status() : s_(MR_NewStatus()) {}
  ~Status() { MR_DeleteStatus(s_); }
  Status(const Status&) = delete;
  Status& operator=(const Status&) = delete;
  MR_Status* get() const noexcept { return s_; }
  void check() const {
    if (MR_GetCode(s_) != MR_OK) throw Error(MR_GetCode(s_), MR_Message(s_));
  }

 private:
  MR_Status* s_;
};

template <typename T> struct TypeOf;
template <> struct TypeOf<float> { static constexpr DataType value = MR_FLOAT; };
template <> struct TypeOf<double> { static constexpr DataType value = MR_DOUBLE; };
template <> struct TypeOf<int32_t> { static constexpr DataType value = MR_INT32; };
template <> struct TypeOf<uint8_t> { static constexpr DataType value = MR_UINT8; };
template <> struct TypeOf<int16_t> { static constexpr DataType value = MR_INT16; };
template <> struct TypeOf<int8_t> { static constexpr DataType value = MR_INT8; };
template <> struct TypeOf<int64_t> { static constexpr DataType value = MR_INT64; };
template <> struct TypeOf<bool> { static constexpr DataType value = MR_BOOL; };
template <> struct TypeOf<uint16_t> { static constexpr DataType value = MR_UINT16; };
template <> struct TypeOf<uint32_t> { static constexpr DataType value = MR_UINT32; };
template <> struct TypeOf<uint64_t> { static constexpr DataType value = MR_UINT64; };
template <> struct TypeOf<std::complex<float>> { static constexpr DataType value = MR_COMPLEX64; };
template <> struct TypeOf<std::complex<double>> { static constexpr DataType value = MR_COMPLEX128; };

}  // namespace detail

// The DataType of a C++ element type: metarun::data_type<float> == MR_FLOAT.
template <typename T>
constexpr DataType data_type = detail::TypeOf<T>::value;

// A tensor: the values fed to or fetched from a run. Move-only; owns its MR_Tensor.
class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(MR_Tensor* t) noexcept : t_(t) {}
  Tensor(Tensor&& other) noexcept : t_(std::exchange(other.t_, nullptr)) {}
  Tensor& operator=(Tensor&& other) noexcept {
    if (this != &other) {
      MR_DeleteTensor(t_);
      t_ = std::exchange(other.t_, nullptr);
    }
    return *this;
  }
  Tensor(const Tensor&) = delete;
  Tensor& operator=(const Tensor&) = delete;
  ~Tensor() { MR_DeleteTensor(t_); }

  // A zeroed tensor of `dtype` and `dims`, to fill through data<T>().
  static Tensor allocate(DataType dtype, const std::vector<int64_t>& dims) {
    detail::Status s;
    MR_Tensor* t = MR_AllocateTensor(dtype, dims.data(), static_cast<int>(dims.size()), s.get());
    s.check();
    return Tensor(t);
  }
  // A tensor holding a copy of `values` (row-major, as many as `dims` needs).
  template <typename T>
  static Tensor from(const std::vector<int64_t>& dims, const std::vector<T>& values) {
    Tensor t = allocate(data_type<T>, dims);
    if (static_cast<int64_t>(values.size()) != t.element_count()) {
      throw Error(MR_INVALID_ARGUMENT, "Tensor::from: " + std::to_string(values.size()) + " values for " +
                                           std::to_string(t.element_count()) + " elements");
    }
    if (!values.empty()) std::memcpy(t.raw_data(), values.data(), values.size() * sizeof(T));
    return t;
  }
  template <typename T>
  static Tensor scalar(T value) {
    return from<T>({}, {value});
  }
  // A tensor over `data`, which must outlive every use of it (no copy, no deallocation).
  template <typename T>
  static Tensor wrap(const std::vector<int64_t>& dims, T* data, size_t count) {
    detail::Status s;
    MR_Tensor* t = MR_NewTensor(data_type<T>, dims.data(), static_cast<int>(dims.size()), data, count * sizeof(T),
                                nullptr, nullptr, s.get());
    s.check();
    return Tensor(t);
  }
  static Tensor strings(const std::vector<int64_t>& dims, const std::vector<std::string>& values) {
    std::vector<const char*> pointers;
    std::vector<size_t> lengths;
    for (const auto& v : values) {
      pointers.push_back(v.data());
      lengths.push_back(v.size());
    }
    detail::Status s;
    int64_t count = 1;
    for (int64_t d : dims) count *= d;
    if (count != static_cast<int64_t>(values.size())) {
      throw Error(MR_INVALID_ARGUMENT, "Tensor::strings: " + std::to_string(values.size()) + " values for " +
                                           std::to_string(count) + " elements");
    }
    MR_Tensor* t = MR_NewStringTensor(dims.data(), static_cast<int>(dims.size()), pointers.data(), lengths.data(),
                                      s.get());
    s.check();
    return Tensor(t);
  }

  DataType dtype() const { return MR_TensorType(t_); }
  std::vector<int64_t> dims() const {
    std::vector<int64_t> d(MR_NumDims(t_));
    for (size_t i = 0; i < d.size(); ++i) d[i] = MR_Dim(t_, static_cast<int>(i));
    return d;
  }
  int64_t element_count() const { return MR_TensorElementCount(t_); }
  size_t byte_size() const { return MR_TensorByteSize(t_); }
  void* raw_data() const { return MR_TensorData(t_); }
  // The elements as T; throws when T is not the tensor's type.
  template <typename T>
  T* data() const {
    if (dtype() != data_type<T>) {
      throw Error(MR_INVALID_ARGUMENT, "Tensor::data: the tensor's type is " + std::to_string(dtype()) +
                                           ", not " + std::to_string(data_type<T>));
    }
    return static_cast<T*>(MR_TensorData(t_));
  }
  // Element `index` of a string tensor, without a copy.
  std::string_view string(int64_t index) const {
    size_t length = 0;
    const char* s = MR_TensorString(t_, index, &length);
    if (s == nullptr) throw Error(MR_INVALID_ARGUMENT, "Tensor::string: not a string tensor, or index out of range");
    return std::string_view(s, length);
  }

  MR_Tensor* get() const noexcept { return t_; }
  explicit operator bool() const noexcept { return t_ != nullptr; }

 private:
  MR_Tensor* t_ = nullptr;
};

struct ModelOptions {
  std::vector<std::string> allow_read;   // directories runs may read (see MR_ModelOptionsAllowRead)
  std::vector<std::string> allow_write;  // directories runs may write
  int64_t max_memory = 0;                // tensor bytes a run may hold at once; 0: no limit
  int num_threads = 0;                   // intra-op threads; 0: the default
};

// A graph imported from a MetaGraphDef, with its session and saver. Move-only.
class Model {
 public:
  static Model load(const std::string& meta_path, const ModelOptions& options = {}) {
    auto o = make_options(options);
    detail::Status s;
    MR_Model* m = MR_LoadMetaGraph(meta_path.c_str(), o.get(), s.get());
    s.check();
    return Model(m);
  }
  // A SavedModel's MetaGraphDef tagged `tags`, variables restored, init op run.
  static Model load_saved_model(const std::string& export_dir, const std::vector<std::string>& tags = {"serve"},
                                const ModelOptions& options = {}) {
    auto o = make_options(options);
    std::vector<const char*> t;
    for (const auto& tag : tags) t.push_back(tag.c_str());
    detail::Status s;
    MR_Model* m = MR_LoadSavedModel(export_dir.c_str(), t.data(), static_cast<int>(t.size()), o.get(), s.get());
    s.check();
    return Model(m);
  }
  Model(Model&& other) noexcept : m_(std::exchange(other.m_, nullptr)) {}
  Model& operator=(Model&& other) noexcept {
    if (this != &other) {
      MR_DeleteModel(m_);
      m_ = std::exchange(other.m_, nullptr);
    }
    return *this;
  }
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;
  ~Model() { MR_DeleteModel(m_); }

  void restore(const std::string& checkpoint) {
    detail::Status s;
    MR_Restore(m_, checkpoint.c_str(), s.get());
    s.check();
  }
  // Returns the prefix written ("<prefix>-<global_step>" when global_step >= 0).
  std::string save(const std::string& prefix, int64_t global_step = -1) {
    detail::Status s;
    char* written = MR_Save(m_, prefix.c_str(), global_step, s.get());
    s.check();
    std::string result(written);
    MR_Free(written);
    return result;
  }
  void initialize_variables() {
    detail::Status s;
    MR_InitializeVariables(m_, s.get());
    s.check();
  }
  // Feeds (name, tensor) pairs, returns the fetches in order, runs the targets.
  std::vector<Tensor> run(const std::vector<std::pair<std::string, const Tensor*>>& feeds,
                          const std::vector<std::string>& fetches, const std::vector<std::string>& targets = {}) {
    std::vector<const char*> feed_names, fetch_names, target_names;
    std::vector<MR_Tensor*> feed_values;
    for (const auto& f : feeds) {
      feed_names.push_back(f.first.c_str());
      feed_values.push_back(f.second != nullptr ? f.second->get() : nullptr);
    }
    for (const auto& f : fetches) fetch_names.push_back(f.c_str());
    for (const auto& t : targets) target_names.push_back(t.c_str());
    std::vector<MR_Tensor*> outputs(fetches.size(), nullptr);
    detail::Status s;
    MR_Run(m_, feed_names.data(), feed_values.data(), static_cast<int>(feeds.size()), fetch_names.data(),
           outputs.data(), static_cast<int>(fetches.size()), target_names.data(), static_cast<int>(targets.size()),
           s.get());
    s.check();
    std::vector<Tensor> result;
    result.reserve(outputs.size());
    for (MR_Tensor* t : outputs) result.emplace_back(t);
    return result;
  }
  // The same with feeds given inline: run({{"x", &x}}, {"y"}).
  std::vector<Tensor> run(std::initializer_list<std::pair<const char*, const Tensor*>> feeds,
                          const std::vector<std::string>& fetches, const std::vector<std::string>& targets = {}) {
    std::vector<std::pair<std::string, const Tensor*>> f;
    for (const auto& p : feeds) f.emplace_back(p.first, p.second);
    return run(f, fetches, targets);
  }

  // The tensor name behind a SavedModel signature's input or output key.
  std::string signature_tensor(const std::string& signature_key, const std::string& key, bool output) {
    detail::Status s;
    char* name = MR_SignatureTensorName(m_, signature_key.c_str(), key.c_str(), output ? 1 : 0, s.get());
    s.check();
    std::string result(name);
    MR_Free(name);
    return result;
  }

  MR_Model* get() const noexcept { return m_; }

 private:
  using OptionsPtr = std::unique_ptr<MR_ModelOptions, void (*)(MR_ModelOptions*)>;
  static OptionsPtr make_options(const ModelOptions& options) {
    OptionsPtr o(MR_NewModelOptions(), MR_DeleteModelOptions);
    for (const auto& d : options.allow_read) MR_ModelOptionsAllowRead(o.get(), d.c_str());
    for (const auto& d : options.allow_write) MR_ModelOptionsAllowWrite(o.get(), d.c_str());
    MR_ModelOptionsSetMaxMemory(o.get(), options.max_memory);
    MR_ModelOptionsSetNumThreads(o.get(), options.num_threads);
    return o;
  }
  explicit Model(MR_Model* m) noexcept : m_(m) {}
  MR_Model* m_ = nullptr;
};

}  // namespace metarun

#endif  // METARUN_METARUN_HPP_
