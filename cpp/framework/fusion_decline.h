// A plan-time fused kernel (executor/fusion.h) that cannot take a run's
// inputs (shapes outside its program, or inputs one of its nodes would
// reject) computes nothing and returns decline_fusion(); the executor then
// runs the group's own nodes, so results and errors are exactly the unfused
// graph's.
#pragma once

#include "core/status.h"

namespace metarun {

inline Status decline_fusion() { return Status(Code::kUnimplemented, "fused kernel declined the run's inputs"); }

inline bool is_fusion_declined(const Status& st) {
  return st.code() == Code::kUnimplemented && st.message() == "fused kernel declined the run's inputs";
}

}  // namespace metarun
