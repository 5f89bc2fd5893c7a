// Queues (FIFOQueue, PaddingFIFOQueue, RandomShuffleQueue, PriorityQueue) and
// the ops that use them, with TensorFlow's blocking semantics. A queue is a
// session resource: created by its queue op on first run, shared by every run
// of the session (and across nodes through shared_name). V1 ops hand out a
// string [container, key] handle, V2 ops a DT_RESOURCE one; kernels accept either.
//
// Waiting follows TF: enqueue attempts and dequeue attempts each form a line
// served strictly in order, and only the attempt at the front of its line
// acts. An EnqueueMany moves its elements in one at a time as room frees up;
// a DequeueMany collects elements as they arrive and, when the queue closes
// before it has all of them, puts what it took back. A blocked kernel waits
// in short slices and between them asks its run whether to stop (cancelled,
// past its deadline, Ctrl-C); a DequeueMany stopped that way loses what it
// had taken, as in TF.
//
// Where the elements come out differs per kind, as TF's containers make it:
// a FIFO's front; a RandomShuffleQueue's slot `philox() % size`, whose hole
// the last element fills (it holds back min_after_dequeue elements until
// closed); a PriorityQueue's heap top, the heap kept by std::push_heap and
// std::pop_heap ordered by `a > b` on the int64 priority, which is TF's
// std::priority_queue over libstdc++: equal priorities come out in that
// heap's order.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <climits>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <random>

#include "kernels/queue.h"
#include "kernels/util/element_copier.h"
#include "kernels/util/philox.h"
#include "framework/registry.h"

namespace metarun {
namespace {

using Tuple = std::vector<Tensor>;  // one element: a tensor per component

enum class Kind { kFifo, kPadding, kShuffle, kPriority };

std::string partial_shape_str(const PartialShape& s) {
  if (s.unknown_rank) return "<unknown>";
  std::string out = "[";
  for (size_t i = 0; i < s.dims.size(); ++i) {
    if (i) out += ",";
    out += s.dims[i] < 0 ? "?" : std::to_string(s.dims[i]);
  }
  return out + "]";
}

struct Attempt {
  bool cancelled = false;  // set by a close that cancels pending enqueues
  Status status;
};

struct Queue : Resource {
  Kind kind = Kind::kFifo;
  std::string op;    // the creating op's type, without a V2 suffix: starts TF's messages
  std::string name;  // TF's queue name (shared_name, or "_<id>_<node>")
  int64_t capacity = INT32_MAX;
  std::vector<DType> dtypes;         // a PriorityQueue's start with its int64 priority
  std::vector<PartialShape> shapes;  // empty: unspecified
  int64_t min_after_dequeue = 0;
  int64_t seed = 0, seed2 = 0;  // as the attrs gave them (a sharer must give the same)

  std::mutex mu;
  std::condition_variable cv;
  bool closed = false;
  std::deque<Tuple> items;  // FIFO order, a shuffle queue's slots, or a priority heap
  std::deque<Attempt*> enqueuers;  // closes line up here too
  std::deque<Attempt*> dequeuers;
  Philox philox;
  PhiloxSingle sample{&philox};

  bool specified_shapes() const { return !shapes.empty(); }
  int num_components() const { return static_cast<int>(dtypes.size()); }
  int64_t size() const { return static_cast<int64_t>(items.size()); }

