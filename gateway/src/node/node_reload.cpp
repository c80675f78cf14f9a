// The directory reload: the new directory checked against this node, then swapped in with its
// routing table and adapters; POST /api/v1/directory/reload.
#include "node_impl.h"

#include <limits>

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
  out.rerouted = reroutePending(by, out.version);
  log("directory reloaded", "", detail + ", " + std::to_string(out.rerouted) + " pending deliveries re-routed (by " + by + ")");
  return out;
}

std::optional<NewDelivery> Node::Impl::wayNow(const schemas::Directory& dir, const NewDelivery& was,
                                              const std::string& today, std::string& why) const {
  const schemas::Unit* unit = dir.find(was.recipient);
  if (unit == nullptr) return std::nullopt;
  NewDelivery to = was;
  auto receiver = dir.resolve(was.recipient, today);
  if (receiver && *receiver != unit) {
    const schemas::Unit* next = *receiver;
    const bool legacy_form = !unit->legacy_code.empty() && unit->legacy_code == was.recipient;
    to.recipient = legacy_form && !next->legacy_code.empty() ? next->legacy_code : next->code;
    if (to.addressed_to.empty()) to.addressed_to = was.recipient;
    why = was.recipient + " closed on " + unit->valid_to + ", successor " + to.recipient + "; ";
  }
  auto route = routing->route(to.recipient);
  if (!route) return std::nullopt;
  to.route = route->kind;
  to.next_node = route->next_node;
  return to;
}

int Node::Impl::reroutePending(const std::string& by, const std::string& version) {
  auto pending = store->pendingCreatedBefore(std::numeric_limits<std::int64_t>::max(), 10000000);
  if (!pending) {
    log("re-routing failed", "", "pending deliveries not read: " + pending.error().message);
    return 0;
  }
  const auto dir = directory->current();
  const std::string today = todayVn();
  enum class Outcome { Rerouted, Unchanged, Busy };
  const auto one = [&](const Delivery& d) {
    const schemas::Unit* unit = dir->find(d.recipient);
    if (unit == nullptr) {
      log("delivery not re-routed", "", "delivery " + std::to_string(d.id) + ": " + d.recipient +
                                            " is not in directory " + version + "; it keeps its way");
      return Outcome::Unchanged;
    }
    std::string why;
    auto next = wayNow(*dir, NewDelivery{d.recipient, d.route, d.next_node, d.addressed_to}, today, why);
    if (!next) return Outcome::Unchanged;  // no way in the new tree: it keeps its own
    const NewDelivery& to = *next;
    if (to.recipient == d.recipient && to.route == d.route && to.next_node == d.next_node) return Outcome::Unchanged;
    const auto way = [](RouteKind k, const std::string& node) {
      return std::string(routeName(k)) + (node.empty() ? "" : " " + node);
    };
    const std::string note = "directory " + version + ": " + why + "now " + way(to.route, to.next_node) +
                             " (was " + d.recipient + ", " + way(d.route, d.next_node) + ")";
    auto r = store->rerouteDelivery(d.id, to, nowMs(), note, by);
    if (!r) {
      log("delivery not re-routed", "", "delivery " + std::to_string(d.id) + ": " + r.error().message);
      return Outcome::Unchanged;
    }
    if (!*r) return Outcome::Busy;
    if (to.route == RouteKind::Paper) {
      (void)store->finishDelivery(d.id, DeliveryState::Paper, nowMs(), "paper: " + note, by);
    }
    return Outcome::Rerouted;
  };
  int rerouted = 0;
  std::vector<std::int64_t> busy;
  for (const auto& d : *pending) {
    const Outcome o = one(d);
    if (o == Outcome::Rerouted) ++rerouted;
    if (o == Outcome::Busy) busy.push_back(d.id);
  }
  // A delivery a worker is handing over right now is left to it; once the hand-over ends (it
  // is bounded by the peers' deadline) the delivery is looked at again, so none keeps the old
  // way because of the moment the reload came.
  const auto deadline = nowMs() + 3LL * std::max(config.peer_timeout_ms, 1000) + 1000;
  while (!busy.empty() && nowMs() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    std::vector<std::int64_t> still;
    for (auto id : busy) {
      auto d = store->delivery(id);
      if (!d || d->state != DeliveryState::Pending) continue;  // settled meanwhile
      const Outcome o = one(*d);
      if (o == Outcome::Rerouted) ++rerouted;
      if (o == Outcome::Busy) still.push_back(id);
    }
    busy = std::move(still);
  }
  if (!busy.empty()) {
    log("delivery not re-routed", "", std::to_string(busy.size()) +
                                          " deliveries were still being handed over when the reload ended; "
                                          "they keep their way and are re-routed by the next reload");
  }
  if (rerouted > 0 && dispatcher) dispatcher->wake();
  return rerouted;
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
  o.set("rerouted", out->rerouted);
  return HttpResponse::json(200, stringify(o));
}

}  // namespace lienthong::gateway
