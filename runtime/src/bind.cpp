// bindEntry: evaluates sizes for (B, L) and checks views and GEMM operands.
#include "bind.h"

#include "ssmc/error.h"

#include <climits>

namespace ssmc {

namespace {

std::string bindingText(const Bindings &b, bool hasL) {
  return "B=" + std::to_string(b.B) + (hasL ? ", L=" + std::to_string(b.L) : "");
}

int64_t eval(const SizeExpr &e, const Bindings &b, const std::string &what) {
  auto v = e.evaluate(b);
  if (!v)
    throw RuntimeError(ErrorCode::InvalidArgument,
                       what + ": size expression \"" + e.text() +
                           "\" overflows int64 for B=" + std::to_string(b.B) +
                           ", L=" + std::to_string(b.L));
  return *v;
}

class Binder {
public:
  Binder(const Manifest &m, const EntryPoint &ep, const Bindings &b,
         const std::string &file)
      : m_(m), ep_(ep), b_(b), file_(file) {}

  BoundEntry run();

private:
  [[noreturn]] void fail(const std::string &where, const std::string &what) {
    throw RuntimeError(ErrorCode::BadArtifact,
                       file_ + ": manifest: " + where + ": " + what + " (" +
                           bindingText(b_, ep_.symbols.L) + ")");
  }
  std::string at(const std::string &where) const {
    return file_ + ": manifest: " + where;
  }
  BoundView view(const ViewDesc &v);
  void gemm(BoundStep &s);