  // How many elements a dequeue may take now.
  int64_t available() const {
    if (kind == Kind::kShuffle && !closed) return std::max<int64_t>(0, size() - min_after_dequeue);
    return size();
  }
  static bool later(const Tuple& a, const Tuple& b) { return *a[0].data<int64_t>() > *b[0].data<int64_t>(); }
  void push(Tuple t) {
    items.push_back(std::move(t));
    if (kind == Kind::kPriority) std::push_heap(items.begin(), items.end(), later);
  }
  Tuple pop() {
    Tuple t;
    if (kind == Kind::kShuffle) {
      const size_t i = sample() % items.size();
      t = std::move(items[i]);
      if (i + 1 != items.size()) items[i] = std::move(items.back());
      items.pop_back();
    } else if (kind == Kind::kPriority) {
      std::pop_heap(items.begin(), items.end(), later);
      t = std::move(items.back());
      items.pop_back();
    } else {
      t = std::move(items.front());
      items.pop_front();
    }
    return t;
  }
  // A DequeueMany that cannot complete returns what it took, last first: to
  // a FIFO's front (restoring its order), to the back or heap otherwise.
  void put_back(std::vector<Tuple>* taken) {
    for (auto it = taken->rbegin(); it != taken->rend(); ++it) {
      if (kind == Kind::kFifo || kind == Kind::kPadding) items.push_front(std::move(*it));
      else push(std::move(*it));
    }
    taken->clear();
  }
};

// ---- waiting ----

// Joins `line` and, whenever at its front, calls `step` (under q.mu) until it
// returns true. Between tries waits a short slice and asks the run whether to
// stop; a stopped wait leaves the line with `stop` (or the run's deadline).
template <class Step>
Status wait_turn(OpContext& ctx, Queue& q, std::deque<Attempt*>& line, Step step, const char* stop) {
  Attempt a;
  std::unique_lock<std::mutex> lock(q.mu);
  line.push_back(&a);
  auto leave = [&] {
    line.erase(std::find(line.begin(), line.end(), &a));
    q.cv.notify_all();
  };
  for (bool waited = false;; waited = true) {
    if (a.cancelled) {
      leave();
      return a.status;
    }
    if (line.front() == &a && step(&a)) {
      leave();
      return a.status;
    }
    if (waited) {
      lock.unlock();
      const bool stop_now = ctx.should_stop();
      lock.lock();
      if (stop_now && !a.cancelled) {
        leave();
        return ctx.stop_status(cancelled(stop));
      }
    }
    q.cv.wait_for(lock, std::chrono::milliseconds(20));
  }
}

// ---- handles ----

std::mutex g_create_mu;  // creation of a queue is atomic across runs

Status lookup_queue(OpContext& ctx, int index, std::shared_ptr<Queue>* out) {
  if (index < 0 || index >= ctx.num_inputs())
    return invalid_argument(str_cat("Node ", ctx.name(), " has no input ", index));
  const Tensor& h = ctx.input(index);
  std::string key;
  if (h.dtype() == DType::kResource && h.num_elements() == 1) key = h.data<ResourceHandle>()->name;
  else if (h.dtype() == DType::kString && h.num_elements() == 2) key = h.data<std::string>()[1];
  else return invalid_argument(str_cat("Node ", ctx.name(), ": input ", index, " is not a queue handle"));
  *out = std::dynamic_pointer_cast<Queue>(ctx.resources().lookup(key));
  if (!*out) return not_found(str_cat("Queue ", key, " does not exist."));
  return Status();
}

std::string types_str(const std::vector<DType>& ts) {
  std::string out;
  for (size_t i = 0; i < ts.size(); ++i) out += (i ? ", " : "") + dtype_name(ts[i]);
  return out;
}

std::string shapes_str(const std::vector<PartialShape>& ss) {
  std::string out = "[";
  for (size_t i = 0; i < ss.size(); ++i) out += (i ? ", " : "") + partial_shape_str(ss[i]);
  return out + "]";
}

bool same_shapes(const std::vector<PartialShape>& a, const std::vector<PartialShape>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i].unknown_rank != b[i].unknown_rank || a[i].dims != b[i].dims) return false;
  return true;
}

// TF's MatchSignature message when a node's types disagree with its queue's.
Status signature_mismatch(const OpContext& ctx, const std::vector<DType>& have_in, const std::vector<DType>& have_out,
                          const std::vector<DType>& want_in, const std::vector<DType>& want_out) {
  const std::string handle = ctx.input(0).dtype() == DType::kResource ? "resource" : "string_ref";
  auto side = [&](const std::vector<DType>& in, const std::vector<DType>& out) {
    std::string s = handle;
    for (DType t : in) s += ", " + dtype_name(t);
    return s + "->" + types_str(out);
  };
  return invalid_argument(str_cat("Signature mismatch, have: ", side(have_in, have_out),
                                  " expected: ", side(want_in, want_out)));
}

