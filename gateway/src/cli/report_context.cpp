#include "report_context.h"

#include <filesystem>

#include "lienthong/gateway/node/config.h"
#include "lienthong/gateway/evidence/report_routes.h"
#include "lienthong/schemas/schema_set.h"

namespace lienthong::gateway::cli {

namespace fs = std::filesystem;

Result<EvidenceContext> openEvidenceContext(const Args& a) {
  Result<NodeConfig> config = a.has("config") ? loadConfig(a.get("config"))
                                              : Result<NodeConfig>(defaultConfig(a.get("data", "lienthong-data")));
  if (!config) return std::unexpected(config.error());
  const fs::path store_file = fs::path(config->data_dir) / "store.sqlite";
  if (!fs::exists(store_file)) {
    return fail(ErrorCode::NotFound, "no store at '" + store_file.string() +
                                         "': give the node's data folder with --data DIR or --config FILE");
  }
  auto schemas = schemas::SchemaSet::load();
  if (!schemas) return std::unexpected(schemas.error());
  auto dir = schemas::Directory::loadFile(config->directory_file, **schemas);
  if (!dir) {
    return fail(dir.error().code, "directory '" + config->directory_file + "': " + dir.error().describe());
  }
  EvidenceContext c;
  c.directory = std::make_shared<const schemas::Directory>(std::move(*dir));
  c.node = a.get("node", config->name);
  if (c.node.empty()) {
    for (const auto& n : c.directory->nodes()) {
      if (n.parent.empty()) c.node = n.name;
    }
  }
  if (!c.directory->node(c.node)) {
    return fail(ErrorCode::Config, "node '" + c.node + "' is not a node of the directory " + c.directory->version());
  }
  auto store = openSqliteStore(store_file.string());
  if (!store) return std::unexpected(store.error());
  c.store = std::move(*store);

  EvidenceOptions options;
  options.store_file = store_file.string();
  options.directory = schemas::LiveDirectory::make(c.directory);
  options.node_name = c.node;
  std::string targets_file = a.get("targets");
  if (targets_file.empty() && fs::exists(fs::path(config->data_dir) / "targets.csv")) {
    targets_file = (fs::path(config->data_dir) / "targets.csv").string();
  }
  if (!targets_file.empty()) {
    auto t = Targets::load(targets_file);
    if (!t) return std::unexpected(t.error());
    options.targets = *t;
  }
  auto ev = openEvidence(options);
  if (!ev) return std::unexpected(ev.error());
  c.book = ev->book;
  c.indexer = ev->indexer;
  c.reporter = ev->reporter;
  return c;
}

}  // namespace lienthong::gateway::cli
