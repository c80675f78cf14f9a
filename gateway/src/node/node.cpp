#include "lienthong/gateway/node/node.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/ServerSocket.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <condition_variable>
#include <filesystem>
#include <optional>
#include <sstream>
#include <thread>

#include "adapter_hub.h"
#include "axis_backend.h"
#include "lienthong/adapters/axis_http_handler.h"
#include "lienthong/gateway/store/audit_log.h"
#include "lienthong/gateway/node/dispatcher.h"
#include "lienthong/gateway/http/http_error.h"
#include "lienthong/gateway/http/https_client.h"
#include "lienthong/gateway/node/routing.h"
#include "lienthong/gateway/node/signature.h"
#include "lienthong/schemas/edxml.h"
#include "lienthong/schemas/schema_set.h"

namespace lienthong::gateway {

namespace fs = std::filesystem;
using schemas::StatusCode;
using schemas::StatusMessage;

namespace {

std::string stringify(const Poco::JSON::Object& o) {
  std::ostringstream out;
  o.stringify(out);
  return out.str();
}

std::string stringify(const Poco::JSON::Array& a) {
  std::ostringstream out;
  a.stringify(out);
  return out.str();
}

// The warnings stored beside a message (a JSON array written by intake), or none.
Poco::JSON::Array::Ptr storedWarnings(const std::string& json) {
  if (json.empty()) return new Poco::JSON::Array;
  try {
    Poco::JSON::Parser p;
    return p.parse(json).extract<Poco::JSON::Array::Ptr>();
  } catch (const Poco::Exception&) {
    return new Poco::JSON::Array;
  }
}

std::optional<std::int64_t> parseId(const std::string& s) {
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

HttpResponse refusalResponse(const IntakeRefusal& r) {
  return HttpResponse::error(r.error, r.report_json);
}

}  // namespace

struct Node::Impl {
  NodeConfig config;
  NodeOptions options;
  std::shared_ptr<const schemas::SchemaSet> schemas;
  std::shared_ptr<schemas::LiveDirectory> directory;  // replaced by reload(); read through current()
  std::shared_ptr<const RoutingTable> routing;
  std::mutex reload_mu;  // one reload at a time
  std::unique_ptr<Store> store;
  Metrics metrics;
  std::shared_ptr<const EnvelopeChecker> checker;
  std::shared_ptr<const MessageSigner> signer;
  std::unique_ptr<Intake> intake;
  std::unique_ptr<PeerPool> peers;
  std::unique_ptr<Dispatcher> dispatcher;
  std::unique_ptr<AdapterHub> adapters;  // webhook, folder and axis units homed here
  std::unique_ptr<StoreAxisBackend> axis_backend;  // /axis/ when axis.clients is set
  std::shared_ptr<const adapters::AxisEndpoint> axis;
  std::unique_ptr<Poco::Net::HTTPServer> axis_http;  // axis.http_listen, loopback plain HTTP
  std::unique_ptr<AuditCheckpointer> checkpointer;
  std::unique_ptr<HttpServer> server;
  std::mutex log_mu;  // guards writes to options.log
  std::thread housekeeper;  // runs options.after_stored
  std::mutex house_mu;      // guards house_dirty and house_stop
  std::condition_variable house_cv;
  bool house_dirty = false;
  bool house_stop = false;
  std::thread scanner;  // checks every stored message's bytes once after start
  std::atomic<bool> scan_stop{false};
  std::mutex probe_mu;  // guards probe_ms and probe_result
  std::int64_t probe_ms = 0;
  Result<void> probe_result;

  void stored() {
    if (dispatcher) dispatcher->wake();
    if (!options.after_stored) return;
    {
      std::lock_guard lock(house_mu);
      house_dirty = true;
    }
    house_cv.notify_one();
  }

  void housekeeping() {
    const auto every = std::chrono::milliseconds(std::max(options.housekeeping_ms, 10));
    std::unique_lock lock(house_mu);
    while (!house_stop) {
      house_cv.wait_for(lock, every, [this] { return house_dirty || house_stop; });
      if (house_stop) break;
      house_dirty = false;
      lock.unlock();
      if (auto r = options.after_stored(); !r) log("housekeeping failed", "", r.error().describe());
      lock.lock();
    }
  }

