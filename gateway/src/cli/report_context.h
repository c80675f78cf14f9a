// The evidence objects the `register` and `report` commands work on: a node's data folder (or
// configuration file), its directory and store, opened from the command line options
// --data DIR | --config FILE [--node NAME] [--targets FILE]. Not thread-shared: one per command.
#pragma once

#include <memory>
#include <string>

#include "cli_support.h"
#include "lienthong/gateway/evidence/report.h"
#include "lienthong/gateway/store/store.h"

namespace lienthong::gateway::cli {

struct EvidenceContext {
  std::unique_ptr<Store> store;  // opened first, so its tables exist (and are migrated)
  std::shared_ptr<const schemas::Directory> directory;
  std::string node;
  std::shared_ptr<RegisterBook> book;
  std::shared_ptr<RegisterIndexer> indexer;
  std::shared_ptr<Reporter> reporter;
};

// Targets from --targets FILE, else <data>/targets.csv when it exists, else 90% everywhere.
Result<EvidenceContext> openEvidenceContext(const Args& a);

}  // namespace lienthong::gateway::cli
