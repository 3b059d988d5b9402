#ifndef SSMC_FRONTEND_GRAPHVALIDATE_H
#define SSMC_FRONTEND_GRAPHVALIDATE_H

// The checks every importer shares: a ModelGraph's sizes are consistent, and
// every tensor it names is in the weight store with the shape its role needs.

#include "frontend/ModelGraph.h"
#include "frontend/WeightStore.h"

#include <map>
#include <string>
#include <vector>

namespace ssmc::frontend {

// Roles a layer of this kind must name, and the ones it may name.
const std::vector<std::string> &requiredRoles(MixerKind kind);
const std::vector<std::string> &optionalRoles(MixerKind kind);

// Rows of Mamba-2's in_proj: [z: e] [xBC: e + 2GN] [dt: H].
int64_t mamba2InProjRows(const LayerSpec &layer);
// Channels of the depthwise conv: e (Mamba-1) or e + 2GN (Mamba-2).
int64_t convChannels(const LayerSpec &layer);

// The shape each role of `layer` must have (optional roles included).
std::map<std::string, std::vector<int64_t>>
expectedLayerShapes(const LayerSpec &layer, int64_t d_model);

// Sizes positive and consistent (H*P == e, H % G == 0, role names complete,
// padded_vocab_size >= vocab_size). Errors name graph.source.
void checkGraphSizes(const ModelGraph &graph);

// Every named tensor exists in `store` with its expected shape, and all share
// one dtype, which is stored in graph.dtype. Calls checkGraphSizes first.
void bindWeights(ModelGraph &graph, const WeightStore &store);

std::string shapeString(const std::vector<int64_t> &shape);

} // namespace ssmc::frontend

#endif