  void stopHousekeeping() {
    if (!housekeeper.joinable()) return;
    {
      std::lock_guard lock(house_mu);
      house_stop = true;
    }
    house_cv.notify_one();
    housekeeper.join();
  }

  // Damage the quick check at start cannot see (bytes inside a message): every stored message is
  // checked against its content_hash once, in the background, so /healthz and the audit log say
  // it without waiting for someone to ask for that message.
  void scanStore() {
    std::int64_t after = 0;
    while (!scan_stop) {
      auto last = store->verifyMessages(after, 200);
      if (!last || *last == after) break;
      after = *last;
    }
    if (auto w = store->probeWrite(); !w && w.error().message.find("is damaged") != std::string::npos) {
      log("store damage", "", w.error().message);
    }
  }

  void log(const std::string& event, const std::string& document_id, const std::string& detail) {
    if (options.log == nullptr) return;
    Poco::JSON::Object o;
    o.set("ts", timestampVn(nowMs()));
    o.set("node", config.name);
    o.set("event", event);
    o.set("document_id", document_id);
    o.set("detail", detail);
    std::lock_guard lock(log_mu);
    *options.log << stringify(o) << "\n" << std::flush;
  }

  // Issues a status as this node and submits it to its own intake, which routes it back.
  Result<void> issueStatus(const std::string& reporter, const std::string& doc_sender,
                           const std::string& doc_id, StatusCode code,
                           const std::string& description, std::int64_t at_ms) {
    StatusMessage s;
    s.from.organ_id = reporter;
    if (auto u = directory->current()->find(reporter)) s.from.organ_name = u->name;
    s.response_for.organ_id = doc_sender;
    s.response_for.document_id = doc_id;
    s.staff_info.department = "Lienthong node " + config.name;
    s.staff_info.staff = "system";
    s.status = code;
    s.description = description;
    s.timestamp = timestampVn(at_ms);
    auto bytes = signer->sign(s);
    if (!bytes) return std::unexpected(bytes.error());
    auto r = intake->submit(*bytes, Credential{Role::System, config.name, "internal"}, "",
                            MessageKind::Status);
    if (!r) {
      // A repeat of a status already issued (a redelivery after a crash) is not an error.
      if (r.error().error.code == ErrorCode::Conflict) return {};
      return std::unexpected(r.error().error);
    }
    log("status issued", doc_id, schemas::statusCodeText(code) + " from " + reporter);
    return {};
  }

  // A unit with an adapter gets the original bytes through it; then, as for a mailbox, the
  // sender hears 01 for a document, and a status is recorded.
  HandOver deliverLocal(const Delivery& d, const StoredMessage& m) {
    auto adapter = adapters ? adapters->find(d.recipient) : nullptr;
    if (!adapter) return deliverMailbox(d, m);
    const adapters::Delivery out{d.id, d.recipient, m.sender, m.document_id,
                                 m.kind == MessageKind::Status ? schemas::MessageKind::Status
                                                               : schemas::MessageKind::Document,
                                 m.bytes};
    const auto r = adapter->deliver(out);
    const std::string how(adapter->kind());
    switch (r.kind) {
      case adapters::DeliveryResult::Kind::RetryLater:
        return {HandOver::Kind::Retry, how + ": " + r.error.describe()};
      case adapters::DeliveryResult::Kind::Permanent:
        return {HandOver::Kind::Permanent, how + ": " + r.error.describe()};
      case adapters::DeliveryResult::Kind::Delivered:
        break;
    }
    if (m.kind == MessageKind::Document) {
      if (auto s = issueStatus(d.recipient, m.sender, m.document_id, StatusCode::Arrived,
                               "Văn bản đã được chuyển tới hệ thống quản lý văn bản của đơn vị nhận",
                               d.created_ms);
          !s) {
        return {HandOver::Kind::Retry, "status 01: " + s.error().message};
      }
      log("delivered to " + how, m.document_id, d.recipient);
      return {};
    }
    auto st = StatusMessage::parse(m.bytes, nullptr);
    if (!st) return {HandOver::Kind::Permanent, st.error().message};
    StatusRecord rec{st->response_for.organ_id, st->response_for.document_id, st->from.organ_id,
                     static_cast<int>(st->status), st->description, st->timestamp, 0};
    if (auto s = store->recordStatus(rec, d.id, nowMs()); !s) {
      return {HandOver::Kind::Retry, s.error().message};
    }
    log("status delivered to " + how, rec.document_id,
        schemas::statusCodeText(st->status) + " from " + rec.reporter);
    return {};
  }

