#include "lienthong/gateway/node/intake.h"
#include "lienthong/gateway/http/http_error.h"

#include <openssl/evp.h>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <algorithm>
#include <array>
#include <memory>
#include <sstream>

#include "lienthong/schemas/directory.h"
#include "lienthong/schemas/edxml.h"
#include "lienthong/schemas/organ_id.h"

namespace lienthong::gateway {

using schemas::BusinessDocType;
using schemas::Package;
using schemas::StatusCode;
using schemas::StatusMessage;

namespace {

std::unexpected<IntakeRefusal> refuse(Error e, std::string report = {}) {
  return std::unexpected(IntakeRefusal{std::move(e), std::move(report)});
}

std::unexpected<IntakeRefusal> refuse(ErrorCode code, std::string message) {
  return refuse(Error{code, std::move(message), 0, {}});
}

}  // namespace

std::string warningsJson(const std::vector<schemas::Warning>& ws) {
  if (ws.empty()) return {};
  Poco::JSON::Array arr;
  for (const auto& w : ws) {
    Poco::JSON::Object o;
    o.set("code", w.code);
    o.set("message", w.message);
    o.set("line", w.line);
    o.set("element", w.element);
    arr.add(o);
  }
  std::ostringstream out;
  arr.stringify(out);
  return out.str();
}

Intake::Intake(std::size_t max_bytes, std::shared_ptr<const schemas::SchemaSet> schemas,
               std::shared_ptr<const RoutingTable> routing, Store& store,
               std::shared_ptr<const EnvelopeChecker> checker, Metrics& metrics,
               std::function<void()> on_stored)
    : max_bytes_(max_bytes),
      schemas_(std::move(schemas)),
      routing_(std::move(routing)),
      store_(store),
      checker_(std::move(checker)),
      metrics_(metrics),
      on_stored_(std::move(on_stored)) {}

std::expected<IntakeOutcome, IntakeRefusal> Intake::submit(std::string_view bytes,
                                                           const Credential& who,
                                                           const std::string& hops,
                                                           std::optional<MessageKind> expect) {
  auto r = run(bytes, who, hops, expect);
  if (!r) {
    metrics_.intake(Metrics::IntakeResult::Refused, httpStatus(r.error().error.code),
                    errorCodeName(r.error().error.code));
  } else {
    metrics_.intake(r->duplicate ? Metrics::IntakeResult::Duplicate : Metrics::IntakeResult::Accepted, 0);
    if (!r->duplicate && on_stored_) on_stored_();
  }
  return r;
}

Result<void> Intake::checkSender(const Credential& who, const std::string& from) const {
  switch (who.role) {
    case Role::System:
      return {};
    case Role::Office:
      if (auto closed = routing_->closedOn(who.subject); !closed.empty()) {
        return fail(ErrorCode::Forbidden, "unit " + who.subject + " was closed on " + closed +
                                              ": its credential may read its past documents but not send; its "
                                              "successor sends now / đơn vị đã giải thể, không gửi được văn bản");
      }
      if (routing_->sameUnit(who.subject, from)) return {};
      return fail(ErrorCode::Forbidden, "the credential is for " + who.subject +
                                            " but the message is From " + from);
    case Role::Node: {
      // A peer hands over only what comes from its side of the tree.
      auto route = routing_->route(from);
      if (route && route->kind == RouteKind::Peer && route->next_node == who.subject) return {};
      return fail(ErrorCode::Forbidden, "node '" + who.subject + "' may not hand over a message From " +
                                            from + " (that unit is not reached through it)");
    }
    default:
      return fail(ErrorCode::Forbidden, "role '" + std::string(roleName(who.role)) +
                                            "' may not submit messages");
  }
}

Result<std::string> Intake::checkStatusEntitled(const NewMessage& m) const {
  const std::string code = schemas::statusCodeText(static_cast<StatusCode>(m.status_code));
  auto found = store_.findDocuments(m.document_id);
  if (!found) return std::unexpected(found.error());
  // A recall comes from the document's own sender, and real producers (the vendor SDK) name the
  // recipient in its ResponseFor/OrganId: its document is the one this sender sent, as its
  // routing (step 7) finds it. Every other status answers the sender named in ResponseFor.
  const bool recall = m.status_code == static_cast<int>(StatusCode::RecallRequested);
  const StoredMessage* doc = nullptr;
  for (const std::string* sender : {recall ? &m.sender : &m.document_sender, &m.document_sender}) {
    for (const auto& d : *found) {
      if (d.kind == MessageKind::Document && routing_->sameUnit(d.sender, *sender)) {
        doc = &d;
        break;
      }
    }
    if (doc != nullptr) break;
  }
  if (doc == nullptr) {
    return fail(ErrorCode::UnknownDocument,
                "status " + code + " for DocumentId '" + m.document_id + "' from " + m.document_sender +
                    ": this node never carried that document (văn bản không có trên nút này)");
  }
  if (recall) {
    if (routing_->sameUnit(m.sender, doc->sender)) return doc->sender;
    return fail(ErrorCode::Forbidden, "status 13 (recall) for '" + m.document_id + "' comes from " +
                                          m.sender + ", but only its sender " + doc->sender +
                                          " may recall it (chỉ đơn vị gửi được thu hồi)");
  }
  auto deliveries = store_.deliveriesOf(doc->id);
  if (!deliveries) return std::unexpected(deliveries.error());
  for (const auto& d : *deliveries) {
    if (routing_->sameUnit(d.recipient, m.sender)) return doc->sender;
  }
  return fail(ErrorCode::Forbidden, "status " + code + " for '" + m.document_id + "' comes from " +
                                        m.sender + ", which is not a recipient of that document "
                                        "(đơn vị không phải nơi nhận văn bản)");
}

std::expected<IntakeOutcome, IntakeRefusal> Intake::run(std::string_view bytes,
                                                        const Credential& who,
                                                        const std::string& hops,
                                                        std::optional<MessageKind> expect) {
  // 1. Size.
  if (bytes.size() > max_bytes_) {
    return refuse(ErrorCode::TooLarge, "the message is " + std::to_string(bytes.size()) +
                                           " bytes; this node accepts at most " +
                                           std::to_string(max_bytes_));
  }
  schemas::XmlLimits limits;
  limits.max_bytes = max_bytes_;
  limits.allow_inner_comments = false;  // what is read must be what canonicalisation signed
  const MessageKind kind = expect.value_or(MessageKind::Document);

  NewMessage m;
  m.kind = kind;
  m.content_hash = sha256Hex(bytes);
  // The provenance trail is written by nodes only.
  if (!hops.empty() && who.role != Role::Node) {
    return refuse(ErrorCode::Forbidden, "X-Lienthong-Hops is written by gateway nodes only; role '" +
                                            std::string(roleName(who.role)) + "' may not send it");
  }
  m.hops = hops;
  m.received_from = std::string(roleName(who.role)) + ":" + who.subject;
  std::vector<std::string> destinations;
  std::vector<schemas::Warning> warnings;
  bool is_signed = false;
  bool recall = false;

  if (kind == MessageKind::Document) {
    // 2-3. Safe parse and schema (Package::parse refuses in that order, each with its code).
    auto pkg = Package::parse(bytes, schemas_.get(), limits);
    if (!pkg) return refuse(pkg.error());
    // 4. Credential.
    if (auto r = checkSender(who, pkg->header.from.organ_id); !r) return refuse(r.error());
    // 5. Secrecy.
    if (!pkg->header.other_info.security_level.empty()) {
      return refuse(ErrorCode::SecrecyRefused,
                    "the package is marked '" + pkg->header.other_info.security_level +
                        "': state-secret documents are never exchanged electronically");
    }
    is_signed = pkg->isSigned();
    m.sender = pkg->header.from.organ_id;
    m.document_id = pkg->documentId();
    m.dedupe_key = m.document_id;
    m.subject = pkg->header.subject;
    warnings = std::move(pkg->warnings);
    for (const auto& to : pkg->header.to) destinations.push_back(to.organ_id);
    if (pkg->business && pkg->business->doc_type != BusinessDocType::New) {
      // What it acts on, as the SDK means it (update: Bussiness/DocumentId, replace: the
      // ReplacementInfo list, revoke: its own DocumentId). It is a message of its own beside the
      // document it acts on: a revocation carries the very DocumentId of its target.
      m.business_type = static_cast<int>(pkg->business->doc_type);
      const auto targets = pkg->businessTargets();
      for (std::size_t i = 0; i < targets.size(); ++i) {
        m.target_document += (i ? "\n" : "") + targets[i];
      }
      m.dedupe_key = m.document_id + "#" + std::string(schemas::businessLabel(pkg->business->doc_type));
      // A replacement reaches the recipients its ReplacementInfo names, also those not in To.
      for (const auto& t : targets) {
        for (const auto& o : pkg->replacedAt(t)) destinations.push_back(o);
      }
    }
  } else {
    auto st = StatusMessage::parse(bytes, schemas_.get(), limits);
    if (!st) return refuse(st.error());
    if (auto r = checkSender(who, st->from.organ_id); !r) return refuse(r.error());
    is_signed = !st->signature_xml.empty();
    warnings = std::move(st->warnings);
    m.sender = st->from.organ_id;
    m.document_id = st->response_for.document_id;
    m.document_sender = st->response_for.organ_id;
    m.status_code = static_cast<int>(st->status);
    m.dedupe_key = m.document_sender + "|" + m.document_id + "|" +
                   schemas::statusCodeText(st->status) + "|" + st->timestamp;
    m.subject = std::string(schemas::statusLabel(st->status));
    recall = st->status == StatusCode::RecallRequested;
    if (!recall) destinations.push_back(st->response_for.organ_id);
  }

  // 5b. Identifiers reach response headers, file names (folder adapters) and log lines: no
  // control character (a CR LF in a DocumentId would split a response header).
  {
    std::vector<std::pair<const char*, const std::string*>> values{
        {"DocumentId", &m.document_id}, {"From/OrganId", &m.sender},
        {"ResponseFor/OrganId", &m.document_sender}, {"the target DocumentId", &m.target_document},
        {"X-Lienthong-Hops", &m.hops}};
    for (const auto& to : destinations) values.emplace_back("To/OrganId", &to);
    for (const auto& [what, value] : values) {
      if (hasControlCharacter(*value)) {
        return refuse(ErrorCode::InvalidArgument,
                      std::string(what) + " holds a control character (CR, LF, TAB, NUL...), which is "
                                          "refused (mã định danh chứa ký tự điều khiển)");
      }
    }
  }

  // 6. Envelope signature and certificate.
  std::string report;
  std::vector<std::string> signature_notes;
  if (auto r = checker_->check(bytes, is_signed,
                               EnvelopeContext{m.sender, kind == MessageKind::Status, &signature_notes},
                               report);
      !r) {
    return refuse(r.error(), report);
  }
  for (auto& note : signature_notes) {
    warnings.push_back(schemas::Warning{"signature_unverified", std::move(note), 0, "Signature"});
  }

  // 6b. A status must answer a document this node carried, and come from whom that code belongs
  // to: 13 (recall) from the document's sender, every other code from one of its recipients.
  if (kind == MessageKind::Status) {
    auto document_sender = checkStatusEntitled(m);
    if (!document_sender) return refuse(document_sender.error());
    m.document_sender = std::move(*document_sender);
  }

  // 7. Duplicates: answered before routing so that a retried hand-over always gets its receipt.
  if (kind == MessageKind::Document) {
    auto prior = store_.findDocument(m.sender, m.dedupe_key);
    if (!prior) return refuse(prior.error());
    if (*prior) {
      if ((*prior)->content_hash != m.content_hash) {
        if (m.business_type != 0) {
          return refuse(ErrorCode::Conflict,
                        "a " + std::string(schemas::businessLabel(
                                   static_cast<BusinessDocType>(m.business_type))) +
                            " of DocumentId '" + m.document_id + "' from " + m.sender +
                            " was already received with different content (id " +
                            std::to_string((*prior)->id) + ")");
        }
        return refuse(ErrorCode::Conflict,
                      "DocumentId '" + m.document_id + "' from " + m.sender +
                          " was already received with different content (id " +
                          std::to_string((*prior)->id) + ")");
      }
      return IntakeOutcome{true, (*prior)->id, kind, m.document_id, m.sender, 0, 0, {}};
    }
  }

  if (recall) {
    // A recall goes wherever the document went from here.
    auto original = store_.findDocument(m.sender, m.document_id);
    if (!original) return refuse(original.error());
    if (!*original) {
      return refuse(ErrorCode::NotFound, "recall of DocumentId '" + m.document_id + "' from " +
                                             m.sender + ": this node never carried that document");
    }
    auto ds = store_.deliveriesOf((*original)->id);
    if (!ds) return refuse(ds.error());
    for (const auto& d : *ds) {
      if (d.route != RouteKind::Paper) destinations.push_back(d.recipient);
    }
  }

  // 8. Routing: every recipient must be known; none is dropped. A unit named twice (in another
  // letter case, or by its other code) is delivered once.
  IntakeOutcome out{false, 0, kind, m.document_id, m.sender, 0, 0, {}};
  std::vector<std::string> routed;
  const auto directory = routing_->directory();
  for (const auto& to : destinations) {
    const schemas::Unit* unit = directory->find(to);
    const std::string key = schemas::organKey(unit ? unit->code : to);
    if (std::find(routed.begin(), routed.end(), key) != routed.end()) continue;
    routed.push_back(key);
    auto route = routing_->route(to);
    if (!route) {
      Error e = route.error();
      if (e.code == ErrorCode::UnknownUnit) {
        e.message = "no route for recipient " + to + ": " + e.message;
        e.element = "OrganId";
      }
      return refuse(std::move(e));
    }
    if (who.role == Role::Node) {
      // A peer hands over the whole package; this node carries on only the recipients on its
      // side. Those reached back through the peer are the peer's, and paper recipients were
      // recorded by the sender's home node.
      if (route->kind == RouteKind::Paper) continue;
      if (route->kind == RouteKind::Peer && route->next_node == who.subject) continue;
    }
    // Stored under the directory's spelling when the code differs from it only in letter case,
    // so that mailbox look-ups by the unit's codes find it.
    std::string recipient = to;
    std::string addressed_to;
    if (unit) {
      for (const std::string& c : {unit->code, unit->legacy_code}) {
        if (!c.empty() && c != to && schemas::organKey(c) == schemas::organKey(to)) recipient = c;
      }
      // A closed code goes to its successor, which is the recipient: its mailbox holds it.
      auto receiver = directory->resolve(to, todayVn());
      if (receiver && *receiver != unit) {
        const schemas::Unit* next = *receiver;
        addressed_to = recipient;
        const bool legacy_form = !unit->legacy_code.empty() && schemas::organKey(unit->legacy_code) == schemas::organKey(to);
        recipient = legacy_form && !next->legacy_code.empty() ? next->legacy_code : next->code;
        warnings.push_back(schemas::Warning{
            "recipient_succeeded",
            "To/OrganId " + to + " was closed on " + unit->valid_to + "; delivered to its successor " +
                next->code + " (" + next->name + ") / mã " + to + " đã đóng, văn bản chuyển cho đơn vị kế thừa",
            0, "OrganId"});
      }
    }
    m.deliveries.push_back(NewDelivery{recipient, route->kind, route->next_node, addressed_to});
    if (route->kind == RouteKind::Paper) ++out.paper;
  }
  out.deliveries = static_cast<int>(m.deliveries.size());
  m.audit_detail = "from " + m.sender + " via " + m.received_from + ", " +
                   std::to_string(m.deliveries.size()) + " deliveries, sha256 " + m.content_hash;
  if (!warnings.empty()) m.audit_detail += ", " + std::to_string(warnings.size()) + " warning(s)";
  m.bytes = std::string(bytes);
  m.warnings = warningsJson(warnings);

  auto stored = store_.insertMessage(m);
  if (!stored) return refuse(stored.error());
  out.id = stored->id;
  if (stored->duplicate) {
    out.duplicate = true;
    out.deliveries = 0;
    out.paper = 0;
  } else {
    for (int i = 0; i < out.paper; ++i) metrics_.paper();
    std::vector<std::string> codes;
    for (const auto& w : warnings) codes.push_back(w.code);
    metrics_.warnings(codes);
  }
  out.warnings = std::move(warnings);
  return out;
}

}  // namespace lienthong::gateway
