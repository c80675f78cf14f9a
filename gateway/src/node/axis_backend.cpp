#include "axis_backend.h"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <set>
#include <sstream>

#include "lienthong/gateway/node/config.h"
#include "lienthong/schemas/edxml.h"
#include "lienthong/schemas/xml.h"

namespace lienthong::gateway {

namespace {


std::optional<std::int64_t> parseId(std::string_view s) {
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

std::string twoDigits(int code) {
  return code < 10 ? "0" + std::to_string(code) : std::to_string(code);
}

}  // namespace

StoreAxisBackend::StoreAxisBackend(std::map<std::string, adapters::AxisSystem> systems,
                                   Store& store, Intake& intake,
                                   std::shared_ptr<const RoutingTable> routing)
    : systems_(std::move(systems)), store_(store), intake_(intake), routing_(std::move(routing)) {}

Result<adapters::AxisSystem> StoreAxisBackend::system(std::string_view system_id) {
  auto it = systems_.find(std::string(system_id));
  if (it == systems_.end()) {
    return fail(ErrorCode::NotFound, "system '" + std::string(system_id) + "' is not known");
  }
  return it->second;
}

bool StoreAxisBackend::serves(const std::vector<std::string>& units, std::string_view organ_id) {
  return std::any_of(units.begin(), units.end(),
                     [&](const std::string& u) { return u == organ_id || routing_->sameUnit(u, organ_id); });
}

std::vector<std::string> StoreAxisBackend::codesOf(const adapters::AxisCaller& caller) const {
  std::vector<std::string> codes;
  const auto directory = routing_->directory();
  const auto add = [&](const std::string& c) {
    if (!c.empty() && std::find(codes.begin(), codes.end(), c) == codes.end()) codes.push_back(c);
  };
  for (const auto& unit : caller.units) {
    add(unit);
    if (const auto* u = directory->find(unit)) {
      add(u->code);
      add(u->legacy_code);
    }
  }
  return codes;
}

Result<std::string> StoreAxisBackend::send(std::string_view bytes, std::string_view from,
                                           std::optional<schemas::MessageKind> kind,
                                           const adapters::AxisCaller& caller) {
  if (!kind) {  // no messagetype: what the bytes are (intake reports what is wrong with them)
    if (auto doc = schemas::XmlDocument::parse(bytes)) {
      if (auto k = schemas::detectKind(*doc)) kind = *k;
    }
  }
  const MessageKind expect = kind == schemas::MessageKind::Status ? MessageKind::Status
                                                                  : MessageKind::Document;
  auto r = intake_.submit(bytes, Credential{Role::Office, std::string(from), "axis:" + caller.system_id},
                          "", expect);
  if (!r) return std::unexpected(r.error().error);
  return std::to_string(r->id);
}

Result<std::vector<adapters::AxisListItem>> StoreAxisBackend::listReceived(
    const adapters::AxisCaller& caller, std::optional<schemas::MessageKind> kind) {
  std::vector<MessageKind> kinds;
  if (!kind || *kind == schemas::MessageKind::Document) kinds.push_back(MessageKind::Document);
  if (!kind || *kind == schemas::MessageKind::Status) kinds.push_back(MessageKind::Status);
  std::vector<adapters::AxisListItem> out;
  std::vector<std::int64_t> order;
  for (const auto& code : codesOf(caller)) {
    for (const auto k : kinds) {
      auto entries = store_.localDeliveries(
          code, k, {DeliveryState::Delivered, DeliveryState::Processing});
      if (!entries) return std::unexpected(entries.error());
      for (const auto& e : *entries) {
        adapters::AxisListItem item;
        item.id = std::to_string(e.delivery.id);
        item.from = e.sender;
        item.to = e.delivery.recipient;
        item.kind = k == MessageKind::Status ? schemas::MessageKind::Status
                                             : schemas::MessageKind::Document;
        item.created_time = timestampVn(e.received_ms);
        item.updated_time = timestampVn(e.delivery.done_ms ? e.delivery.done_ms : e.received_ms);
        const bool processing = e.delivery.state == DeliveryState::Processing;
        item.status = processing ? "processing" : "initial";
        item.status_desc = processing ? "taken by the system, not yet settled"
                                      : "waiting to be taken";
        out.push_back(std::move(item));
        order.push_back(e.delivery.id);
      }
    }
  }
  // Oldest first across kinds and units.
  std::vector<std::size_t> idx(out.size());
  for (std::size_t i = 0; i < idx.size(); ++i) idx[i] = i;
  std::sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) { return order[a] < order[b]; });
  std::vector<adapters::AxisListItem> sorted;
  sorted.reserve(out.size());
  for (auto i : idx) sorted.push_back(std::move(out[i]));
  return sorted;
}

Result<Delivery> StoreAxisBackend::ownDelivery(std::string_view id,
                                               const adapters::AxisCaller& caller) {
  const auto none = [&] {
    return fail(ErrorCode::NotFound, "no document '" + std::string(id) + "' for system '" +
                                         caller.system_id + "'");
  };
  auto n = parseId(id);
  if (!n) return none();
  auto d = store_.delivery(*n);
  if (!d) return none();
  if (d->route != RouteKind::Local || d->state == DeliveryState::Pending || !serves(caller.units, d->recipient)) {
    return none();
  }
  return d;
}

Result<std::string> StoreAxisBackend::get(std::string_view id, const adapters::AxisCaller& caller) {
  auto d = ownDelivery(id, caller);
  if (!d) return std::unexpected(d.error());
  auto m = store_.message(d->message_id);
  if (!m) return std::unexpected(m.error());
  return m->bytes;
}