  HandOver deliverMailbox(const Delivery& d, const StoredMessage& m) {
    if (m.kind == MessageKind::Document) {
      if (m.business_type != 0 && !m.target_document.empty()) {
        const char* state = m.business_type == 1 ? "revoked" : m.business_type == 2 ? "updated" : "replaced";
        // One target a line; a replacement acts at the recipients its ReplacementInfo names.
        std::optional<schemas::Package> pkg;
        if (m.business_type == 3) {
          if (auto p = schemas::Package::parse(m.bytes, nullptr)) pkg = std::move(*p);
        }
        std::istringstream targets(m.target_document);
        for (std::string target; std::getline(targets, target);) {
          const auto at = pkg ? pkg->replacedAt(target) : std::vector<std::string>{};
          const bool here = at.empty() || std::any_of(at.begin(), at.end(), [&](const std::string& o) {
                              return routing->sameUnit(o, d.recipient);
                            });
          if (!here) continue;
          if (auto r = store->setMailboxState(m.sender, target, d.recipient, state); !r) {
            return {HandOver::Kind::Retry, "marking " + target + " " + std::string(state) + ": " +
                                               r.error().message};
          }
        }
      }
      if (auto r = issueStatus(d.recipient, m.sender, m.document_id, StatusCode::Arrived,
                               "Văn bản đã đến hộp thư của đơn vị nhận", d.created_ms);
          !r) {
        return {HandOver::Kind::Retry, "status 01: " + r.error().message};
      }
      log("delivered to mailbox", m.document_id, d.recipient);
      return {};
    }
    auto st = StatusMessage::parse(m.bytes, nullptr);
    if (!st) return {HandOver::Kind::Permanent, st.error().message};
    StatusRecord rec{st->response_for.organ_id, st->response_for.document_id, st->from.organ_id,
                     static_cast<int>(st->status), st->description, st->timestamp, 0};
    if (st->status == StatusCode::RecallRequested) {
      // The recipient's home answers a recall: agreed while the document waits unacknowledged
      // in the mailbox (it is withdrawn), refused once the office has taken it.
      auto entries = store->mailbox(d.recipient, {});
      if (!entries) return {HandOver::Kind::Retry, entries.error().message};
      bool waiting = false, taken = false;
      for (const auto& e : *entries) {
        if (e.sender != rec.document_sender || e.document_id != rec.document_id) continue;
        if (e.delivery.state == kDelivered) waiting = true;
        if (e.delivery.state == kAcknowledged || e.delivery.state == kAxisProcessing) taken = true;
      }
      const bool agree = waiting || !taken;
      if (agree) {
        if (auto r = store->setMailboxState(rec.document_sender, rec.document_id, d.recipient, "recalled");
            !r) {
          return {HandOver::Kind::Retry, "withdrawing the recalled document: " + r.error().message};
        }
      }
      if (auto r = issueStatus(d.recipient, rec.document_sender, rec.document_id,
                               agree ? StatusCode::RecallAgreed : StatusCode::RecallRefused,
                               agree ? "Đồng ý thu hồi văn bản" : "Văn bản đã được tiếp nhận, không thu hồi tự động",
                               d.created_ms);
          !r) {
        return {HandOver::Kind::Retry, r.error().message};
      }
    }
    if (auto r = store->recordStatus(rec, d.id, nowMs()); !r) {
      return {HandOver::Kind::Retry, r.error().message};
    }
    log("status recorded", rec.document_id,
        schemas::statusCodeText(st->status) + " from " + rec.reporter);
    return {};
  }

