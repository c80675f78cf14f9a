// Taking a retiring node's work on (handover.h): GET /api/v1/handover/NODE and POST
// /api/v1/handover, for an admin.
#include "node_impl.h"

#include <map>
#include <set>

namespace lienthong::gateway {

using namespace node_parts;

namespace {

std::vector<std::string> splitList(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    if (end > start) out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

HttpResponse refuse(ErrorCode code, const std::string& message) { return HttpResponse::error(httpError(code, message)); }

}  // namespace

Result<RegisterStore*> Node::Impl::handoverRegister() {
  if (!register_store) {
    auto r = openSqliteRegisterStore((std::filesystem::path(config.data_dir) / "store.sqlite").string());
    if (!r) return std::unexpected(r.error());
    register_store = std::move(*r);
  }
  return register_store.get();
}

HttpResponse Node::Impl::handoverView(const HttpRequest& r) {
  const std::string from = r.path_rest;
  if (from.empty() || from.find('/') != std::string::npos) {
    return refuse(ErrorCode::InvalidArgument, "name the retiring node: GET /api/v1/handover/NODE?units=A,B");
  }
  std::lock_guard lock(handover_mu);
  auto reg = handoverRegister();
  if (!reg) return HttpResponse::error(reg.error());
  const auto dir = directory->current();
  HandoverView v;
  v.node = config.name;
  v.from = from;
  v.directory = dir->version();
  auto it = r.query.find("units");
  const std::vector<std::string> units = it == r.query.end() ? std::vector<std::string>{} : splitList(it->second);
  if (units.size() > 100000) return refuse(ErrorCode::InvalidArgument, "units: at most 100000");
  for (const auto& u : units) {
    const schemas::Unit* unit = dir->find(u);
    v.homes[u] = unit ? unit->home_node : std::string();
  }
  auto items = store->handoverItems(from);
  if (!items) return HttpResponse::error(items.error());
  v.messages = static_cast<std::int64_t>(items->size());
  v.digest = handoverDigest(*items);
  if (!units.empty()) {
    RegisterQuery q;
    q.units = units;
    auto out = (*reg)->entries(q);
    if (!out) return HttpResponse::error(out.error());
    q.direction = RegisterDirection::Incoming;
    auto in = (*reg)->entries(q);
    if (!in) return HttpResponse::error(in.error());
    // The lines of the messages handed over, and the clerks' lines: not those of documents that
    // reached these units here after the directory change.
    std::set<std::int64_t> handed;
    for (const auto& it : *items) handed.insert(it.message_id);
    const auto foreign = [&](const RegisterEntry& e) { return e.message_id > 0 && !handed.contains(e.message_id); };
    std::erase_if(*out, foreign);
    std::erase_if(*in, foreign);
    v.register_tally = tallyRegister(*out, *in);
  }
  return HttpResponse::json(200, viewJson(v));
}

HttpResponse Node::Impl::handoverPost(const HttpRequest& r) {
  auto batch = parseHandover(r.body);
  if (!batch) return HttpResponse::error(httpError(batch.error().code, "handover: " + batch.error().message));
  if (batch->from_node == config.name) {
    return refuse(ErrorCode::InvalidArgument, "handover.from_node: '" + batch->from_node +
                                                  "' is this node; run the handover against the node taking the work on");
  }
  const std::string actor = std::string(roleName(r.credential.role)) + ":" + r.credential.subject;
  const auto dir = directory->current();
  const std::string today = todayVn();
  const std::string& from = batch->from_node;
  const std::string stale = " in this node's directory (version " + dir->version() + "): re-home node '" + from +
                            "''s units first (edit the directory, then lienthong directory reload), then hand over again";
  std::lock_guard lock(handover_mu);
  auto reg = handoverRegister();
  if (!reg) return HttpResponse::error(reg.error());

  // Every item is checked, and every delivery given its way here, before anything is stored.
  const auto homedHere = [&](const std::string& code) {
    const schemas::Unit* u = dir->find(code);
    return u != nullptr && u->home_node == config.name;
  };
  for (std::size_t i = 0; i < batch->messages.size(); ++i) {
    auto& m = batch->messages[i];
    // A delivery the retiring node marked handed over already went to a node before: not again.
    std::erase_if(m.deliveries, [](const HandedDelivery& d) { return d.state == DeliveryState::HandedOver; });
    for (std::size_t j = 0; j < m.deliveries.size(); ++j) {
      auto& d = m.deliveries[j];
      const std::string where = "messages[" + std::to_string(i) + "].deliveries[" + std::to_string(j) + "]";
      if (d.state == DeliveryState::Pending) {
        std::string why;
        auto way = wayNow(*dir, d.to, today, why);
        if (!way) {
          return refuse(ErrorCode::InvalidArgument, where + ": no way from node '" + config.name + "' to " +
                                                        d.to.recipient + " in directory " + dir->version());
        }
        if (way->route == RouteKind::Peer && way->next_node == from) {
          return refuse(ErrorCode::Conflict, where + ": " + d.to.recipient + " is still reached through node '" + from +
                                                 "'" + stale);
        }
        d.to = *way;
        d.state = way->route == RouteKind::Paper ? DeliveryState::Paper : DeliveryState::Pending;
        if (d.state == DeliveryState::Paper) d.done_ms = nowMs();
      } else if (d.to.route == RouteKind::Local && !homedHere(d.to.recipient)) {
        const schemas::Unit* u = dir->find(d.to.recipient);
        return refuse(ErrorCode::Conflict, where + ": the mailbox of " + d.to.recipient + " belongs to node '" +
                                               (u ? u->home_node : std::string("?")) + "', not '" + config.name +
                                               "'" + stale);
      }
    }
  }
  auto items = store->handoverItems(from);
  if (!items) return HttpResponse::error(items.error());
  std::map<std::int64_t, std::int64_t> here;  // origin id -> message id here (0: in this batch)
  for (const auto& it : *items) here[it.origin_id] = it.message_id;
  for (const auto& m : batch->messages) here.try_emplace(m.origin_id, 0);
  for (std::size_t i = 0; i < batch->register_lines.size(); ++i) {
    const auto& e = batch->register_lines[i];
    const std::string where = "register[" + std::to_string(i) + "]";
    if (!homedHere(e.unit)) {
      return refuse(ErrorCode::Conflict, where + ": unit " + e.unit + " is not homed at node '" + config.name + "'" + stale);
    }
    if (e.message_id > 0 && !here.contains(e.message_id)) {
      return refuse(ErrorCode::UnknownDocument, where + ": its message " + std::to_string(e.message_id) + " of node '" +
                                                  from + "' was not handed over; send the messages first");
    }
  }

  HandoverOutcome out;
  bool pending = false;
  for (const auto& m : batch->messages) {
    auto a = store->adoptMessage(m, actor);
    if (!a) return HttpResponse::error(a.error());
    here[m.origin_id] = a->id;
    if (a->again) {
      ++out.again;
      continue;
    }
    ++(a->merged ? out.merged : out.taken);
    out.deliveries += a->deliveries;
    for (const auto& d : m.deliveries) pending = pending || d.state == DeliveryState::Pending;
  }
  if (!batch->register_lines.empty()) {
    std::vector<RegisterEntry> lines = batch->register_lines;
    for (auto& e : lines) {
      if (e.message_id > 0) e.message_id = here.at(e.message_id);
    }
    auto added = (*reg)->adoptEntries(lines, nowMs());
    if (!added) return HttpResponse::error(added.error());
    out.register_added = *added;
    out.register_replaced = static_cast<int>(lines.size()) - *added;
  }
  if (!batch->statuses.empty()) {
    auto added = store->adoptStatuses(batch->statuses, actor);
    if (!added) return HttpResponse::error(added.error());
    out.statuses_added = *added;
    out.statuses_held = static_cast<int>(batch->statuses.size()) - *added;
  }
  (void)store->appendAudit(AuditEntry{"handover batch", actor, "", "node:" + from,
                                      "from node " + from + ": " + outcomeJson(out)});
  log("handover batch", "", "from node " + from + ": " + std::to_string(out.taken) + " messages taken, " +
                                std::to_string(out.merged) + " merged, " + std::to_string(out.again) + " again, " +
                                std::to_string(out.register_added + out.register_replaced) + " register lines, " +
                                std::to_string(out.statuses_added) + " statuses");
  if (pending) stored();
  return HttpResponse::json(200, outcomeJson(out));
}

}  // namespace lienthong::gateway