class QueueOpKernel : public OpKernel {
 public:
  explicit QueueOpKernel(KernelInit& init) : node_(init.name()) {
    op_ = init.op();
    v2_ = op_.size() > 2 && op_.compare(op_.size() - 2, 2, "V2") == 0;
    if (v2_) op_.resize(op_.size() - 2);
    kind_ = op_ == "PaddingFIFOQueue" ? Kind::kPadding
            : op_ == "RandomShuffleQueue" ? Kind::kShuffle
            : op_ == "PriorityQueue" ? Kind::kPriority : Kind::kFifo;
    init.get("component_types", &dtypes_);
    if (const AttrValue* a = init.find_attr("shapes")) shapes_ = a->list_shape;
    init.get("capacity", &capacity_);
    if (capacity_ < 0) capacity_ = INT32_MAX;
    if (init.has_attr("container")) init.get("container", &container_);
    if (init.has_attr("shared_name")) init.get("shared_name", &shared_name_);
    if (kind_ == Kind::kShuffle) {
      init.get("min_after_dequeue", &min_after_dequeue_);
      init.get("seed", &seed_);
      init.get("seed2", &seed2_);
      if (min_after_dequeue_ < 0)
        init.fail(invalid_argument(str_cat("min_after_dequeue ", min_after_dequeue_, " must be >= 0")));
      else if (min_after_dequeue_ >= capacity_)
        init.fail(invalid_argument(str_cat("min_after_dequeue ", min_after_dequeue_, " must be < capacity ",
                                           capacity_)));
    }
    if (kind_ == Kind::kPriority) {
      // The priority is component 0 of every element, though not in the attrs.
      dtypes_.insert(dtypes_.begin(), DType::kInt64);
      if (!shapes_.empty()) shapes_.insert(shapes_.begin(), PartialShape{false, {}});
    }
    if (dtypes_.empty()) init.fail(invalid_argument("Value for attr 'component_types' has 0 elements, minimum 1"));
    if (kind_ == Kind::kPadding && shapes_.size() != dtypes_.size())
      init.fail(invalid_argument(str_cat("Shapes must be provided for all components, but received ", dtypes_.size(),
                                         " dtypes and ", shapes_.size(), " shapes.")));
    else if (!shapes_.empty() && shapes_.size() != dtypes_.size())
      init.fail(invalid_argument(str_cat("Different number of component types.  Types: ", types_str(dtypes_),
                                         ", Shapes: ", shapes_str(shapes_))));
    for (const PartialShape& s : shapes_) {
      // A padding queue pads within a known rank (stacking relies on it).
      if (kind_ == Kind::kPadding && s.unknown_rank)
        init.fail(invalid_argument(str_cat("shape ", partial_shape_str(s), " must have known rank.")));
      else if (kind_ != Kind::kPadding && !s.fully_defined())
        init.fail(invalid_argument(str_cat("Shape ", partial_shape_str(s), " is not fully defined")));
    }
  }

  Status compute(OpContext& ctx) override {
    // A queue without a shared_name belongs to its node (TF: to the kernel,
    // which a session keeps for every run), named "_<unique id>_<node>".
    const std::string key = "queue:" + container_ + "/" + (shared_name_.empty() ? "node:" + node_ : shared_name_);
    static std::atomic<int64_t> next_id{0};
    if (kind_ == Kind::kPriority && shapes_.empty()) {
      // TF checks every queue it makes against the node, adding the priority's
      // shape to the node's shapes but not to the queue's empty ones: such a
      // queue fails on every run, under a new name each time.
      const std::string name = shared_name_.empty() ? str_cat("_", next_id.fetch_add(1), "_", node_) : shared_name_;
      return invalid_argument(str_cat("Shared queue '", name, "' has component shapes [] but requested component "
                                      "shapes were [[]]"));
    }
    std::lock_guard<std::mutex> lock(g_create_mu);
    auto q = std::dynamic_pointer_cast<Queue>(ctx.resources().lookup(key));
    if (!q) {
      q = std::make_shared<Queue>();
      q->kind = kind_;
      q->op = op_;
      q->name = shared_name_.empty() ? str_cat("_", next_id.fetch_add(1), "_", node_) : shared_name_;
      q->capacity = capacity_;
      q->dtypes = dtypes_;
      q->shapes = shapes_;
      q->min_after_dequeue = min_after_dequeue_;
      q->seed = seed_;
      q->seed2 = seed2_;
      int64_t s = seed_, s2 = seed2_;
      if (s == 0 && s2 == 0) {  // unseeded: TF draws both at random
        static std::mt19937_64 engine{std::random_device{}()};
        s = static_cast<int64_t>(engine());
        s2 = static_cast<int64_t>(engine());
      }
      q->philox = Philox(static_cast<uint64_t>(s), static_cast<uint64_t>(s2));
      ctx.resources().insert(key, q);
    } else {
      MR_RETURN_IF_ERROR(matches(*q, ctx));
    }
    ctx.set_output(0, handle_tensor(container_, key, v2_));
    return Status();
  }

