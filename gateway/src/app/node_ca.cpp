#include "lienthong/gateway/app/node_ca.h"

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace lienthong::gateway {

CaAuditFn CaAuditBridge::fn() {
  return [this](const std::string& event, const std::string& object,
                const std::string& detail) -> Result<void> {
    if (Store* s = store_.load()) {
      // The detail starts with "actor=<who>"; the actor gets its own field in the audit log.
      std::string actor = "system";
      std::string rest = detail;
      if (detail.starts_with("actor=")) {
        const auto end = detail.find(';');
        actor = detail.substr(6, end == std::string::npos ? std::string::npos : end - 6);
        rest = end == std::string::npos ? std::string() : detail.substr(end + 1);
        while (!rest.empty() && rest.front() == ' ') rest.erase(rest.begin());
      }
      return s->appendAudit(AuditEntry{event, actor, "", object.empty() ? "" : "ca:" + object, rest});
    }
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    return fallback_->audit(event, object, detail,
                            std::chrono::duration_cast<std::chrono::seconds>(now).count());
  };
}

Result<bool> storeHoldsCa(const std::string& store_file) {
  if (!std::filesystem::exists(store_file)) return false;
  auto store = CaStore::open(store_file);
  if (!store) {
    // Whether or not it holds a CA, a store SQLite cannot open is a damaged store: say so.
    if (auto check = checkStore(store_file, false); check && !check->ok()) {
      return std::unexpected(damageError(store_file, *check));
    }
    return std::unexpected(store.error());
  }
  auto settings = (*store)->settings();
  if (!settings) return std::unexpected(settings.error());
  return !settings->empty();
}

Result<NodeCa> openNodeCa(const std::string& store_file, const std::string& passphrase) {
  auto store = CaStore::open(store_file);
  if (!store) return std::unexpected(store.error());
  NodeCa ca;
  ca.store = std::shared_ptr<CaStore>(std::move(*store));
  ca.audit = std::make_shared<CaAuditBridge>(ca.store);
  if (passphrase.empty()) {
    return fail(ErrorCode::KeyUnavailable,
                "the node's store holds a CA: give its passphrase (ca.passphrase_file in the "
                "configuration, or LIENTHONG_CA_PASSPHRASE)");
  }
  auto service = CaService::open(ca.store, passphrase, ca.audit->fn());
  if (!service) return std::unexpected(service.error());
  ca.service = std::shared_ptr<CaService>(std::move(*service));
  return ca;
}

Result<std::optional<NodeCa>> nodeCaFor(const NodeConfig& config) {
  const std::string file = (std::filesystem::path(config.data_dir) / "store.sqlite").string();
  auto holds = storeHoldsCa(file);
  if (!holds) return std::unexpected(holds.error());
  if (!*holds) return std::optional<NodeCa>{};
  std::string pass;
  if (!config.ca_passphrase_file.empty()) {
    std::ifstream in(config.ca_passphrase_file);
    if (!in) {
      return fail(ErrorCode::Config, config.source + ": ca.passphrase_file: cannot read '" +
                                         config.ca_passphrase_file + "'");
    }
    std::getline(in, pass);
    while (!pass.empty() && (pass.back() == '\r' || pass.back() == ' ')) pass.pop_back();
  } else if (const char* env = std::getenv("LIENTHONG_CA_PASSPHRASE"); env != nullptr) {
    pass = env;
  }
  auto ca = openNodeCa(file, pass);
  if (!ca) return fail(ca.error().code, config.source + ": " + ca.error().message);
  return std::optional<NodeCa>{std::move(*ca)};
}

CoverageFn coverageOf(std::shared_ptr<CaService> ca) {
  return [ca = std::move(ca)]() -> Result<std::vector<UnitCoverage>> {
    auto rows = ca->coverage();
    if (!rows) return std::unexpected(rows.error());
    std::vector<UnitCoverage> out;
    out.reserve(rows->size());
    for (const auto& r : *rows) {
      out.push_back({r.unit, r.needed, r.signers_valid, r.missing, r.seals_valid, r.expiring});
    }
    return out;
  };
}

}  // namespace lienthong::gateway
