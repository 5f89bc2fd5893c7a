// Node attributes, parsed from the GraphDef by the Python importer (defaults
// already filled in) and handed over as plain values: no protobuf in C++.
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "core/tensor.h"

namespace metarun {

// A shape that may be partly or wholly unknown: dims of -1 are unknown.
struct PartialShape {
  bool unknown_rank = true;
  std::vector<int64_t> dims;

  bool fully_defined() const {
    if (unknown_rank) return false;
    for (int64_t d : dims)
      if (d < 0) return false;
    return true;
  }
  // A concrete shape is compatible when ranks and known dims agree.
  bool compatible_with(const Shape& s) const {
    if (unknown_rank) return true;
    if (dims.size() != s.size()) return false;
    for (size_t i = 0; i < s.size(); ++i)
      if (dims[i] >= 0 && dims[i] != s[i]) return false;
    return true;
  }
  std::string str() const { return unknown_rank ? "<unknown>" : shape_str(dims); }
};

struct AttrValue {
  enum class Kind { kNone, kInt, kFloat, kBool, kString, kType, kShape, kTensor, kList, kFunc };
  Kind kind = Kind::kNone;
  int64_t i = 0;
  double f = 0;
  bool b = false;
  std::string s;  // also the function name for kFunc
  DType type = DType::kInvalid;
  PartialShape shape;
  Tensor tensor;
  // kList: whichever of these the list holds.
  std::vector<int64_t> list_i;
  std::vector<double> list_f;
  std::vector<bool> list_b;
  std::vector<std::string> list_s;
  std::vector<DType> list_type;
  std::vector<PartialShape> list_shape;
  std::vector<Tensor> list_tensor;
};

using AttrMap = std::unordered_map<std::string, AttrValue>;

}  // namespace metarun