 private:
  // TF's checks that a node sharing a queue asks for the same one.
  Status matches(const Queue& q, const OpContext& ctx) const {
    if (q.op != op_) return invalid_argument(str_cat("Expected ", q.op, ", found ", ctx.node().op));
    const std::string shared = str_cat("Shared queue '", q.name, "' has ");
    if (q.capacity != capacity_)
      return invalid_argument(str_cat(shared, "capacity ", q.capacity, " but requested capacity was ", capacity_));
    if (kind_ == Kind::kShuffle) {
      if (q.min_after_dequeue != min_after_dequeue_)
        return invalid_argument(str_cat(shared, "min_after_dequeue ", q.min_after_dequeue,
                                        " but requested min_after_dequeue was ", min_after_dequeue_, "."));
      if ((seed_ != 0 || seed2_ != 0) && (seed_ != q.seed || seed2_ != q.seed2))
        return invalid_argument(str_cat(shared, "random seeds (", q.seed, ", ", q.seed2, ") but requested seeds are (",
                                        seed_, ", ", seed2_, ")."));
    }
    if (q.dtypes != dtypes_)
      return invalid_argument(str_cat(shared, "component types ", types_str(q.dtypes),
                                      " but requested component types were ", types_str(dtypes_)));
    if (!same_shapes(q.shapes, shapes_))
      return invalid_argument(str_cat(shared, "component shapes ", shapes_str(q.shapes),
                                      " but requested component shapes were ", shapes_str(shapes_)));
    return Status();
  }

  std::string node_, op_, container_, shared_name_;
  Kind kind_ = Kind::kFifo;
  bool v2_ = false;
  std::vector<DType> dtypes_;
  std::vector<PartialShape> shapes_;
  int64_t capacity_ = -1, min_after_dequeue_ = 0, seed_ = 0, seed2_ = 0;
};

// ---- element movement ----

Tensor slice_of(const Tensor& batch, int64_t i) {
  Shape s(batch.shape().begin() + 1, batch.shape().end());
  Tensor out(batch.dtype(), s);
  const int64_t n = num_elements(s);
  ElementCopier(batch.dtype()).copy(batch, i * n, out, 0, n);
  return out;
}

// Copies `t` into slot `i` of `out` (elements of shape `elem`), zero-padding
// each dimension of `t` up to `elem`'s.
void copy_padded(const Tensor& t, Tensor& out, int64_t i, const Shape& elem, const ElementCopier& cp) {
  const int64_t per = num_elements(elem);
  if (t.shape() == elem) {
    cp.copy(t, 0, out, i * per, per);
    return;
  }
  cp.zero(out, i * per, per);
  const Shape& ts = t.shape();
  const int64_t total = t.num_elements();
  if (total == 0) return;
  const int64_t inner = ts.back();
  std::vector<int64_t> idx(ts.size());
  for (int64_t flat = 0; flat < total; flat += inner) {
    int64_t rem = flat, dst = 0, stride = 1;
    for (int d = static_cast<int>(ts.size()) - 1; d >= 0; --d) {
      idx[d] = rem % ts[d];
      rem /= ts[d];
    }
    for (int d = static_cast<int>(ts.size()) - 1; d >= 0; --d) {
      dst += idx[d] * stride;
      stride *= elem[d];
    }
    cp.copy(t, flat, out, i * per + dst, inner);
  }
}

