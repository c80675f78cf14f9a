// The directory reload: the new directory checked against this node, then swapped in with its
// routing table and adapters; POST /api/v1/directory/reload.
#include "node_impl.h"

namespace lienthong::gateway {

using namespace node_parts;
namespace fs = std::filesystem;

Result<DirectoryReload> Node::Impl::reload(std::shared_ptr<const schemas::Directory> next, const std::string& by) {
  std::lock_guard lock(reload_mu);
  const auto previous = directory->current();
  const auto refuse = [&](const std::string& why) {
    return fail(ErrorCode::DirectoryInvalid, why + "; the node keeps version " + previous->version());
  };
  if (next->node(config.name) == nullptr) {
    return refuse("directory " + next->version() + " has no node '" + config.name + "' (this node)");
  }
  auto set = adapters->prepare(*next);
  if (!set) return refuse("directory " + next->version() + ": " + set.error().message);
  DirectoryReload out{previous->version(), next->version(), next->units().size(),
                      set->units.size(), schemas::directoryChanges(*previous, *next)};
  std::string detail = "version " + out.previous_version + " -> " + out.version + ", " +
                       std::to_string(out.changes.size()) + " change(s)";
  for (const auto& c : out.changes) detail += "; " + c;
  // Recorded before it takes effect: no switch the audit log does not show.
  if (auto a = store->appendAudit(AuditEntry{"directory reloaded", by, "", "", detail}); !a) {
    return fail(ErrorCode::Storage, "directory reload not done, the audit log cannot record it: " +
                                        a.error().message);
  }
  adapters->install(std::move(*set));
  directory->replace(std::move(next));
  startAdapterPoller();
  log("directory reloaded", "", detail + " (by " + by + ")");
  return out;
}

Result<DirectoryReload> Node::Impl::reloadFile(const std::string& by) {
  if (config.directory_file.empty()) {
    return fail(ErrorCode::DirectoryInvalid, "this node has no directory.file to read again");
  }
  auto dir = schemas::Directory::loadFile(config.directory_file, *schemas);
  if (!dir) {
    return fail(ErrorCode::DirectoryInvalid, "directory.file '" + config.directory_file + "': " +
                                                 dir.error().describe() + "; the node keeps version " +
                                                 directory->current()->version());
  }
  return reload(std::make_shared<const schemas::Directory>(std::move(*dir)), by);
}

HttpResponse Node::Impl::reloadRoute(const HttpRequest& r) {
  if (!r.body.empty()) {
    return HttpResponse::error(httpError(
        ErrorCode::InvalidArgument, "send no body: the node reads its directory.file again (" +
                                        config.directory_file + "); edit that file first"));
  }
  auto out = reloadFile(std::string(roleName(r.credential.role)) + ":" + r.credential.subject);
  if (!out) return HttpResponse::error(out.error());
  Poco::JSON::Object o;
  o.set("node", config.name);
  o.set("previous_version", out->previous_version);
  o.set("version", out->version);
  o.set("units", out->units);
  o.set("adapters", out->adapters);
  Poco::JSON::Array changes;
  for (const auto& c : out->changes) changes.add(c);
  o.set("changes", changes);
  return HttpResponse::json(200, stringify(o));
}

}  // namespace lienthong::gateway
