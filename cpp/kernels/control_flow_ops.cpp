// Dataflow control flow for tf.cond: Switch forwards its input to one of two
// outputs and marks the other dead; Merge forwards whichever input is alive.
// The executor skips nodes with a dead input (Merge excepted) and marks their
// outputs dead, so an untaken branch never runs.
#include "framework/registry.h"

namespace metarun {
namespace {

class SwitchKernel : public OpKernel {
 public:
  explicit SwitchKernel(KernelInit& init) : ref_(init.op() == "RefSwitch") {
    if (ref_) init.take_ref_input(0);
  }
  Status compute(OpContext& ctx) override {
    bool pred = false;
    MR_RETURN_IF_ERROR(scalar_input(ctx, 1, "The second input must be a scalar, but it has shape {}", &pred, true));
    int taken = pred ? 1 : 0;
    if (ref_ && ctx.input_ref(0)) ctx.set_output_ref(taken, ctx.input_ref(0));
    else ctx.set_output(taken, ctx.input(0));
    ctx.set_output_dead(1 - taken);
    return Status();
  }

 private:
  bool ref_;
};

class MergeKernel : public OpKernel {
 public:
  explicit MergeKernel(KernelInit& init) { init.set_accepts_dead_inputs(); }
  Status compute(OpContext& ctx) override {
    for (int i = 0; i < ctx.num_inputs(); ++i) {
      const Entry& e = ctx.input_entry(i);
      if (e.dead || !e.has_value()) continue;
      if (e.ref) ctx.set_output_ref(0, e.ref);
      else ctx.set_output(0, e.tensor);
      ctx.set_output(1, Tensor::scalar<int32_t>(i));
      return Status();
    }
    ctx.set_output_dead(0);
    ctx.set_output_dead(1);
    return Status();
  }
};

// Enter, Exit, NextIteration and LoopCond pass their input through; the
// executor does the routing between frames and iterations.
class ForwardKernel : public OpKernel {
 public:
  explicit ForwardKernel(KernelInit& init) : ref_(init.op().rfind("Ref", 0) == 0) {
    if (ref_) init.take_ref_input(0);
  }
  Status compute(OpContext& ctx) override {
    if (ref_ && ctx.input_ref(0)) ctx.set_output_ref(0, ctx.input_ref(0));
    else ctx.set_output(0, ctx.input(0));
    return Status();
  }

 private:
  bool ref_;
};

class ControlTriggerKernel : public OpKernel {
 public:
  explicit ControlTriggerKernel(KernelInit& init) { init.set_accepts_dead_inputs(); }
  Status compute(OpContext&) override { return Status(); }
};

}  // namespace

void register_control_flow_ops(Registry& r) {
  r.add("Switch", make_kernel<SwitchKernel>);
  r.add("RefSwitch", make_kernel<SwitchKernel>);
  r.add("Merge", make_kernel<MergeKernel>);
  r.add("RefMerge", make_kernel<MergeKernel>);
  r.add("ControlTrigger", make_kernel<ControlTriggerKernel>);
  for (const char* op : {"Enter", "RefEnter", "Exit", "RefExit", "NextIteration", "RefNextIteration", "LoopCond"})
    r.add(op, make_kernel<ForwardKernel>);
}

}  // namespace metarun