// Stacks component c of `elems` into [n] + shape, padded to the largest
// extent of each dimension (only a PaddingFIFOQueue's elements differ).
Tensor stack_component(const Queue& q, const std::vector<Tuple>& elems, int c) {
  Shape elem;
  if (!elems.empty()) {
    elem = elems[0][c].shape();
    for (const Tuple& t : elems)
      for (size_t d = 0; d < elem.size(); ++d) elem[d] = std::max(elem[d], t[c].shape()[d]);
  } else if (q.specified_shapes()) {
    for (int64_t d : q.shapes[c].dims) elem.push_back(d < 0 ? 0 : d);
  }
  Shape shape{static_cast<int64_t>(elems.size())};
  shape.insert(shape.end(), elem.begin(), elem.end());
  Tensor out(q.dtypes[c], shape);
  ElementCopier cp(q.dtypes[c]);
  for (size_t i = 0; i < elems.size(); ++i) copy_padded(elems[i][c], out, static_cast<int64_t>(i), elem, cp);
  return out;
}

bool fits(const PartialShape& want, const Shape& got, bool padding) {
  if (padding) return want.compatible_with(got);
  if (want.unknown_rank || want.dims.size() != got.size()) return false;
  for (size_t i = 0; i < got.size(); ++i)
    if (want.dims[i] != got[i]) return false;
  return true;
}

// TF's ValidateTuple / ValidateManyTuple: the node's inputs against the queue.
Status check_enqueue(const Queue& q, const OpContext& ctx, bool many, int64_t* batch) {
  const int nc = q.num_components();
  std::vector<DType> have;
  for (int i = 1; i < ctx.num_inputs(); ++i) have.push_back(ctx.input(i).dtype());
  if (have != q.dtypes) return signature_mismatch(ctx, have, {}, q.dtypes, {});
  const bool padding = q.kind == Kind::kPadding;
  *batch = 1;
  if (!many) {
    for (int i = 0; q.specified_shapes() && i < nc; ++i)
      if (!fits(q.shapes[i], ctx.input(i + 1).shape(), padding))
        return invalid_argument(str_cat("Shape mismatch in tuple component ", i, ". Expected ",
                                        partial_shape_str(q.shapes[i]), ", got ", shape_str(ctx.input(i + 1).shape())));
  } else {
    for (int i = 0; i < nc; ++i)
      if (ctx.input(i + 1).shape().empty())
        return invalid_argument(str_cat("Shape mismatch in tuple component ", i,
                                        ". Expected a batch (rank >= 1), got []"));
    *batch = ctx.input(1).shape()[0];
    for (int i = 0; i < nc; ++i) {
      const Shape& s = ctx.input(i + 1).shape();
      if (q.specified_shapes()) {
        Shape elem(s.begin() + 1, s.end());
        if (!fits(q.shapes[i], elem, padding) || s[0] != *batch) {
          PartialShape want = q.shapes[i];
          want.dims.insert(want.dims.begin(), *batch);
          return invalid_argument(str_cat("Shape mismatch in tuple component ", i, ". Expected ",
                                          partial_shape_str(want), ", got ", shape_str(s)));
        }
      } else if (s[0] != *batch) {
        return invalid_argument(str_cat("All input tensors must have the same size in the 0th dimension. Component ",
                                        i, " has ", s[0], ", and should have ", *batch));
      }
    }
  }
  if (q.kind == Kind::kPriority) {
    const Shape& s = ctx.input(1).shape();
    if (s.size() != (many ? 1u : 0u))
      return invalid_argument(str_cat("Expected the priority element to be a scalar, but received shape: ",
                                      shape_str(many ? Shape(s.begin() + 1, s.end()) : s)));
  }
  return Status();
}

class EnqueueKernel : public OpKernel {
 public:
  explicit EnqueueKernel(KernelInit& init) : many_(init.op().find("Many") != std::string::npos) {}
  Status compute(OpContext& ctx) override {
    std::shared_ptr<Queue> q;
    MR_RETURN_IF_ERROR(lookup_queue(ctx, 0, &q));
    int64_t batch = 1;
    MR_RETURN_IF_ERROR(check_enqueue(*q, ctx, many_, &batch));
    if (batch == 0) return Status();
    const int nc = q->num_components();
    int64_t next = 0;
    return wait_turn(
        ctx, *q, q->enqueuers,
        [&](Attempt* a) {
          if (q->closed) {
            a->status = cancelled(str_cat(q->op, " '", q->name, "' is closed."));
            return true;
          }
          bool moved = false;
          while (q->size() < q->capacity && next < batch) {
            Tuple t(nc);
            for (int i = 0; i < nc; ++i) t[i] = many_ ? slice_of(ctx.input(i + 1), next) : ctx.input(i + 1);
            q->push(std::move(t));
            ++next;
            moved = true;
          }
          if (moved) q->cv.notify_all();
          return next == batch;
        },
        "Enqueue operation was cancelled");
  }

