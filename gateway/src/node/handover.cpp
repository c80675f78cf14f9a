#include "lienthong/gateway/node/handover.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include "lienthong/gateway/http/json_fields.h"
#include "lienthong/schemas/codec.h"

namespace lienthong::gateway {

namespace {

using json::countOf;
using json::stringOf;
using Obj = Poco::JSON::Object;

Result<MessageKind> kindOf(const std::string& s, const std::string& where) {
  for (auto k : {MessageKind::Document, MessageKind::Status, MessageKind::Summary}) {
    if (kindName(k) == s) return k;
  }
  return fail(ErrorCode::InvalidArgument, where + ".kind: '" + s + "' is not document, status or summary");
}

Result<RouteKind> routeOf(const std::string& s, const std::string& where) {
  for (auto k : {RouteKind::Local, RouteKind::Peer, RouteKind::Paper}) {
    if (routeName(k) == s) return k;
  }
  return fail(ErrorCode::InvalidArgument, where + ".route: '" + s + "' is not local, peer or paper");
}

// Reads the named string members of `o` into the fields, stopping at the first error.
Result<void> strings(const Obj& o, const std::string& where,
                     std::initializer_list<std::pair<const char*, std::string*>> fields) {
  for (const auto& [key, into] : fields) {
    auto v = stringOf(o, key, where);
    if (!v) return std::unexpected(v.error());
    *into = std::move(*v);
  }
  return {};
}

template <typename Int>
Result<void> counts(const Obj& o, const std::string& where, std::initializer_list<std::pair<const char*, Int*>> fields) {
  for (const auto& [key, into] : fields) {
    auto v = countOf(o, key, where);
    if (!v) return std::unexpected(v.error());
    *into = static_cast<Int>(*v);
  }
  return {};
}

Obj::Ptr deliveryJson(const HandedDelivery& d) {
  Obj::Ptr o = new Obj;
  o->set("recipient", d.to.recipient);
  o->set("route", std::string(routeName(d.to.route)));
  o->set("next_node", d.to.next_node);
  o->set("addressed_to", d.to.addressed_to);
  o->set("state", std::string(deliveryStateName(d.state)));
  o->set("attempts", d.attempts);
  o->set("created_ms", d.created_ms);
  o->set("done_ms", d.done_ms);
  o->set("last_error", d.last_error);
  return o;
}

Result<HandedDelivery> parseDelivery(const Obj& o, const std::string& where) {
  HandedDelivery d;
  std::string route, state;
  if (auto r = strings(o, where, {{"recipient", &d.to.recipient}, {"route", &route}, {"next_node", &d.to.next_node},
                                  {"addressed_to", &d.to.addressed_to}, {"state", &state},
                                  {"last_error", &d.last_error}});
      !r) {
    return std::unexpected(r.error());
  }
  if (d.to.recipient.empty()) return fail(ErrorCode::InvalidArgument, where + ".recipient: empty");
  auto rk = routeOf(route, where);
  if (!rk) return std::unexpected(rk.error());
  d.to.route = *rk;
  auto st = parseDeliveryState(state);
  if (!st) return fail(ErrorCode::InvalidArgument, where + ".state: " + st.error().message);
  d.state = *st;
  if (auto r = counts<int>(o, where, {{"attempts", &d.attempts}}); !r) return std::unexpected(r.error());
  if (auto r = counts<std::int64_t>(o, where, {{"created_ms", &d.created_ms}, {"done_ms", &d.done_ms}}); !r) {
    return std::unexpected(r.error());
  }
  return d;
}

Obj::Ptr messageJson(const HandedMessage& h) {
  const NewMessage& m = h.message;
  Obj::Ptr o = new Obj;
  o->set("origin_id", h.origin_id);
  o->set("kind", std::string(kindName(m.kind)));
  o->set("sender", m.sender);
  o->set("dedupe_key", m.dedupe_key);
  o->set("document_id", m.document_id);
  o->set("document_sender", m.document_sender);
  o->set("content_hash", m.content_hash);
  o->set("bytes", schemas::codec::encodeBase64(m.bytes, 0));
  o->set("hops", m.hops);
  o->set("subject", m.subject);
  o->set("business_type", m.business_type);
  o->set("target_document", m.target_document);
  o->set("received_from", m.received_from);
  o->set("status_code", m.status_code);
  o->set("received_ms", h.received_ms);
  o->set("warnings", m.warnings);
  Poco::JSON::Array::Ptr deliveries = new Poco::JSON::Array;
  for (const auto& d : h.deliveries) deliveries->add(deliveryJson(d));
  o->set("deliveries", deliveries);
  return o;
}

Result<HandedMessage> parseMessage(const Obj& o, const std::string& where, const std::string& from_node) {
  HandedMessage h;
  h.from_node = from_node;
  NewMessage& m = h.message;
  std::string kind, bytes;
  if (auto r = strings(o, where, {{"kind", &kind}, {"sender", &m.sender}, {"dedupe_key", &m.dedupe_key},
                                  {"document_id", &m.document_id}, {"document_sender", &m.document_sender},
                                  {"content_hash", &m.content_hash}, {"bytes", &bytes}, {"hops", &m.hops},
                                  {"subject", &m.subject}, {"target_document", &m.target_document},
                                  {"received_from", &m.received_from}, {"warnings", &m.warnings}});
      !r) {
    return std::unexpected(r.error());
  }
  auto k = kindOf(kind, where);
  if (!k) return std::unexpected(k.error());
  m.kind = *k;
  if (m.sender.empty() || m.dedupe_key.empty()) {
    return fail(ErrorCode::InvalidArgument, where + ": sender and dedupe_key must not be empty");
  }
  if (auto r = counts<std::int64_t>(o, where, {{"origin_id", &h.origin_id}, {"received_ms", &h.received_ms}}); !r) {
    return std::unexpected(r.error());
  }
  if (auto r = counts<int>(o, where, {{"business_type", &m.business_type}, {"status_code", &m.status_code}}); !r) {
    return std::unexpected(r.error());
  }
  auto raw = schemas::codec::decodeBase64(bytes);
  if (!raw) return fail(ErrorCode::InvalidArgument, where + ".bytes: not base64: " + raw.error().message);
  m.bytes = std::move(*raw);
  if (sha256Hex(m.bytes) != m.content_hash) {
    return fail(ErrorCode::InvalidArgument, where + ".content_hash: does not match the bytes (" +
                                                std::to_string(m.bytes.size()) + " bytes, SHA-256 " +
                                                sha256Hex(m.bytes) + ")");
  }
  auto deliveries = o.getArray("deliveries");
  if (!deliveries) return fail(ErrorCode::InvalidArgument, where + ".deliveries: missing or not an array");
  for (std::size_t j = 0; j < deliveries->size(); ++j) {
    const std::string at = where + ".deliveries[" + std::to_string(j) + "]";
    auto d = deliveries->getObject(static_cast<unsigned>(j));
    if (!d) return fail(ErrorCode::InvalidArgument, at + ": not an object");
    auto one = parseDelivery(*d, at);
    if (!one) return std::unexpected(one.error());
    h.deliveries.push_back(std::move(*one));
  }
  return h;
}

Obj::Ptr entryJson(const RegisterEntry& e) {
  Obj::Ptr o = new Obj;
  o->set("direction", std::string(directionName(e.direction)));
  o->set("unit", e.unit);
  o->set("source", e.source);
  o->set("message_id", e.message_id);
  o->set("document_id", e.document_id);
  o->set("number", e.number);
  o->set("notation", e.notation);
  o->set("date", e.date);
  o->set("type", e.type);
  o->set("subject", e.subject);
  o->set("signer", e.signer);
  o->set("sender", e.sender);
  o->set("file_keeper", e.file_keeper);
  o->set("copies", e.copies);
  o->set("dispatch_date", e.dispatch_date);
  o->set("arrival_date", e.arrival_date);
  o->set("receipt", e.receipt);
  o->set("notes", e.notes);
  o->set("pdf_total", e.pdf_total);
  o->set("pdf_both_valid", e.pdf_both_valid);
  o->set("recorded_by", e.recorded_by);
  o->set("recorded_ms", e.recorded_ms);
  Poco::JSON::Array::Ptr recipients = new Poco::JSON::Array;
  for (const auto& r : e.recipients) {
    Obj::Ptr x = new Obj;
    x->set("organ_id", r.organ_id);
    x->set("paper", r.paper);
    x->set("electronic", r.electronic);
    recipients->add(x);
  }
  o->set("recipients", recipients);
  return o;
}

Result<RegisterEntry> parseEntry(const Obj& o, const std::string& where) {
  RegisterEntry e;
  std::string direction;
  if (auto r = strings(o, where,
                       {{"direction", &direction}, {"unit", &e.unit}, {"source", &e.source},
                        {"document_id", &e.document_id}, {"number", &e.number}, {"notation", &e.notation},
                        {"date", &e.date}, {"type", &e.type}, {"subject", &e.subject}, {"signer", &e.signer},
                        {"sender", &e.sender}, {"file_keeper", &e.file_keeper},
                        {"dispatch_date", &e.dispatch_date}, {"arrival_date", &e.arrival_date},
                        {"receipt", &e.receipt}, {"notes", &e.notes}, {"recorded_by", &e.recorded_by}});
      !r) {
    return std::unexpected(r.error());
  }
  auto d = parseDirection(direction);
  if (!d) return fail(ErrorCode::InvalidArgument, where + ".direction: " + d.error().message);
  e.direction = *d;
  if (e.unit.empty()) return fail(ErrorCode::InvalidArgument, where + ".unit: empty");
  if (auto r = counts<std::int64_t>(o, where, {{"message_id", &e.message_id}, {"recorded_ms", &e.recorded_ms}}); !r) {
    return std::unexpected(r.error());
  }
  if (auto r = counts<int>(o, where, {{"copies", &e.copies}, {"pdf_both_valid", &e.pdf_both_valid}}); !r) {
    return std::unexpected(r.error());
  }
  // -1: PDFs not measured.
  if (!o.has("pdf_total") || !o.get("pdf_total").isInteger()) {
    return fail(ErrorCode::InvalidArgument, where + ".pdf_total: missing or not an integer");
  }
  e.pdf_total = std::max(-1, o.getValue<int>("pdf_total"));
  auto recipients = o.getArray("recipients");
  if (!recipients) return fail(ErrorCode::InvalidArgument, where + ".recipients: missing or not an array");
  for (std::size_t j = 0; j < recipients->size(); ++j) {
    const std::string at = where + ".recipients[" + std::to_string(j) + "]";
    auto x = recipients->getObject(static_cast<unsigned>(j));
    if (!x) return fail(ErrorCode::InvalidArgument, at + ": not an object");
    RegisterRecipient r;
    if (auto ok = strings(*x, at, {{"organ_id", &r.organ_id}}); !ok) return std::unexpected(ok.error());
    if (!x->has("paper") || !x->get("paper").isBoolean()) {
      return fail(ErrorCode::InvalidArgument, at + ".paper: missing or not true/false");
    }
    r.paper = x->getValue<bool>("paper");
    r.electronic = x->has("electronic") && x->get("electronic").isBoolean() && x->getValue<bool>("electronic");
    e.recipients.push_back(std::move(r));
  }
  return e;
}

Obj::Ptr statusJson(const StatusRecord& s) {
  Obj::Ptr o = new Obj;
  o->set("document_sender", s.document_sender);
  o->set("document_id", s.document_id);
  o->set("reporter", s.reporter);
  o->set("code", s.code);
  o->set("description", s.description);
  o->set("timestamp", s.timestamp);
  o->set("recorded_ms", s.recorded_ms);
  return o;
}

Result<StatusRecord> parseStatus(const Obj& o, const std::string& where) {
  StatusRecord s;
  if (auto r = strings(o, where, {{"document_sender", &s.document_sender}, {"document_id", &s.document_id},
                                  {"reporter", &s.reporter}, {"description", &s.description},
                                  {"timestamp", &s.timestamp}});
      !r) {
    return std::unexpected(r.error());
  }
  if (auto r = counts<int>(o, where, {{"code", &s.code}}); !r) return std::unexpected(r.error());
  if (auto r = counts<std::int64_t>(o, where, {{"recorded_ms", &s.recorded_ms}}); !r) return std::unexpected(r.error());
  return s;
}

// Each element of the array `key` of `o` (optional: none when missing) through `parse`.
template <typename T, typename F>
Result<std::vector<T>> listOf(const Obj& o, const std::string& key, F&& parse) {
  std::vector<T> out;
  if (!o.has(key)) return out;
  auto a = o.getArray(key);
  if (!a) return fail(ErrorCode::InvalidArgument, key + ": not an array");
  for (std::size_t i = 0; i < a->size(); ++i) {
    const std::string where = key + "[" + std::to_string(i) + "]";
    auto x = a->getObject(static_cast<unsigned>(i));
    if (!x) return fail(ErrorCode::InvalidArgument, where + ": not an object");
    auto one = parse(*x, where);
    if (!one) return std::unexpected(one.error());
    out.push_back(std::move(*one));
  }
  return out;
}

Obj::Ptr tallyJson(const RegisterTally& t) {
  Obj::Ptr o = new Obj;
  o->set("outgoing", t.outgoing);
  o->set("incoming", t.incoming);
  o->set("electronic_only", t.electronic_only);
  o->set("paper_only", t.paper_only);
  o->set("both", t.both);
  o->set("not_issued", t.not_issued);
  return o;
}

}  // namespace

HandedMessage handedMessage(const std::string& from_node, const StoredMessage& m,
                            const std::vector<Delivery>& deliveries) {
  HandedMessage h;
  h.from_node = from_node;
  h.origin_id = m.id;
  h.received_ms = m.received_ms;
  NewMessage& n = h.message;
  n.kind = m.kind;
  n.sender = m.sender;
  n.dedupe_key = m.dedupe_key;
  n.document_id = m.document_id;
  n.document_sender = m.document_sender;
  n.content_hash = m.content_hash;
  n.bytes = m.bytes;
  n.hops = m.hops;
  n.subject = m.subject;
  n.business_type = m.business_type;
  n.target_document = m.target_document;
  n.received_from = m.received_from;
  n.status_code = m.status_code;
  n.warnings = m.warnings;
  for (const auto& d : deliveries) {
    HandedDelivery x;
    x.to = NewDelivery{d.recipient, d.route, d.next_node, d.addressed_to};
    x.state = d.state;
    x.attempts = d.attempts;
    x.created_ms = d.created_ms;
    x.done_ms = d.done_ms;
    x.last_error = d.last_error;
    h.deliveries.push_back(std::move(x));
  }
  return h;
}

std::string handoverJson(const HandoverBatch& b) {
  Obj o;
  o.set("format", std::string(kHandoverFormat));
  o.set("from_node", b.from_node);
  Poco::JSON::Array::Ptr messages = new Poco::JSON::Array, lines = new Poco::JSON::Array,
                         statuses = new Poco::JSON::Array;
  for (const auto& m : b.messages) messages->add(messageJson(m));
  for (const auto& e : b.register_lines) lines->add(entryJson(e));
  for (const auto& s : b.statuses) statuses->add(statusJson(s));
  o.set("messages", messages);
  o.set("register", lines);
  o.set("statuses", statuses);
  return json::stringify(o);
}

Result<HandoverBatch> parseHandover(std::string_view text) {
  if (text.size() > kMaxHandoverBytes) {
    return fail(ErrorCode::TooLarge, "handover: " + std::to_string(text.size()) + " bytes, at most " +
                                         std::to_string(kMaxHandoverBytes) + " in one batch");
  }
  auto o = json::parseObject(text, "handover");
  if (!o) return std::unexpected(o.error());
  HandoverBatch b;
  std::string format;
  if (auto r = strings(**o, "handover", {{"format", &format}, {"from_node", &b.from_node}}); !r) {
    return std::unexpected(r.error());
  }
  if (format != kHandoverFormat) {
    return fail(ErrorCode::InvalidArgument,
                "handover.format: '" + format + "', expected '" + std::string(kHandoverFormat) + "'");
  }
  if (b.from_node.empty()) return fail(ErrorCode::InvalidArgument, "handover.from_node: empty");
  auto messages = listOf<HandedMessage>(**o, "messages", [&](const Obj& x, const std::string& where) {
    return parseMessage(x, where, b.from_node);
  });
  if (!messages) return std::unexpected(messages.error());
  b.messages = std::move(*messages);
  auto lines = listOf<RegisterEntry>(**o, "register", parseEntry);
  if (!lines) return std::unexpected(lines.error());
  b.register_lines = std::move(*lines);
  auto statuses = listOf<StatusRecord>(**o, "statuses", parseStatus);
  if (!statuses) return std::unexpected(statuses.error());
  b.statuses = std::move(*statuses);
  return b;
}

std::string outcomeJson(const HandoverOutcome& x) {
  Obj o;
  Obj::Ptr m = new Obj, r = new Obj, s = new Obj;
  m->set("taken", x.taken);
  m->set("merged", x.merged);
  m->set("again", x.again);
  m->set("deliveries", x.deliveries);
  r->set("added", x.register_added);
  r->set("replaced", x.register_replaced);
  s->set("added", x.statuses_added);
  s->set("held", x.statuses_held);
  o.set("messages", m);
  o.set("register", r);
  o.set("statuses", s);
  return json::stringify(o);
}

Result<HandoverOutcome> parseOutcome(std::string_view text) {
  auto o = json::parseObject(text, "handover answer");
  if (!o) return std::unexpected(o.error());
  HandoverOutcome x;
  const auto part = [&](const char* key) -> Result<Obj::Ptr> {
    auto p = (*o)->getObject(key);
    if (!p) return fail(ErrorCode::InvalidArgument, std::string("handover answer.") + key + ": missing");
    return p;
  };
  auto m = part("messages");
  auto r = part("register");
  auto s = part("statuses");
  if (!m || !r || !s) return std::unexpected((!m ? m : !r ? r : s).error());
  if (auto ok = counts<int>(**m, "messages", {{"taken", &x.taken}, {"merged", &x.merged}, {"again", &x.again},
                                               {"deliveries", &x.deliveries}});
      !ok) {
    return std::unexpected(ok.error());
  }
  if (auto ok = counts<int>(**r, "register", {{"added", &x.register_added}, {"replaced", &x.register_replaced}}); !ok) {
    return std::unexpected(ok.error());
  }
  if (auto ok = counts<int>(**s, "statuses", {{"added", &x.statuses_added}, {"held", &x.statuses_held}}); !ok) {
    return std::unexpected(ok.error());
  }
  return x;
}

std::string viewJson(const HandoverView& v) {
  Obj o;
  o.set("node", v.node);
  o.set("from", v.from);
  o.set("directory", v.directory);
  Obj::Ptr homes = new Obj, tally = new Obj;
  for (const auto& [unit, home] : v.homes) homes->set(unit, home);
  for (const auto& [unit, t] : v.register_tally) tally->set(unit, tallyJson(t));
  o.set("homes", homes);
  o.set("messages", v.messages);
  o.set("digest", v.digest);
  o.set("register", tally);
  return json::stringify(o);
}

Result<HandoverView> parseView(std::string_view text) {
  auto o = json::parseObject(text, "handover view");
  if (!o) return std::unexpected(o.error());
  HandoverView v;
  if (auto r = strings(**o, "view", {{"node", &v.node}, {"from", &v.from}, {"directory", &v.directory},
                                     {"digest", &v.digest}});
      !r) {
    return std::unexpected(r.error());
  }
  if (auto r = counts<std::int64_t>(**o, "view", {{"messages", &v.messages}}); !r) return std::unexpected(r.error());
  auto homes = (*o)->getObject("homes");
  auto tally = (*o)->getObject("register");
  if (!homes || !tally) return fail(ErrorCode::InvalidArgument, "view: homes or register missing");
  for (const auto& [unit, home] : *homes) v.homes[unit] = home.toString();
  for (const auto& [unit, value] : *tally) {
    auto t = tally->getObject(unit);
    if (!t) return fail(ErrorCode::InvalidArgument, "view.register." + unit + ": not an object");
    RegisterTally x;
    if (auto r = counts<std::int64_t>(*t, "view.register." + unit,
                                      {{"outgoing", &x.outgoing}, {"incoming", &x.incoming},
                                       {"electronic_only", &x.electronic_only}, {"paper_only", &x.paper_only},
                                       {"both", &x.both}, {"not_issued", &x.not_issued}});
        !r) {
      return std::unexpected(r.error());
    }
    v.register_tally[unit] = x;
  }
  return v;
}

std::string handoverDigest(const std::vector<HandoverItem>& items) {
  std::string text;
  for (const auto& i : items) text += std::to_string(i.origin_id) + ":" + i.content_hash + "\n";
  return sha256Hex(text);
}

}  // namespace lienthong::gateway
