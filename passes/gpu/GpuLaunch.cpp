#include "passes/gpu/GpuLaunch.h"

using namespace mlir;
using namespace mlir::ssm;

static constexpr StringLiteral kLaunchesAttr = "ssm.launches";
static constexpr const char *kGridNames[3] = {"grid_x", "grid_y", "grid_z"};

// {product = array<i64: arg, dim, ...>, div = N}
static DictionaryAttr extentAttr(Builder &b, const GridExtent &e) {
  SmallVector<int64_t> pairs;
  for (const GridFactor &f : e.product)
    pairs.append({f.arg, f.dim});
  return b.getDictionaryAttr({b.getNamedAttr("product", b.getDenseI64ArrayAttr(pairs)),
                              b.getNamedAttr("div", b.getI64IntegerAttr(e.div))});
}

static FailureOr<GridExtent> parseExtent(Attribute attr) {
  auto dict = dyn_cast_or_null<DictionaryAttr>(attr);
  auto pairs = dict ? dict.getAs<DenseI64ArrayAttr>("product") : DenseI64ArrayAttr();
  auto div = dict ? dict.getAs<IntegerAttr>("div") : IntegerAttr();
  if (!pairs || pairs.asArrayRef().size() % 2 != 0 || !div)
    return failure();
  GridExtent e;
  for (size_t i = 0; i < pairs.asArrayRef().size(); i += 2)
    e.product.push_back({pairs[i], pairs[i + 1]});
  e.div = div.getInt();
  return e;
}

// {function = "f", args = array<i64>, block = array<i64: x, y, z>,
//  grid_x = {product, div}, ..., grid_stride, shared_bytes = N,
//  unit_inner_stride = array<i64>}
static DictionaryAttr stageAttr(Builder &b, const GpuStage &s) {
  SmallVector<NamedAttribute> attrs;
  if (!s.function.empty())
    attrs.push_back(b.getNamedAttr("function", b.getStringAttr(s.function)));
  attrs.push_back(b.getNamedAttr("args", b.getDenseI64ArrayAttr(s.args)));
  attrs.push_back(b.getNamedAttr("block", b.getDenseI64ArrayAttr(s.block)));
  for (int d = 0; d < 3; ++d)
    attrs.push_back(b.getNamedAttr(kGridNames[d], extentAttr(b, s.grid[d])));
  if (s.gridStride)
    attrs.push_back(b.getNamedAttr("grid_stride", b.getUnitAttr()));
  if (s.sharedBytes > 0)
    attrs.push_back(b.getNamedAttr("shared_bytes", b.getI64IntegerAttr(s.sharedBytes)));
  attrs.push_back(b.getNamedAttr("unit_inner_stride", b.getDenseI64ArrayAttr(s.unitInnerStride)));
  return b.getDictionaryAttr(attrs);
}

static FailureOr<GpuStage> parseStage(Attribute attr) {
  auto dict = dyn_cast_or_null<DictionaryAttr>(attr);
  if (!dict)
    return failure();
  auto args = dict.getAs<DenseI64ArrayAttr>("args");
  auto block = dict.getAs<DenseI64ArrayAttr>("block");
  auto unit = dict.getAs<DenseI64ArrayAttr>("unit_inner_stride");
  if (!args || !block || block.size() != 3 || !unit)
    return failure();
  GpuStage s;
  if (auto f = dict.getAs<StringAttr>("function"))
    s.function = f.str();
  s.args.assign(args.asArrayRef().begin(), args.asArrayRef().end());
  for (int d = 0; d < 3; ++d) {
    s.block[d] = block[d];
    FailureOr<GridExtent> e = parseExtent(dict.get(kGridNames[d]));
    if (failed(e))
      return failure();
    s.grid[d] = *e;
  }
  s.gridStride = dict.contains("grid_stride");
  if (auto bytes = dict.getAs<IntegerAttr>("shared_bytes"))
    s.sharedBytes = bytes.getInt();
  s.unitInnerStride.assign(unit.asArrayRef().begin(), unit.asArrayRef().end());
  return s;
}

void ssm::setLaunch(gpu::GPUModuleOp module, StringRef symbol, const GpuLaunch &launch) {
  Builder b(module.getContext());
  SmallVector<Attribute> stages, scratch;
  for (const GpuStage &s : launch.stages)
    stages.push_back(stageAttr(b, s));
  for (const SmallVector<GridExtent> &buffer : launch.scratch) {
    SmallVector<Attribute> dims;
    for (const GridExtent &e : buffer)
      dims.push_back(extentAttr(b, e));
    scratch.push_back(b.getArrayAttr(dims));
  }
  auto entry = b.getDictionaryAttr({b.getNamedAttr("stages", b.getArrayAttr(stages)),
                                    b.getNamedAttr("scratch", b.getArrayAttr(scratch))});
  NamedAttrList all(module->getAttrOfType<DictionaryAttr>(kLaunchesAttr));
  all.set(symbol, entry);
  module->setAttr(kLaunchesAttr, all.getDictionary(module.getContext()));
}

FailureOr<std::map<std::string, GpuLaunch>> ssm::getLaunches(gpu::GPUModuleOp module) {
  std::map<std::string, GpuLaunch> out;
  auto all = module->getAttrOfType<DictionaryAttr>(kLaunchesAttr);
  if (!all)
    return out;
  for (NamedAttribute entry : all) {
    auto fail = [&]() {
      return module.emitOpError() << "has a malformed '" << kLaunchesAttr << "' entry for "
                                  << entry.getName();
    };
    auto dict = dyn_cast<DictionaryAttr>(entry.getValue());
    auto stages = dict ? dict.getAs<ArrayAttr>("stages") : ArrayAttr();
    auto scratch = dict ? dict.getAs<ArrayAttr>("scratch") : ArrayAttr();
    if (!stages || stages.empty() || !scratch)
      return fail();
    GpuLaunch launch;
    for (Attribute s : stages) {
      FailureOr<GpuStage> stage = parseStage(s);
      if (failed(stage))
        return fail();
      launch.stages.push_back(*stage);
    }
    for (Attribute buffer : scratch) {
      auto dims = dyn_cast<ArrayAttr>(buffer);
      if (!dims)
        return fail();
      SmallVector<GridExtent> shape;
      for (Attribute d : dims) {
        FailureOr<GridExtent> e = parseExtent(d);
        if (failed(e))
          return fail();
        shape.push_back(*e);
      }
      launch.scratch.push_back(shape);
    }
    out[entry.getName().str()] = launch;
  }
  return out;
}