 private:
  bool many_;
};

// Takes `n` elements (DequeueUpTo: `up_to`, fewer once the queue is closed)
// into `taken`, waiting its turn and for the elements.
Status dequeue(OpContext& ctx, Queue& q, int64_t n, bool up_to, std::vector<Tuple>* taken) {
  int64_t want = n;
  return wait_turn(
      ctx, q, q.dequeuers,
      [&](Attempt* a) {
        const int64_t size = q.size();
        const int64_t remaining = want - static_cast<int64_t>(taken->size());
        auto out_of_range_error = [&] {
          a->status = out_of_range(str_cat(q.op, " '", q.name, "' is closed and has insufficient elements (requested ",
                                           remaining, ", current size ", size, ")"));
          return true;
        };
        if (q.kind == Kind::kPriority) {
          // TF's PriorityQueue takes a batch only when all of it is there (to
          // keep it sorted) and never puts elements back: an UpTo after close
          // takes what is left, still counts the rest as missing and then
          // fails on the empty queue, losing what it took.
          if (q.closed && (size == 0 || (!up_to && size < remaining))) return out_of_range_error();
          if (size < remaining && !(q.closed && up_to && size > 0)) return false;
          for (int64_t i = 0; i < std::min(size, remaining); ++i) taken->push_back(q.pop());
          q.cv.notify_all();
          return static_cast<int64_t>(taken->size()) == want;
        }
        if (q.closed && size < remaining) {
          // Not enough will ever come: what was taken goes back.
          q.put_back(taken);
          if (up_to && q.size() > 0) {
            want = q.size();
          } else {
            // An UpTo waits for enqueues still under way.
            if (up_to && !q.enqueuers.empty()) return false;
            return out_of_range_error();
          }
        }
        bool moved = false;
        while (q.available() > 0 && static_cast<int64_t>(taken->size()) < want) {
          taken->push_back(q.pop());
          moved = true;
        }
        if (moved) q.cv.notify_all();
        return static_cast<int64_t>(taken->size()) == want;
      },
      "Dequeue operation was cancelled");
}

class DequeueKernel : public OpKernel {
 public:
  explicit DequeueKernel(KernelInit& init) {
    const std::string& op = init.op();
    up_to_ = op.find("UpTo") != std::string::npos;
    many_ = up_to_ || op.find("Many") != std::string::npos;
  }
  Status compute(OpContext& ctx) override {
    std::shared_ptr<Queue> q;
    MR_RETURN_IF_ERROR(lookup_queue(ctx, 0, &q));
    const int nc = q->num_components();
    std::vector<DType> out_types;
    for (int i = 0; i < ctx.num_outputs(); ++i) out_types.push_back(base_type(ctx.node().output_types[i]));
    if (out_types != q->dtypes) {
      std::vector<DType> in;
      if (many_) in.push_back(DType::kInt32);
      return signature_mismatch(ctx, in, out_types, in, q->dtypes);
    }
    int64_t n = 1;
    if (many_) {
      MR_RETURN_IF_ERROR(scalar_input(ctx, 1, "n must be a scalar, but had shape: {}", &n));
      if (n < 0)
        return invalid_argument(str_cat(up_to_ ? "DequeueUpToOp" : "DequeueManyOp", " requested ", n, " < 0 elements"));
      if (!q->specified_shapes() && q->kind != Kind::kPadding)
        return invalid_argument(str_cat(q->op,
                                        "'s DequeueMany and DequeueUpTo require the components to have specified shapes."));
    }
    std::vector<Tuple> taken;
    if (n > 0) MR_RETURN_IF_ERROR(dequeue(ctx, *q, n, up_to_, &taken));
    for (int c = 0; c < nc; ++c) ctx.set_output(c, many_ ? stack_component(*q, taken, c) : taken[0][c]);
    return Status();
  }