Result<void> StoreAxisBackend::updateStatus(std::string_view id, adapters::AxisReceipt receipt,
                                            std::string_view reason,
                                            const adapters::AxisCaller& caller) {
  auto d = ownDelivery(id, caller);
  if (!d) return std::unexpected(d.error());
  const std::string actor = "axis:" + caller.system_id;
  if (receipt == adapters::AxisReceipt::Processing) {
    if (d->state != DeliveryState::Delivered) return {};  // already taken or settled
    return store_.finishDelivery(d->id, DeliveryState::Processing, nowMs(),
                                 "processing at system " + caller.system_id, actor);
  }
  if (d->state != DeliveryState::Delivered && d->state != DeliveryState::Processing) return {};  // settled before
  const bool done = receipt == adapters::AxisReceipt::Done;
  return store_.finishDelivery(d->id, done ? DeliveryState::Acknowledged : DeliveryState::Refused, nowMs(),
                               done ? "by system " + caller.system_id
                                    : "refused by system " + caller.system_id +
                                          (reason.empty() ? "" : ": " + std::string(reason)),
                               actor);
}

Result<std::vector<adapters::AxisSentItem>> StoreAxisBackend::listSent(
    std::string_view id, const adapters::AxisCaller& caller) {
  const auto none = [&] {
    return fail(ErrorCode::NotFound, "no message '" + std::string(id) + "' sent by system '" +
                                         caller.system_id + "'");
  };
  auto n = parseId(id);
  if (!n) return none();
  auto m = store_.message(*n);
  if (!m || !serves(caller.units, m->sender)) return none();
  auto deliveries = store_.deliveriesOf(m->id);
  if (!deliveries) return std::unexpected(deliveries.error());
  std::string notation, title = m->subject;
  if (m->kind == MessageKind::Document) {
    if (auto p = schemas::Package::parse(m->bytes, nullptr)) notation = p->header.code.str();
  }
  std::vector<StatusRecord> statuses;
  if (m->kind == MessageKind::Document) {
    auto h = store_.statusHistory(m->sender, m->document_id);
    if (!h) return std::unexpected(h.error());
    statuses = std::move(*h);
  }
  std::vector<adapters::AxisSentItem> out;
  for (const auto& d : *deliveries) {
    adapters::AxisSentItem r;
    r.sender_doc_id = std::to_string(m->id);
    r.receiver_doc_id = d.route == RouteKind::Local ? std::to_string(d.id) : "";
    r.from_code = m->sender;
    r.to_code = d.recipient;
    r.title = title;
    r.notation = notation;
    r.kind = m->kind == MessageKind::Status ? schemas::MessageKind::Status
                                            : schemas::MessageKind::Document;
    r.sent_time = timestampVn(m->received_ms);
    r.received_time = d.done_ms ? timestampVn(d.done_ms) : "";
    r.send_status = std::string(deliveryStateName(d.state));
    r.send_status_desc = d.last_error;
    for (const auto& s : statuses) {
      if (routing_->sameUnit(s.reporter, d.recipient) || s.reporter == d.recipient) {
        r.receive_status = twoDigits(s.code);
        r.receive_status_desc = s.description;
      }
    }
    out.push_back(std::move(r));
  }
  return out;
}

Result<std::vector<adapters::AxisAgency>> StoreAxisBackend::agencies() {
  const auto directory = routing_->directory();
  const std::string today = todayVn();
  std::vector<adapters::AxisAgency> out;
  for (const auto& u : directory->units()) {
    if (u.closedOn(today) || (!u.valid_from.empty() && u.valid_from > today)) continue;
    adapters::AxisAgency a;
    a.id = u.code;
    a.pid = u.parent;
    a.code = u.code;
    a.code102 = u.legacy_code;
    a.old_code = u.legacy_code.empty() ? "" : u.code;
    a.name = u.name;
    a.level = u.level;
    for (const auto& [id, system] : systems_) {
      if (serves(system.units, u.code)) a.center_code = id;
    }
    out.push_back(std::move(a));
  }
  return out;
}

Result<std::map<std::string, adapters::AxisSystem>> loadAxisSystems(const NodeConfig& config) {
  std::map<std::string, adapters::AxisSystem> out;
  for (const auto& c : config.axis_clients) {
    std::ifstream in(c.secret_file, std::ios::binary);
    if (!in) {
      return fail(ErrorCode::Config, config.source + ": axis.clients: system '" + c.client_id +
                                         "': cannot read secret file '" + c.secret_file + "'");
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    std::string secret = ss.str();
    while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
    if (secret.size() < 16) {
      return fail(ErrorCode::Config, config.source + ": axis.clients: system '" + c.client_id +
                                         "': the secret in '" + c.secret_file +
                                         "' is shorter than 16 characters");
    }
    out[c.client_id] = adapters::AxisSystem{c.client_id, std::move(secret), c.units, c.sources};
  }
  return out;
}

std::vector<HttpRoute> axisRoutes(std::shared_ptr<const adapters::AxisEndpoint> endpoint,
                                  const std::string& prefix) {
  const auto handle = [endpoint](const HttpRequest& r) {
    adapters::AxisRequest a;
    a.method = r.method;
    a.path = r.path;
    a.headers = adapters::axis::Headers(r.headers.begin(), r.headers.end());
    a.body = r.body;
    a.peer = r.peer_address;
    a.secure = true;  // the node's front end is HTTPS only
    const adapters::AxisResponse out = endpoint->handle(a);
    HttpResponse h;
    h.status = out.status;
    h.content_type = out.content_type;
    h.body = out.body;
    for (const auto& [k, v] : out.headers) h.headers.emplace_back(k, v);
    return h;
  };
  const std::size_t max_body = endpoint->options().max_body;
  return {HttpRoute{"GET", prefix, true, {}, 0, handle},
          HttpRoute{"POST", prefix, true, {}, max_body, handle}};
}

}  // namespace lienthong::gateway
