#include "axis_backend.h"

#include <charconv>
#include <fstream>
#include <sstream>

#include "lienthong/gateway/config.h"

namespace lienthong::gateway {

namespace {

constexpr std::string_view kRefused = "refused";  // an axis client's "fail" receipt

std::optional<std::int64_t> parseId(std::string_view s) {
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace

StoreAxisBackend::StoreAxisBackend(std::map<std::string, AxisClientEntry> clients, Store& store,
                                   Intake& intake, std::shared_ptr<const RoutingTable> routing)
    : clients_(std::move(clients)),
      store_(store),
      intake_(intake),
      routing_(std::move(routing)) {}

Result<adapters::AxisCredential> StoreAxisBackend::credential(std::string_view client_id) {
  auto it = clients_.find(std::string(client_id));
  if (it == clients_.end()) {
    return fail(ErrorCode::Unauthorized, "axis client '" + std::string(client_id) + "' is not known");
  }
  adapters::AxisCredential c;
  c.secret = it->second.secret;
  c.units = {it->second.organ_id};
  const auto directory = routing_->directory();
  if (const auto* u = directory->find(it->second.organ_id)) {
    for (const auto& code : {u->code, u->legacy_code}) {
      if (!code.empty() && code != it->second.organ_id) c.units.push_back(code);
    }
  }
  return c;
}

Result<std::string> StoreAxisBackend::send(std::string_view bytes,
                                           const adapters::AxisCaller& caller) {
  auto r = intake_.submit(bytes, Credential{Role::Office, caller.organ_id, "axis:" + caller.client_id},
                          "");
  if (!r) return std::unexpected(r.error().error);
  return std::to_string(r->id);
}

Result<std::vector<adapters::AxisListItem>> StoreAxisBackend::listReceived(
    const adapters::AxisCaller& caller) {
  std::vector<std::string> codes{caller.organ_id};
  const auto directory = routing_->directory();
  if (const auto* u = directory->find(caller.organ_id)) {
    for (const auto& c : {u->code, u->legacy_code}) {
      if (!c.empty() && c != caller.organ_id) codes.push_back(c);
    }
  }
  std::vector<adapters::AxisListItem> out;
  for (const auto& code : codes) {
    auto entries = store_.mailbox(code, {std::string(kDelivered)});
    if (!entries) return std::unexpected(entries.error());
    for (const auto& e : *entries) {
      auto m = store_.message(e.delivery.message_id);
      if (!m) return std::unexpected(m.error());
      adapters::AxisListItem item;
      item.id = std::to_string(e.delivery.id);
      item.from = e.sender;
      item.to = e.delivery.recipient;
      item.kind = m->kind == MessageKind::Status ? schemas::MessageKind::Status
                                                 : schemas::MessageKind::Document;
      item.created_time = timestampVn(e.received_ms);
      item.content_hash = sha256Hex(m->bytes);
      out.push_back(std::move(item));
    }
  }
  return out;
}

Result<Delivery> StoreAxisBackend::ownDelivery(std::string_view id,
                                               const adapters::AxisCaller& caller) {
  auto n = parseId(id);
  if (!n) return fail(ErrorCode::NotFound, "no document '" + std::string(id) + "'");
  auto d = store_.delivery(*n);
  if (!d) return fail(ErrorCode::NotFound, "no document '" + std::string(id) + "'");
  if (d->route != RouteKind::Local || d->state == kPending ||
      !routing_->sameUnit(d->recipient, caller.organ_id)) {
    return fail(ErrorCode::NotFound, "no document '" + std::string(id) + "' for " + caller.organ_id);
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
  if (d->state != kDelivered) return {};  // settled before: a repeat is harmless
  const bool done = receipt == adapters::AxisReceipt::Done;
  return store_.finishDelivery(d->id, done ? kAcknowledged : kRefused, nowMs(),
                               done ? "by axis client " + caller.client_id
                                    : "refused by axis client " + caller.client_id + ": " +
                                          std::string(reason),
                               "axis:" + caller.client_id);
}

Result<std::map<std::string, AxisClientEntry>> loadAxisClients(const NodeConfig& config) {
  std::map<std::string, AxisClientEntry> out;
  for (const auto& c : config.axis_clients) {
    std::ifstream in(c.secret_file, std::ios::binary);
    if (!in) {
      return fail(ErrorCode::Config, config.source + ": axis.clients: client '" + c.client_id +
                                         "': cannot read secret file '" + c.secret_file + "'");
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    std::string secret = ss.str();
    while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
    if (secret.size() < 16) {
      return fail(ErrorCode::Config, config.source + ": axis.clients: client '" + c.client_id +
                                         "': the secret in '" + c.secret_file +
                                         "' is shorter than 16 characters");
    }
    out[c.client_id] = AxisClientEntry{c.organ_id, std::move(secret)};
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
