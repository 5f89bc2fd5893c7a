// DType mirrors TensorFlow's DataType enum values, so graphs and checkpoints
// can be passed through without translation. `dispatch` is the one switch
// that turns a runtime dtype into a template parameter; kernels call it when a
// plan is built, never per element.
#pragma once

#include <complex>
#include <memory>
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include "core/half.h"
#include "core/status.h"

namespace metarun {

enum class DType : int {
  kInvalid = 0,
  kFloat = 1,
  kDouble = 2,
  kInt32 = 3,
  kUInt8 = 4,
  kInt16 = 5,
  kInt8 = 6,
  kString = 7,
  kComplex64 = 8,
  kInt64 = 9,
  kBool = 10,
  kQInt8 = 11,
  kQUInt8 = 12,
  kQInt32 = 13,
  kBFloat16 = 14,
  kQInt16 = 15,
  kQUInt16 = 16,
  kUInt16 = 17,
  kComplex128 = 18,
  kHalf = 19,
  kResource = 20,
  kVariant = 21,
  kUInt32 = 22,
  kUInt64 = 23,
};

constexpr int kRefOffset = 100;

inline bool is_ref(DType t) { return static_cast<int>(t) > kRefOffset; }
inline DType base_type(DType t) {
  return is_ref(t) ? static_cast<DType>(static_cast<int>(t) - kRefOffset) : t;
}
inline DType ref_type(DType t) {
  return is_ref(t) ? t : static_cast<DType>(static_cast<int>(t) + kRefOffset);
}

using complex64 = std::complex<float>;
using complex128 = std::complex<double>;

// A handle to a resource living in a session's resource manager.
struct ResourceHandle {
  std::string container;
  std::string name;
  std::string type;  // "var", "tensor_array", "stack"...
};

// A variant element: a C++ object of any kind behind a shared pointer (a
// TensorList, a Dataset). Copying a Variant shares the object; kernels that
// change one make a new object unless theirs is the only reference.
class VariantValue {
 public:
  virtual ~VariantValue() = default;
  virtual std::string type_name() const = 0;
  virtual std::string debug_string() const { return type_name(); }
  // What gradients apply to variants (ZerosLike, AddN) for kinds other than
  // TensorLists: false when this kind has no such function (TF's error).
  virtual bool zeros_like(std::shared_ptr<VariantValue>* /*out*/, Status* /*status*/) const { return false; }
  virtual bool add(const VariantValue& /*other*/, std::shared_ptr<VariantValue>* /*out*/,
                   Status* /*status*/) const {
    return false;
  }
};

struct Variant {
  std::shared_ptr<VariantValue> value;
  template <class T> T* get() const { return dynamic_cast<T*>(value.get()); }
};

template <class T> struct DTypeOf;
#define MR_DTYPE_OF(T, E) \
  template <> struct DTypeOf<T> { static constexpr DType value = DType::E; };
MR_DTYPE_OF(float, kFloat)
MR_DTYPE_OF(double, kDouble)
MR_DTYPE_OF(int32_t, kInt32)
MR_DTYPE_OF(uint8_t, kUInt8)
MR_DTYPE_OF(int16_t, kInt16)
MR_DTYPE_OF(int8_t, kInt8)
MR_DTYPE_OF(std::string, kString)
MR_DTYPE_OF(complex64, kComplex64)
MR_DTYPE_OF(int64_t, kInt64)
MR_DTYPE_OF(bool, kBool)
MR_DTYPE_OF(BFloat16, kBFloat16)
MR_DTYPE_OF(uint16_t, kUInt16)
MR_DTYPE_OF(complex128, kComplex128)
MR_DTYPE_OF(Half, kHalf)
MR_DTYPE_OF(ResourceHandle, kResource)
MR_DTYPE_OF(Variant, kVariant)
MR_DTYPE_OF(uint32_t, kUInt32)
MR_DTYPE_OF(uint64_t, kUInt64)
#undef MR_DTYPE_OF

template <class T> constexpr DType dtype_of = DTypeOf<T>::value;

// Bytes per element; 0 for types whose elements are C++ objects.
size_t dtype_size(DType t);
// TensorFlow's short name ("float", "int32", "string").
std::string dtype_name(DType t);
// Elements are C++ objects (strings, handles) rather than plain bytes.
inline bool is_object_type(DType t) {
  DType b = base_type(t);
  return b == DType::kString || b == DType::kResource || b == DType::kVariant;
}

inline bool is_integer_type(DType t) {
  switch (base_type(t)) {
    case DType::kInt8: case DType::kInt16: case DType::kInt32: case DType::kInt64:
    case DType::kUInt8: case DType::kUInt16: case DType::kUInt32: case DType::kUInt64: return true;
    default: return false;
  }
}

template <class... Ts> struct TypeList {};

using FloatTypes = TypeList<float, double, Half, BFloat16>;
using IntTypes = TypeList<int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t, uint32_t, uint64_t>;
using RealTypes = TypeList<float, double, Half, BFloat16, int8_t, int16_t, int32_t, int64_t,
                           uint8_t, uint16_t, uint32_t, uint64_t>;
using ComplexTypes = TypeList<complex64, complex128>;
using NumberTypes = TypeList<float, double, Half, BFloat16, int8_t, int16_t, int32_t, int64_t,
                             uint8_t, uint16_t, uint32_t, uint64_t, complex64, complex128>;
using PodTypes = TypeList<float, double, Half, BFloat16, int8_t, int16_t, int32_t, int64_t,
                          uint8_t, uint16_t, uint32_t, uint64_t, complex64, complex128, bool>;
using AllTypes = TypeList<float, double, Half, BFloat16, int8_t, int16_t, int32_t, int64_t,
                          uint8_t, uint16_t, uint32_t, uint64_t, complex64, complex128, bool,
                          std::string, ResourceHandle>;
using BoolType = TypeList<bool>;
using StringType = TypeList<std::string>;
using IndexTypes = TypeList<int32_t, int64_t>;

template <class T> constexpr bool is_complex_v =
    std::is_same_v<T, complex64> || std::is_same_v<T, complex128>;
template <class T> constexpr bool is_half_v =
    std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>;
template <class T> constexpr bool is_float_v = std::is_floating_point_v<T> || is_half_v<T>;

// Calls `f(T{})` for the T in `List` whose dtype is `t`; returns false when
// `t` is not in the list. The tag argument carries the type.
template <class... Ts, class F>
bool dispatch(TypeList<Ts...>, DType t, F&& f) {
  bool found = false;
  ((!found && dtype_of<Ts> == base_type(t) ? (f(Ts{}), found = true) : false), ...);
  return found;
}

template <class... Ts>
void list_dtypes(TypeList<Ts...>, std::vector<DType>* out) {
  (out->push_back(dtype_of<Ts>), ...);
}

}  // namespace metarun