 private:
  bool many_ = false, up_to_ = false;
};

class CloseKernel : public OpKernel {
 public:
  explicit CloseKernel(KernelInit& init) {
    if (init.has_attr("cancel_pending_enqueues")) init.get("cancel_pending_enqueues", &cancel_);
  }
  Status compute(OpContext& ctx) override {
    std::shared_ptr<Queue> q;
    MR_RETURN_IF_ERROR(lookup_queue(ctx, 0, &q));
    if (cancel_) {
      std::lock_guard<std::mutex> lock(q->mu);
      q->closed = true;
      for (Attempt* a : q->enqueuers) {
        if (a->cancelled) continue;
        a->cancelled = true;
        a->status = cancelled("Enqueue operation was cancelled");
      }
      q->cv.notify_all();
      return Status();
    }
    // Lines up behind pending enqueues, as TF's close does.
    return wait_turn(
        ctx, *q, q->enqueuers,
        [&](Attempt* a) {
          if (q->closed) a->status = cancelled(str_cat("Queue '", q->name, "' is already closed."));
          q->closed = true;
          return true;
        },
        "Enqueue operation was cancelled");
  }

 private:
  bool cancel_ = false;
};

class SizeKernel : public OpKernel {
 public:
  explicit SizeKernel(KernelInit&) {}
  Status compute(OpContext& ctx) override {
    std::shared_ptr<Queue> q;
    MR_RETURN_IF_ERROR(lookup_queue(ctx, 0, &q));
    std::lock_guard<std::mutex> lock(q->mu);
    ctx.set_output(0, Tensor::scalar<int32_t>(static_cast<int32_t>(q->size())));
    return Status();
  }
};

class IsClosedKernel : public OpKernel {
 public:
  explicit IsClosedKernel(KernelInit&) {}
  Status compute(OpContext& ctx) override {
    std::shared_ptr<Queue> q;
    MR_RETURN_IF_ERROR(lookup_queue(ctx, 0, &q));
    std::lock_guard<std::mutex> lock(q->mu);
    ctx.set_output(0, Tensor::scalar<bool>(q->closed));
    return Status();
  }
};

}  // namespace

Status dequeue_one(OpContext& ctx, int input_index, std::vector<Tensor>* tuple) {
  std::shared_ptr<Queue> q;
  MR_RETURN_IF_ERROR(lookup_queue(ctx, input_index, &q));
  std::vector<Tuple> taken;
  MR_RETURN_IF_ERROR(dequeue(ctx, *q, 1, false, &taken));
  *tuple = std::move(taken[0]);
  return Status();
}

Status queue_component_types(OpContext& ctx, int input_index, std::vector<DType>* dtypes) {
  std::shared_ptr<Queue> q;
  MR_RETURN_IF_ERROR(lookup_queue(ctx, input_index, &q));
  *dtypes = q->dtypes;
  return Status();
}

void register_queue_ops(Registry& r) {
  for (const char* v : {"", "V2"}) {
    std::string s(v);
    for (const char* queue : {"FIFOQueue", "PaddingFIFOQueue", "RandomShuffleQueue", "PriorityQueue"})
      r.add(queue + s, make_kernel<QueueOpKernel>);
    r.add("QueueEnqueue" + s, make_kernel<EnqueueKernel>);
    r.add("QueueEnqueueMany" + s, make_kernel<EnqueueKernel>);
    r.add("QueueDequeue" + s, make_kernel<DequeueKernel>);
    r.add("QueueDequeueMany" + s, make_kernel<DequeueKernel>);
    r.add("QueueDequeueUpTo" + s, make_kernel<DequeueKernel>);
    r.add("QueueClose" + s, make_kernel<CloseKernel>);
    r.add("QueueSize" + s, make_kernel<SizeKernel>);
  }
  r.add("QueueIsClosed", make_kernel<IsClosedKernel>);
  r.add("QueueIsClosedV2", make_kernel<IsClosedKernel>);
}

}  // namespace metarun