  void deliveryFailed(const Delivery& d, const StoredMessage& m, const std::string& reason) {
    log("delivery failed", m.document_id, d.recipient + ": " + reason);
    if (m.kind != MessageKind::Document) return;
    if (auto r = issueStatus(d.recipient, m.sender, m.document_id, StatusCode::Rejected,
                             "Không chuyển được văn bản tới " + d.recipient + " (node " + config.name +
                                 "): " + reason.substr(0, 400) + " / Could not deliver to " + d.recipient,
                             nowMs());
        !r) {
      // The delivery is failed in the store either way; the sender's office learns it from
      // `lienthong documents` or the status history when the notice itself cannot be stored.
      log("failure notice not sent / không gửi được thông báo lỗi", m.document_id,
          m.sender + ": " + r.error().message);
    }
  }

  // The adapter poller runs once a unit homed here has an adapter (at start or after a reload).
  void startAdapterPoller() {
    if (adapters->size() == 0 || config.adapter_poll_ms <= 0) return;
    adapters->start(
        [this](const std::string& bytes, const Credential& who, MessageKind kind) {
          return intake->submit(bytes, who, "", kind);
        },
        [this](const std::string& event, const std::string& doc, const std::string& detail) {
          log(event, doc, detail);
        },
        config.adapter_poll_ms);
  }

