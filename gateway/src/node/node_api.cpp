// The node's HTTP API: documents and statuses in, the mailbox, a document's view, /healthz and
// the route table.
#include "node_impl.h"

namespace lienthong::gateway {

using namespace node_parts;
namespace fs = std::filesystem;

HttpResponse Node::Impl::postMessage(const HttpRequest& r, MessageKind kind) {
  // A peer that hands something over is up: what waits for it is retried now.
  if (r.credential.role == Role::Node && dispatcher) dispatcher->peerSeen(r.credential.subject);
  auto out = intake->submit(r.body, r.credential, r.header("x-lienthong-hops"), kind);
  if (!out) {
    log("refused", "", out.error().error.describe());
    return refusalResponse(out.error());
  }
  Poco::JSON::Object o;
  o.set("id", out->id);
  o.set("kind", std::string(kindName(out->kind)));
  o.set("document_id", out->document_id);
  o.set("sender", out->sender);
  o.set("result", out->duplicate ? "duplicate" : "accepted");
  o.set("deliveries", out->deliveries);
  o.set("paper", out->paper);
  o.set("node", config.name);
  o.set("warnings", storedWarnings(warningsJson(out->warnings)));  // as stored
  if (!out->duplicate) log("accepted", out->document_id, "id " + std::to_string(out->id));
  return HttpResponse::json(out->duplicate ? 200 : 202, stringify(o));
}

// The OrganId an office may read the mailbox of.
Result<std::string> Node::Impl::mailboxOwner(const HttpRequest& r) {
  std::string organ = r.query.contains("organ") ? r.query.at("organ") : std::string();
  if (r.credential.role == Role::Office) {
    if (organ.empty()) organ = r.credential.subject;
    if (!routing->mayRead(r.credential.subject, organ)) {
      return fail(ErrorCode::Forbidden, r.credential.subject + " may not read the mailbox of " + organ);
    }
  }
  if (organ.empty()) return fail(ErrorCode::InvalidArgument, "say whose mailbox: ?organ=OrganId");
  return organ;
}

HttpResponse Node::Impl::listMailbox(const HttpRequest& r) {
  auto organ = mailboxOwner(r);
  if (!organ) return HttpResponse::error(organ.error());
  std::vector<DeliveryState> states;
  if (r.query.contains("state")) {
    auto state = parseDeliveryState(r.query.at("state"));
    if (!state) return HttpResponse::error(state.error());
    states.push_back(*state);
  }
  Poco::JSON::Array arr;
  // Stored under the code the sender wrote: ask under both forms of the unit's code.
  std::vector<std::string> codes{*organ};
  if (auto u = directory->current()->find(*organ)) {
    for (const auto& c : {u->code, u->legacy_code}) {
      if (!c.empty() && c != *organ) codes.push_back(c);
    }
  }
  for (const auto& code : codes) {
    auto entries = store->mailbox(code, states);
    if (!entries) return HttpResponse::error(entries.error());
    for (const auto& e : *entries) {
      Poco::JSON::Object o;
      o.set("id", e.delivery.id);
      o.set("document_id", e.document_id);
      o.set("sender", e.sender);
      o.set("recipient", e.delivery.recipient);
      o.set("subject", e.subject);
      o.set("state", std::string(deliveryStateName(e.delivery.state)));
      o.set("received_at", timestampVn(e.received_ms));
      arr.add(o);
    }
  }
  return HttpResponse::json(200, stringify(arr));
}

Result<Delivery> Node::Impl::ownedDelivery(const HttpRequest& r, const std::string& id_text) {
  auto id = parseId(id_text);
  if (!id) return fail(ErrorCode::InvalidArgument, "'" + id_text + "' is not a mailbox entry id");
  auto d = store->delivery(*id);
  if (!d) return std::unexpected(d.error());
  if (d->route != RouteKind::Local || d->state == DeliveryState::Pending) {
    return fail(ErrorCode::NotFound, "no mailbox entry " + id_text);
  }
  if (r.credential.role == Role::Office && !routing->mayRead(r.credential.subject, d->recipient)) {
    return fail(ErrorCode::Forbidden, "mailbox entry " + id_text + " is not for " + r.credential.subject);
  }
  return d;
}

HttpResponse Node::Impl::mailboxItem(const HttpRequest& r) {
  const std::string rest = r.path_rest;
  if (r.method == "POST") {
    if (!rest.ends_with("/ack")) return HttpResponse::error(httpError(ErrorCode::NotFound, "no route " + r.path));
    auto d = ownedDelivery(r, rest.substr(0, rest.size() - 4));
    if (!d) return HttpResponse::error(d.error());
    if (d->state == DeliveryState::Delivered) {
      if (auto s = store->finishDelivery(d->id, DeliveryState::Acknowledged, nowMs(), "by " + r.credential.subject,
                                       std::string(roleName(r.credential.role)) + ":" +
                                           r.credential.subject);
          !s) {
        return HttpResponse::error(s.error());
      }
    }
    Poco::JSON::Object o;
    o.set("id", d->id);
    o.set("state", std::string(deliveryStateName(d->state == DeliveryState::Delivered ? DeliveryState::Acknowledged
                                                                                      : d->state)));
    return HttpResponse::json(200, stringify(o));
  }
  auto d = ownedDelivery(r, rest);
  if (!d) return HttpResponse::error(d.error());
  auto m = store->message(d->message_id);
  if (!m) return HttpResponse::error(m.error());
  HttpResponse out;
  out.content_type = "application/xml";
  out.body = m->bytes;
  out.headers.push_back({"X-Lienthong-Document-Id", m->document_id});
  out.headers.push_back({"X-Lienthong-Hops", m->hops});
  return out;
}

HttpResponse Node::Impl::documentView(const HttpRequest& r) {
  const std::string id = r.path_rest;
  std::vector<StoredMessage> docs;
  if (r.query.contains("sender")) {
    auto d = store->findDocument(r.query.at("sender"), id);
    if (!d) return HttpResponse::error(d.error());
    if (*d) docs.push_back(**d);
  } else {
    auto d = store->findDocuments(id);
    if (!d) return HttpResponse::error(d.error());
    docs = std::move(*d);
  }
  if (docs.empty()) return HttpResponse::error(httpError(ErrorCode::NotFound, "no document '" + id + "' on this node"));
  const StoredMessage& doc = docs.front();
  if (r.credential.role == Role::Office && !routing->sameUnit(doc.sender, r.credential.subject)) {
    return HttpResponse::error(httpError(ErrorCode::Forbidden, "only the sender's office sees the document's state"));
  }
  auto deliveries = store->deliveriesOf(doc.id);
  if (!deliveries) return HttpResponse::error(deliveries.error());
  auto history = store->statusHistory(doc.sender, doc.document_id);
  if (!history) return HttpResponse::error(history.error());
  Poco::JSON::Object o;
  o.set("id", doc.id);
  o.set("document_id", doc.document_id);
  o.set("sender", doc.sender);
  o.set("subject", doc.subject);
  o.set("received_at", timestampVn(doc.received_ms));
  o.set("hops", doc.hops);
  o.set("node", config.name);
  if (doc.business_type != 0) {
    o.set("business", std::string(schemas::businessLabel(
                          static_cast<schemas::BusinessDocType>(doc.business_type))));
    Poco::JSON::Array targets;
    std::istringstream lines(doc.target_document);
    for (std::string t; std::getline(lines, t);) targets.add(t);
    o.set("acts_on", targets);
  }
  o.set("warnings", storedWarnings(doc.warnings));
  Poco::JSON::Array recipients;
  for (const auto& d : *deliveries) {
    Poco::JSON::Object x;
    x.set("organ_id", d.recipient);
    // The sender sees that its document went to the successor of the code it named.
    if (!d.addressed_to.empty()) x.set("addressed_to", d.addressed_to);
    x.set("route", std::string(routeName(d.route)));
    if (!d.next_node.empty()) x.set("next_node", d.next_node);
    x.set("delivery", std::string(deliveryStateName(d.state)));
    x.set("attempts", d.attempts);
    if (!d.last_error.empty()) x.set("last_error", d.last_error);
    int last = 0;
    std::string label(d.route == RouteKind::Paper ? "paper" : deliveryStateName(d.state));
    for (const auto& s : *history) {
      if (routing->sameUnit(s.reporter, d.recipient)) {
        last = s.code;
        label = std::string(schemas::statusLabel(static_cast<StatusCode>(s.code)));
      }
    }
    x.set("status", last == 0 ? std::string() : schemas::statusCodeText(static_cast<StatusCode>(last)));
    x.set("state", label);
    recipients.add(x);
  }
  o.set("recipients", recipients);
  Poco::JSON::Array hist;
  for (const auto& s : *history) {
    Poco::JSON::Object x;
    x.set("reporter", s.reporter);
    x.set("code", schemas::statusCodeText(static_cast<StatusCode>(s.code)));
    x.set("label", std::string(schemas::statusLabel(static_cast<StatusCode>(s.code))));
    x.set("description", s.description);
    x.set("timestamp", s.timestamp);
    x.set("recorded_at", timestampVn(s.recorded_ms));
    hist.add(x);
  }
  o.set("statuses", hist);
  return HttpResponse::json(200, stringify(o));
}

// Whether the store takes writes, probed at most every 2 s.
Result<void> Node::Impl::storageWritable() {
  std::lock_guard lock(probe_mu);
  const auto now = nowMs();
  if (now - probe_ms >= 2000 || !probe_result) {
    probe_result = store->probeWrite();
    probe_ms = now;
  }
  return probe_result;
}

HttpResponse Node::Impl::health() {
  auto c = store->counts();
  if (!c) return HttpResponse::error(c.error());
  if (auto w = storageWritable(); !w) {
    return HttpResponse::error(httpError(
        ErrorCode::Storage, "storage not usable: " + w.error().message +
                                " (documents are refused until it is: free disk space, fix the "
                                "data folder " + config.data_dir + " or restore the store)"));
  }
  Poco::JSON::Object o;
  o.set("status", "ok");
  o.set("node", config.name);
  o.set("time_ms", nowMs());  // the node's clock, for peers' and doctor's skew checks
  o.set("directory", directory->current()->version());
  o.set("messages", c->messages);
  o.set("pending", c->pending);
  o.set("delivered", c->delivered);
  o.set("paper", c->paper);
  o.set("failed", c->failed);
  return HttpResponse::json(200, stringify(o));
}

std::shared_ptr<HttpRoutes> Node::Impl::makeRoutes() {
  auto routes = std::make_shared<HttpRoutes>();
  const std::vector<Role> senders{Role::Office, Role::Node};
  // Auditors read counts (reports, dashboard, /metrics), not the offices' mailboxes or the
  // state of single documents: they are not readers.
  const std::vector<Role> readers{Role::Office, Role::Admin};
  routes->add({"POST", "/api/v1/documents", false, senders, 0,
               [this](const HttpRequest& r) { return postMessage(r, MessageKind::Document); }});
  routes->add({"POST", "/api/v1/statuses", false, senders, 0,
               [this](const HttpRequest& r) { return postMessage(r, MessageKind::Status); }});
  routes->add({"GET", "/api/v1/mailbox", false, readers, 0,
               [this](const HttpRequest& r) { return listMailbox(r); }});
  routes->add({"GET", "/api/v1/mailbox/", true, {Role::Office, Role::Admin}, 0,
               [this](const HttpRequest& r) { return mailboxItem(r); }});
  routes->add({"POST", "/api/v1/mailbox/", true, {Role::Office, Role::Admin}, 1024,
               [this](const HttpRequest& r) { return mailboxItem(r); }});
  routes->add({"GET", "/api/v1/documents/", true, readers, 0,
               [this](const HttpRequest& r) { return documentView(r); }});
  routes->add({"POST", "/api/v1/directory/reload", false, {Role::Admin}, 1024,
               [this](const HttpRequest& r) { return reloadRoute(r); }});
  routes->add({"GET", "/api/v1/handover/", true, {Role::Admin}, 0,
               [this](const HttpRequest& r) { return handoverView(r); }});
  routes->add({"POST", "/api/v1/handover", false, {Role::Admin}, kMaxHandoverBytes,
               [this](const HttpRequest& r) { return handoverPost(r); }});
  routes->add({"GET", "/healthz", false, {}, 0, [this](const HttpRequest&) { return health(); }});
  routes->add({"GET", "/metrics", false, {}, 0, [this](const HttpRequest&) {
                 HttpResponse out;
                 out.content_type = "text/plain; version=0.0.4";
                 out.body = metrics.render([this]() -> std::int64_t {
                   auto c = store->counts();
                   return c ? c->pending : -1;
                 });
                 auto backlog = store->backlog();
                 out.body += renderBacklog(backlog ? *backlog : std::vector<Backlog>{},
                                           dispatcher ? dispatcher->health() : std::vector<HopHealth>{},
                                           nowMs());
                 NodeGauges g;
                 g.now = nowMs() / 1000;
                 if (auto c = store->counts()) {
                   g.pending = c->pending;
                   g.delivered = c->delivered;
                   g.paper = c->paper;
                   g.failed = c->failed;
                   g.retrying = c->retrying;
                   g.audit_records = c->audit;
                 }
                 if (backlog) {
                   for (const auto& b : *backlog) {
                     if (b.pending > 0 && b.oldest_created_ms > 0) {
                       g.oldest_pending_seconds =
                           std::max(g.oldest_pending_seconds, static_cast<double>(nowMs() - b.oldest_created_ms) / 1000.0);
                     }
                   }
                 }
                 if (auto cps = store->checkpoints(); cps && !cps->empty()) {
                   g.checkpoint_age_seconds = static_cast<double>(nowMs() - cps->back().at_ms) / 1000.0;
                 }
                 g.directory_version = directory->current()->version();
                 g.certificates = certificates;
                 out.body += renderNodeGauges(g);
                 if (options.extra_metrics) out.body += options.extra_metrics();
                 return out;
               }});
  if (axis) {
    for (auto& r : axisRoutes(axis, "/axis/")) routes->add(std::move(r));
  }
  for (auto& extra : options.extra_routes) routes->add(std::move(extra));
  return routes;
}

}  // namespace lienthong::gateway
