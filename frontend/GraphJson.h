#ifndef SSMC_FRONTEND_GRAPHJSON_H
#define SSMC_FRONTEND_GRAPHJSON_H

// ssmc's own graph file (docs/graph-format.md, docs/graph.schema.json): a
// ModelGraph as JSON plus the safetensors files holding its weights.

#include "frontend/ModelGraph.h"
#include "frontend/WeightStore.h"

#include <string>

namespace ssmc::frontend {

constexpr int kGraphFormatVersion = 1;

// Parses and validates a graph file (types, required keys, consistent
// sizes); does not open the weights. Errors name `path`.
ModelGraph readGraphJson(const std::string &path);
// The same for text in memory; `path` labels errors and becomes the source.
ModelGraph parseGraphJson(const std::string &text, const std::string &path);

// readGraphJson, then opens the listed weight files (relative to the graph
// file's directory) into `store` and checks every tensor's presence, shape
// and the declared dtype.
ModelGraph readGraphJson(const std::string &path, WeightStore &store);

// The graph as a graph file (weight_files written as given); the result
// parses back to an equal graph.
std::string writeGraphJson(const ModelGraph &graph);

} // namespace ssmc::frontend

#endif
