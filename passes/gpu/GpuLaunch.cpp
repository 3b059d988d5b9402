#include "passes/gpu/GpuLaunch.h"

using namespace mlir;
using namespace mlir::ssm;

static constexpr StringLiteral kLaunchAttr = "ssm.launch";
static constexpr const char *kGridNames[3] = {"grid_x", "grid_y", "grid_z"};

// {block = array<i64: x, y, z>, grid_x = array<i64: arg, dim, ...>,
//  div = array<i64: x, y, z>, grid_stride, unit_inner_stride = array<i64: ...>}
void ssm::setLaunch(gpu::GPUFuncOp func, const GpuLaunch &launch) {
  Builder b(func.getContext());
  SmallVector<NamedAttribute> attrs;
  attrs.push_back(b.getNamedAttr("block", b.getDenseI64ArrayAttr(launch.block)));
  SmallVector<int64_t> divs;
  for (int d = 0; d < 3; ++d) {
    SmallVector<int64_t> pairs;
    for (const GridFactor &f : launch.grid[d].product)
      pairs.append({f.arg, f.dim});
    attrs.push_back(b.getNamedAttr(kGridNames[d], b.getDenseI64ArrayAttr(pairs)));
    divs.push_back(launch.grid[d].div);
  }
  attrs.push_back(b.getNamedAttr("div", b.getDenseI64ArrayAttr(divs)));
  if (launch.gridStride)
    attrs.push_back(b.getNamedAttr("grid_stride", b.getUnitAttr()));
  attrs.push_back(b.getNamedAttr("unit_inner_stride",
                                 b.getDenseI64ArrayAttr(launch.unitInnerStride)));
  func->setAttr(kLaunchAttr, b.getDictionaryAttr(attrs));
}

FailureOr<GpuLaunch> ssm::getLaunch(gpu::GPUFuncOp func) {
  auto dict = func->getAttrOfType<DictionaryAttr>(kLaunchAttr);
  auto array = [&](StringRef key) {
    return dict ? dict.getAs<DenseI64ArrayAttr>(key) : DenseI64ArrayAttr();
  };
  auto block = array("block"), div = array("div"), unit = array("unit_inner_stride");
  if (!block || block.size() != 3 || !div || div.size() != 3 || !unit)
    return func.emitOpError() << "has no well-formed '" << kLaunchAttr << "' attribute";
  GpuLaunch launch;
  for (int d = 0; d < 3; ++d) {
    launch.block[d] = block[d];
    launch.grid[d].div = div[d];
    auto pairs = array(kGridNames[d]);
    if (!pairs || pairs.size() % 2 != 0)
      return func.emitOpError() << "'" << kLaunchAttr << "' needs an even " << kGridNames[d];
    for (size_t i = 0; i < pairs.size(); i += 2)
      launch.grid[d].product.push_back({pairs[i], pairs[i + 1]});
  }
  launch.gridStride = dict.contains("grid_stride");
  launch.unitInnerStride.assign(unit.asArrayRef().begin(), unit.asArrayRef().end());
  return launch;
}