  const Manifest &m_;
  const EntryPoint &ep_;
  Bindings b_;
  const std::string &file_;
  BoundEntry out_;
};

BoundEntry Binder::run() {
  out_.bindings = b_;
  for (size_t i = 0; i < ep_.buffers.size(); ++i) {
    const BufferDesc &d = ep_.buffers[i];
    const std::string what = file_ + ": " + ep_.name + " buffer id " + std::to_string(d.id);
    auto shape = bindShape(d.shape, b_, what);
    auto bytes = checkedMul(numelOf(shape, what), dtypeSize(d.dtype));
    if (!bytes)
      throw RuntimeError(ErrorCode::InvalidArgument, what + ": byte size overflows");
    out_.bufferShapes.push_back(std::move(shape));
    out_.bufferBytes.push_back(*bytes);
  }
  for (const StepDesc &d : ep_.steps) {
    BoundStep s;
    s.desc = &d;
    if (d.op == StepDesc::Op::Kernel) {
      for (const ViewDesc &v : d.args)
        s.args.push_back(view(v));
    } else {
      gemm(s);
      if (d.fused)
        for (const ViewDesc &v : d.fused->args)
          s.fusedArgs.push_back(view(v));
    }
    out_.steps.push_back(std::move(s));
  }
  return std::move(out_);
}

BoundView Binder::view(const ViewDesc &v) {
  BoundView r;
  r.buffer = v.buffer;
  r.weight = v.weight;
  const std::vector<int64_t> &whole =
      v.buffer >= 0 ? out_.bufferShapes[v.buffer] : m_.weights[v.weight].shape;
  int64_t limit = v.buffer >= 0 ? numelOf(whole, at(v.where))
                                : m_.weights[v.weight].numel;
  r.offset = eval(v.offset, b_, at(v.where + ".offset"));
  r.shape = v.wholeTensor ? whole : bindShape(v.shape, b_, at(v.where + ".shape"));
  if (!v.strides.empty()) {
    r.strides = bindShape(v.strides, b_, at(v.where + ".strides"));
  } else {
    // Contiguous row-major strides for the shape.
    r.strides.assign(r.shape.size(), 1);
    for (size_t i = r.shape.size(); i-- > 1;) {
      auto s = checkedMul(r.strides[i], r.shape[i]);
      if (!s)
        fail(v.where, "contiguous strides overflow int64");
      r.strides[i - 1] = *s;
    }
  }
  // The last element touched is offset + sum((shape[i]-1) * strides[i]).
  bool empty = false;
  for (int64_t d : r.shape)
    empty |= d == 0;
  if (empty) {
    if (r.offset > limit)
      fail(v.where, "offset " + std::to_string(r.offset) + " is past the end (" +
                        std::to_string(limit) + " elements)");
    return r;
  }
  std::optional<int64_t> last = r.offset;
  for (size_t i = 0; i < r.shape.size() && last; ++i) {
    auto span = checkedMul(r.shape[i] - 1, r.strides[i]);
    last = span ? checkedAdd(*last, *span) : std::nullopt;
  }
  if (!last || *last >= limit)
    fail(v.where, "view reaches element " +
                      (last ? std::to_string(*last) : std::string("(overflow)")) +
                      " of a " + (v.buffer >= 0 ? "buffer" : "weight") + " with " +
                      std::to_string(limit) + " elements");
  return r;
}

void Binder::gemm(BoundStep &s) {
  const StepDesc &d = *s.desc;
  s.m = eval(d.m, b_, at(d.where + ".m"));
  s.n = eval(d.n, b_, at(d.where + ".n"));
  s.k = eval(d.k, b_, at(d.where + ".k"));
  s.a = view(d.a);
  s.b = view(d.b);
  s.c = view(d.c);
  if (d.bias) {
    s.hasBias = true;
    s.bias = view(*d.bias);
  }
  for (int64_t v : {s.m, s.n, s.k})
    if (v > INT_MAX)
      throw RuntimeError(ErrorCode::Unsupported,
                         file_ + ": manifest: " + d.where +
                             ": gemm size exceeds the BLAS int range");
  auto matrix = [&](const BoundView &v, const ViewDesc &vd, int64_t rows,
                    int64_t cols, const char *name) {
    if (v.shape[0] != rows || v.shape[1] != cols)
      fail(vd.where, std::string("gemm operand ") + name + " has shape [" +
                         std::to_string(v.shape[0]) + ", " + std::to_string(v.shape[1]) +
                         "], expected [" + std::to_string(rows) + ", " +
                         std::to_string(cols) + "]");
    if (v.strides[1] != 1)
      fail(vd.where, std::string("gemm operand ") + name + " needs unit column stride");
    if (v.strides[0] < std::max<int64_t>(1, cols) || v.strides[0] > INT_MAX)
      fail(vd.where, std::string("gemm operand ") + name + " row stride " +
                         std::to_string(v.strides[0]) + " is not in [" +
                         std::to_string(std::max<int64_t>(1, cols)) + ", INT_MAX]");
  };
  matrix(s.a, d.a, s.m, s.k, "a");
  matrix(s.b, d.b, s.n, s.k, "b");
  matrix(s.c, d.c, s.m, s.n, "c");
  if (s.hasBias && (s.bias.shape[0] != s.n || (s.n > 1 && s.bias.strides[0] != 1)))
    fail(d.bias->where, "gemm bias must be a contiguous [" + std::to_string(s.n) + "] vector");
}

} // namespace

std::vector<int64_t> bindShape(const std::vector<SizeExpr> &shape,
                               const Bindings &b, const std::string &what) {
  std::vector<int64_t> out;
  for (const SizeExpr &e : shape)
    out.push_back(eval(e, b, what));
  return out;
}

int64_t numelOf(const std::vector<int64_t> &shape, const std::string &what) {
  int64_t n = 1;
  for (int64_t d : shape) {
    auto p = checkedMul(n, d);
    if (!p)
      throw RuntimeError(ErrorCode::InvalidArgument,
                         what + ": element count overflows int64");
    n = *p;
  }
  return n;
}

BoundEntry bindEntry(const Manifest &m, const EntryPoint &ep,
                     const Bindings &b, const std::string &file) {
  return Binder(m, ep, b, file).run();
}

} // namespace ssmc