  Result<DirectoryReload> reload(std::shared_ptr<const schemas::Directory> next, const std::string& by) {
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

  Result<DirectoryReload> reloadFile(const std::string& by) {
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

  HttpResponse reloadRoute(const HttpRequest& r) {
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

  // --- HTTP handlers ---

  HttpResponse postMessage(const HttpRequest& r, MessageKind kind) {
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
  Result<std::string> mailboxOwner(const HttpRequest& r) {
    std::string organ = r.query.contains("organ") ? r.query.at("organ") : std::string();
    if (r.credential.role == Role::Office) {
      if (organ.empty()) organ = r.credential.subject;
      if (!routing->sameUnit(organ, r.credential.subject)) {
        return fail(ErrorCode::Forbidden, r.credential.subject + " may not read the mailbox of " + organ);
      }
    }
    if (organ.empty()) return fail(ErrorCode::InvalidArgument, "say whose mailbox: ?organ=OrganId");
    return organ;
  }

  HttpResponse listMailbox(const HttpRequest& r) {
    auto organ = mailboxOwner(r);
    if (!organ) return HttpResponse::error(organ.error());
    std::vector<std::string> states;
    if (r.query.contains("state")) states.push_back(r.query.at("state"));
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
        o.set("state", e.delivery.state);
        o.set("received_at", timestampVn(e.received_ms));
        arr.add(o);
      }
    }
    return HttpResponse::json(200, stringify(arr));
  }

  Result<Delivery> ownedDelivery(const HttpRequest& r, const std::string& id_text) {
    auto id = parseId(id_text);
    if (!id) return fail(ErrorCode::InvalidArgument, "'" + id_text + "' is not a mailbox entry id");
    auto d = store->delivery(*id);
    if (!d) return std::unexpected(d.error());
    if (d->route != RouteKind::Local || d->state == kPending) {
      return fail(ErrorCode::NotFound, "no mailbox entry " + id_text);
    }
    if (r.credential.role == Role::Office && !routing->sameUnit(d->recipient, r.credential.subject)) {
      return fail(ErrorCode::Forbidden, "mailbox entry " + id_text + " is not for " + r.credential.subject);
    }
    return d;
  }

  HttpResponse mailboxItem(const HttpRequest& r) {
    const std::string rest = r.path_rest;
    if (r.method == "POST") {
      if (!rest.ends_with("/ack")) return HttpResponse::error(httpError(ErrorCode::NotFound, "no route " + r.path));
      auto d = ownedDelivery(r, rest.substr(0, rest.size() - 4));
      if (!d) return HttpResponse::error(d.error());
      if (d->state == kDelivered) {
        if (auto s = store->finishDelivery(d->id, kAcknowledged, nowMs(), "by " + r.credential.subject,
                                         std::string(roleName(r.credential.role)) + ":" +
                                             r.credential.subject);
            !s) {
          return HttpResponse::error(s.error());
        }
      }
      Poco::JSON::Object o;
      o.set("id", d->id);
      o.set("state", d->state == kDelivered ? std::string(kAcknowledged) : d->state);
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

  HttpResponse documentView(const HttpRequest& r) {
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
      x.set("route", std::string(routeName(d.route)));
      if (!d.next_node.empty()) x.set("next_node", d.next_node);
      x.set("delivery", d.state);
      x.set("attempts", d.attempts);
      if (!d.last_error.empty()) x.set("last_error", d.last_error);
      int last = 0;
      std::string label = d.route == RouteKind::Paper ? "paper" : d.state;
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
  Result<void> storageWritable() {
    std::lock_guard lock(probe_mu);
    const auto now = nowMs();
    if (now - probe_ms >= 2000 || !probe_result) {
      probe_result = store->probeWrite();
      probe_ms = now;
    }
    return probe_result;
  }

  HttpResponse health() {
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
    o.set("directory", directory->current()->version());
    o.set("messages", c->messages);
    o.set("pending", c->pending);
    o.set("delivered", c->delivered);
    o.set("paper", c->paper);
    o.set("failed", c->failed);
    return HttpResponse::json(200, stringify(o));
  }

  std::shared_ptr<HttpRoutes> makeRoutes() {
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
                   return out;
                 }});
    if (axis) {
      for (auto& r : axisRoutes(axis, "/axis/")) routes->add(std::move(r));
    }
    for (auto& extra : options.extra_routes) routes->add(std::move(extra));
    return routes;
  }
};

Node::Node(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Node::~Node() { stop(); }

void Node::stop() {
  if (!impl_) return;
  if (impl_->server) impl_->server->stop();
  if (impl_->axis_http) {
    impl_->axis_http->stopAll(true);
    impl_->axis_http.reset();
  }
  if (impl_->adapters) impl_->adapters->stop();
  if (impl_->dispatcher) impl_->dispatcher->stop();
  impl_->scan_stop = true;
  if (impl_->scanner.joinable()) impl_->scanner.join();
  impl_->stopHousekeeping();
  if (impl_->checkpointer) {
    impl_->checkpointer->stop();
    (void)impl_->checkpointer->checkpointNow();  // the head at shutdown is pinned too
  }
}

Result<std::optional<AuditCheckpoint>> Node::checkpointAudit() {
  if (!impl_->checkpointer) return fail(ErrorCode::Config, "this node has no key to sign checkpoints with");
  return impl_->checkpointer->checkpointNow();
}

int Node::port() const { return impl_->server->port(); }
int Node::axisHttpPort() const {
  return impl_->axis_http ? impl_->axis_http->port() : 0;
}
std::string Node::url() const {
  return "https://" + impl_->config.http.host + ":" + std::to_string(port());
}
const std::string& Node::name() const { return impl_->config.name; }
Store& Node::store() { return *impl_->store; }
Metrics& Node::metrics() { return impl_->metrics; }

Result<DirectoryReload> Node::reloadDirectory(std::shared_ptr<const schemas::Directory> next) {
  if (!next) return fail(ErrorCode::InvalidArgument, "no directory given");
  return impl_->reload(std::move(next), "operator");
}

Result<DirectoryReload> Node::reloadDirectory() { return impl_->reloadFile("operator"); }

std::expected<IntakeOutcome, IntakeRefusal> Node::submitInternal(const std::string& bytes,
                                                                 MessageKind kind) {
  return impl_->intake->submit(bytes, Credential{Role::System, impl_->config.name, "internal"}, "",
                               kind);
}

Result<std::unique_ptr<Node>> Node::start(const NodeConfig& config, NodeOptions options) {
  auto impl = std::make_unique<Impl>();
  impl->config = config;
  impl->options = std::move(options);
  auto schemas = schemas::SchemaSet::load();
  if (!schemas) return std::unexpected(schemas.error());
  impl->schemas = *schemas;
  if (impl->options.directory) {
    impl->directory = impl->options.directory;
  } else {
    auto dir = schemas::Directory::loadFile(config.directory_file, **schemas);
    if (!dir) {
      return fail(ErrorCode::Config, config.source + ": directory.file: '" + config.directory_file +
                                         "': " + dir.error().describe());
    }
    impl->directory = schemas::LiveDirectory::make(std::make_shared<const schemas::Directory>(std::move(*dir)));
  }
  const auto directory = impl->directory->current();  // the version the node starts on
  auto& c = impl->config;
  if (c.name.empty()) {
    for (const auto& n : directory->nodes()) {
      if (n.parent.empty()) {
        c.name = n.name;
        break;
      }
    }
  }
  if (directory->node(c.name) == nullptr) {
    return fail(ErrorCode::Config, config.source + ": node.name: '" + c.name +
                                       "' is not a node of the directory " + directory->version());
  }
  std::error_code ec;
  fs::create_directories(c.data_dir, ec);
  if (ec) return fail(ErrorCode::Config, config.source + ": node.data: cannot create '" + c.data_dir + "': " + ec.message());
  if (c.http.cert_file.empty()) {
    return fail(ErrorCode::Config, config.source + ": tls.cert: required (the node's TLS certificate; "
                                   "`lienthong serve --dev` makes a development PKI)");
  }
  if (c.trust.empty() && !impl->options.verifier) {
    return fail(ErrorCode::Config, config.source + ": trust.dir: required (signatures are checked "
                                   "against their own trust list, never against tls.ca)");
  }
  auto store = openSqliteStore((fs::path(c.data_dir) / "store.sqlite").string());
  if (!store) return std::unexpected(store.error());
  impl->store = std::move(*store);
  impl->routing = std::make_shared<const RoutingTable>(impl->directory, c.name);
  std::shared_ptr<const EnvelopeChecker> verifier = impl->options.verifier;
  if (!verifier) {
    auto v = makeXmlChecker(c.trust, c.signature, impl->routing,
                            c.http.max_body);
    if (!v) return fail(ErrorCode::Config, config.source + ": " + v.error().message);
    verifier = std::move(*v);
  }
  impl->checker = makePolicyChecker(c.signature.allow_unsigned, verifier);
  std::string key = c.signing_key, cert = c.signing_cert;
  if (impl->options.signer) {
    impl->signer = impl->options.signer;
  } else {
    if (key.empty()) {
      return fail(ErrorCode::Config, config.source + ": signing.key: required (the node signs "
                                     "the statuses it issues)");
    }
    auto signer = makeXmlSigner(key, c.signing_passphrase, cert);
    if (!signer) return fail(ErrorCode::Config, config.source + ": " + signer.error().message);
    impl->signer = std::move(*signer);
  }
  if (!key.empty()) {
    auto cms = makeCmsSigner(key, c.signing_passphrase, cert);
    if (!cms) return fail(ErrorCode::Config, config.source + ": " + cms.error().message);
    impl->checkpointer = std::make_unique<AuditCheckpointer>(
        *impl->store, c.name, std::move(*cms), c.audit_checkpoint_every, c.audit_checkpoint_minutes,
        (fs::path(c.data_dir) / kCheckpointFileName).string());
  }
  impl->adapters = std::make_unique<AdapterHub>(c.name, impl->schemas);
  if (auto a = impl->adapters->reload(*directory); !a) {
    return fail(ErrorCode::Config, config.source + ": directory " + directory->version() + ": " +
                                       a.error().message);
  }
  Impl* self = impl.get();
  impl->intake = std::make_unique<Intake>(c.http.max_body, impl->schemas, impl->routing,
                                          *impl->store, impl->checker, impl->metrics,
                                          [self] { self->stored(); });
  if (!c.axis_clients.empty()) {
    auto clients = loadAxisSystems(c);
    if (!clients) return std::unexpected(clients.error());
    // A system collects what reaches its units' mailboxes here: each must be one of them.
    for (const auto& [id, system] : *clients) {
      for (const auto& unit : system.units) {
        const schemas::Unit* u = directory->find(unit);
        const std::string where = config.source + ": axis.clients: system '" + id + "': unit '" + unit + "' ";
        if (u == nullptr) return fail(ErrorCode::Config, where + "is not in directory " + directory->version());
        if (u->home_node != c.name) {
          return fail(ErrorCode::Config, where + "is homed at node '" + u->home_node +
                                             "', not here ('" + c.name + "')");
        }
        if (u->channel != schemas::Channel::Mailbox) {
          return fail(ErrorCode::Config, where + "has channel '" +
                                             std::string(schemas::channelName(u->channel)) +
                                             "'; a unit served through /axis needs channel 'mailbox'");
        }
      }
    }
    impl->axis_backend = std::make_unique<StoreAxisBackend>(
        std::move(*clients), *impl->store, *impl->intake, impl->routing);
    adapters::AxisEndpointOptions axis_options;
    axis_options.prefix = "/axis";
    axis_options.max_body = c.http.max_body;
    axis_options.on_refusal = [self](std::string_view op, std::string_view system,
                                     std::string_view code, std::string_view desc) {
      self->log("axis refused", "", std::string(op) + " from system '" + std::string(system) +
                                        "': ErrorCode " + std::string(code) + ": " + std::string(desc));
    };
    impl->axis = std::make_shared<const adapters::AxisEndpoint>(*impl->axis_backend, axis_options);
  }
  impl->peers = std::make_unique<PeerPool>(TlsFiles{c.http.cert_file, c.http.key_file, c.http.ca_file},
                                           c.peer_timeout_ms);
  impl->dispatcher = std::make_unique<Dispatcher>(
      c.dispatch, c.name, *impl->store, impl->directory, *impl->peers, impl->metrics,
      [self](const Delivery& d, const StoredMessage& m) { return self->deliverLocal(d, m); },
      [self](const Delivery& d, const StoredMessage& m, const std::string& reason) {
        self->deliveryFailed(d, m, reason);
      });
  auto server = HttpServer::start(c.http, impl->makeRoutes());
  if (!server) {
    return fail(ErrorCode::Config, config.source + ": node.listen: " + server.error().message);
  }
  impl->server = std::move(*server);
  if (impl->axis && !c.axis_http_host.empty()) {
    try {
      Poco::Net::ServerSocket socket;  // no SO_REUSEPORT: a second server on this port must fail
      socket.bind(Poco::Net::SocketAddress(c.axis_http_host, static_cast<Poco::UInt16>(c.axis_http_port)),
                  true, false);
      socket.listen(64);
      auto params = new Poco::Net::HTTPServerParams;
      params->setMaxThreads(std::max(2, c.http.max_connections / 4));
      params->setTimeout(Poco::Timespan(static_cast<long>(c.http.read_timeout_ms) * 1000));
      impl->axis_http = std::make_unique<Poco::Net::HTTPServer>(
          new adapters::AxisHandlerFactory(*impl->axis), socket, params);
      impl->axis_http->start();
    } catch (const Poco::Exception& e) {
      return fail(ErrorCode::Config, config.source + ": axis.http_listen: " + e.displayText());
    }
  }
  if (impl->options.start_dispatcher) impl->dispatcher->start();
  {
    std::lock_guard lock(impl->reload_mu);
    impl->startAdapterPoller();
  }
  if (impl->checkpointer) impl->checkpointer->start();
  impl->scanner = std::thread([self] { self->scanStore(); });
  if (impl->options.after_stored) {
    {
      std::lock_guard lock(self->house_mu);
      self->house_dirty = true;  // catch up with what was stored before this start
    }
    impl->housekeeper = std::thread([self] { self->housekeeping(); });
  }
  impl->log("started", "", "listening on port " + std::to_string(impl->server->port()));
  return std::unique_ptr<Node>(new Node(std::move(impl)));
}

}  // namespace lienthong::gateway
