#include "lienthong/gateway/evidence/summary.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "lienthong/gateway/http/http_error.h"
#include "lienthong/gateway/http/json_fields.h"
#include "lienthong/gateway/store/clock.h"
#include "lienthong/schemas/codec.h"

namespace lienthong::gateway {

namespace {

constexpr std::size_t kMaxRows = 100000;           // rows in one summary message
constexpr std::size_t kMaxLatencyValues = 100000;  // values in one row's latency list
constexpr std::size_t kMaxSummaryBytes = 32u << 20;

using json::countOf;
using json::parseObject;
using json::stringify;
using json::stringOf;

std::string latencyText(const std::map<int, std::vector<std::int64_t>>& latency) {
  std::string out;
  for (const auto& [code, values] : latency) {
    if (values.empty()) continue;
    if (!out.empty()) out += ';';
    out += std::to_string(code) + ':';
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (i) out += ',';
      out += std::to_string(values[i]);
    }
  }
  return out;
}

// Reads "1:120,300;3:900" (several rows' texts joined by ';' add up).
std::map<int, std::vector<std::int64_t>> parseLatencyText(std::string_view text) {
  std::map<int, std::vector<std::int64_t>> out;
  while (!text.empty()) {
    const auto end = text.find(';');
    std::string_view part = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    const auto colon = part.find(':');
    if (colon == std::string_view::npos) continue;
    int code = 0;
    std::from_chars(part.data(), part.data() + colon, code);
    auto& values = out[code];
    std::string_view list = part.substr(colon + 1);
    while (!list.empty()) {
      const auto comma = list.find(',');
      std::string_view v = list.substr(0, comma);
      list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
      std::int64_t ms = 0;
      if (std::from_chars(v.data(), v.data() + v.size(), ms).ec == std::errc()) values.push_back(ms);
    }
  }
  return out;
}

Poco::JSON::Object::Ptr rowJson(const SummaryRow& row, bool with_version) {
  const UnitDay& d = row.figures;
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
  o->set("unit", d.unit);
  o->set("day", d.day);
  if (with_version) o->set("version", row.version);
  o->set("electronic_only", d.outgoing.electronic_only);
  o->set("paper_only", d.outgoing.paper_only);
  o->set("both", d.outgoing.both);
  o->set("not_issued", d.outgoing.not_issued);
  o->set("received", d.received);
  o->set("rejected", d.rejected);
  o->set("recalled", d.recalled);
  Poco::JSON::Object::Ptr pdf = new Poco::JSON::Object;
  pdf->set("checked", d.pdf.documents_checked);
  pdf->set("unchecked", d.pdf.documents_unchecked);
  pdf->set("attachments", d.pdf.attachments);
  pdf->set("both_valid", d.pdf.both_valid);
  o->set("pdf", pdf);
  Poco::JSON::Object::Ptr lat = new Poco::JSON::Object;
  for (int code : {1, 3, 6}) {
    Poco::JSON::Array::Ptr a = new Poco::JSON::Array;
    auto it = d.latency.find(code);
    if (it != d.latency.end()) {
      for (auto v : it->second) a->add(v);
    }
    lat->set(std::to_string(code), a);
  }
  o->set("latency", lat);
  return o;
}

Result<SummaryRow> parseRow(const Poco::JSON::Object& o, const std::string& where) {
  SummaryRow row;
  UnitDay& d = row.figures;
  auto unit = stringOf(o, "unit", where);
  if (!unit) return std::unexpected(unit.error());
  if (unit->empty() || unit->size() > 64) {
    return fail(ErrorCode::InvalidArgument, where + ".unit: '" + *unit + "' is not a unit code");
  }
  d.unit = *unit;
  auto day = stringOf(o, "day", where);
  if (!day) return std::unexpected(day.error());
  if (auto ok = checkDate(*day, where + ".day"); !ok) return std::unexpected(ok.error());
  d.day = *day;
  auto version = countOf(o, "version", where);
  if (!version) return std::unexpected(version.error());
  if (*version < 1) return fail(ErrorCode::InvalidArgument, where + ".version: versions start at 1");
  row.version = *version;
  std::int64_t* counts[] = {&d.outgoing.electronic_only, &d.outgoing.paper_only, &d.outgoing.both,
                            &d.outgoing.not_issued, &d.received, &d.rejected, &d.recalled};
  const char* names[] = {"electronic_only", "paper_only", "both", "not_issued", "received", "rejected", "recalled"};
  for (std::size_t i = 0; i < std::size(counts); ++i) {
    auto n = countOf(o, names[i], where);
    if (!n) return std::unexpected(n.error());
    *counts[i] = *n;
  }
  d.outgoing.total = d.outgoing.electronic_only + d.outgoing.paper_only + d.outgoing.both + d.outgoing.not_issued;
  if (d.rejected > d.outgoing.total || d.recalled > d.outgoing.total) {
    return fail(ErrorCode::InvalidArgument, where + ": more documents rejected or recalled (" +
                                                std::to_string(std::max(d.rejected, d.recalled)) +
                                                ") than sent (" + std::to_string(d.outgoing.total) + ")");
  }
  if (o.has("pdf")) {
    auto pdf = o.getObject("pdf");
    if (!pdf) return fail(ErrorCode::InvalidArgument, where + ".pdf: not an object");
    std::int64_t* p[] = {&d.pdf.documents_checked, &d.pdf.documents_unchecked, &d.pdf.attachments, &d.pdf.both_valid};
    const char* pn[] = {"checked", "unchecked", "attachments", "both_valid"};
    for (std::size_t i = 0; i < std::size(p); ++i) {
      auto n = countOf(*pdf, pn[i], where + ".pdf", false);
      if (!n) return std::unexpected(n.error());
      *p[i] = *n;
    }
    if (d.pdf.both_valid > d.pdf.attachments) {
      return fail(ErrorCode::InvalidArgument, where + ".pdf: both_valid " + std::to_string(d.pdf.both_valid) +
                                                  " is more than the attachments " +
                                                  std::to_string(d.pdf.attachments));
    }
  }
  if (o.has("latency")) {
    auto lat = o.getObject("latency");
    if (!lat) return fail(ErrorCode::InvalidArgument, where + ".latency: not an object");
    for (const auto& [key, value] : *lat) {
      if (key != "1" && key != "3" && key != "6") {
        return fail(ErrorCode::InvalidArgument, where + ".latency: '" + key + "' is not a status code 1, 3 or 6");
      }
      auto a = lat->getArray(key);
      if (!a) return fail(ErrorCode::InvalidArgument, where + ".latency." + key + ": not an array");
      if (a->size() > kMaxLatencyValues) {
        return fail(ErrorCode::InvalidArgument, where + ".latency." + key + ": more than " +
                                                    std::to_string(kMaxLatencyValues) + " values");
      }
      auto& values = d.latency[key[0] - '0'];
      for (std::size_t i = 0; i < a->size(); ++i) {
        const auto v = a->get(static_cast<unsigned>(i));
        if (!v.isInteger() || v.convert<std::int64_t>() < 0) {
          return fail(ErrorCode::InvalidArgument, where + ".latency." + key + "[" + std::to_string(i) +
                                                      "]: not a count of milliseconds");
        }
        values.push_back(v.convert<std::int64_t>());
      }
      std::sort(values.begin(), values.end());
    }
  }
  return row;
}

std::string dayMinus(std::int64_t now_ms, int days) {
  const std::string today = timestampVn(now_ms - static_cast<std::int64_t>(days) * 86400000);
  return today.substr(0, 4) + "-" + today.substr(5, 2) + "-" + today.substr(8, 2);
}

}  // namespace

namespace {

Poco::JSON::Array::Ptr coverageListJson(const std::vector<UnitCoverage>& rows) {
  Poco::JSON::Array::Ptr a = new Poco::JSON::Array;
  for (const auto& c : rows) a->add(coverageJson(c));
  return a;
}

}  // namespace

std::string summaryBodyJson(const SummaryBatch& batch) {
  Poco::JSON::Object o;
  o.set("node", batch.node);
  o.set("directory", batch.directory_version);
  o.set("made", batch.made_ms);
  Poco::JSON::Array::Ptr rows = new Poco::JSON::Array;
  for (const auto& r : batch.rows) rows->add(rowJson(r, true));
  o.set("rows", rows);
  if (!batch.coverage.empty()) o.set("coverage", coverageListJson(batch.coverage));
  return stringify(o);
}

Result<SummaryBatch> parseSummaryBody(std::string_view json) {
  auto o = parseObject(json, "summary body");
  if (!o) return std::unexpected(o.error());
  SummaryBatch b;
  auto node = stringOf(**o, "node", "body");
  if (!node) return std::unexpected(node.error());
  if (node->empty()) return fail(ErrorCode::InvalidArgument, "body.node: empty");
  b.node = *node;
  if ((*o)->has("directory")) {
    auto v = stringOf(**o, "directory", "body");
    if (!v) return std::unexpected(v.error());
    b.directory_version = *v;
  }
  auto made = countOf(**o, "made", "body");
  if (!made) return std::unexpected(made.error());
  b.made_ms = *made;
  auto rows = (*o)->getArray("rows");
  if (!rows) return fail(ErrorCode::InvalidArgument, "body.rows: missing or not an array");
  if (rows->size() > kMaxRows) {
    return fail(ErrorCode::InvalidArgument, "body.rows: " + std::to_string(rows->size()) +
                                                " rows, at most " + std::to_string(kMaxRows) + " in one summary");
  }
  std::map<std::string, std::size_t> seen;
  for (std::size_t i = 0; i < rows->size(); ++i) {
    const std::string where = "rows[" + std::to_string(i) + "]";
    auto ro = rows->getObject(static_cast<unsigned>(i));
    if (!ro) return fail(ErrorCode::InvalidArgument, where + ": not an object");
    auto row = parseRow(*ro, where);
    if (!row) return std::unexpected(row.error());
    const std::string key = row->figures.unit + " " + row->figures.day;
    if (auto [it, fresh] = seen.emplace(key, i); !fresh) {
      return fail(ErrorCode::InvalidArgument, where + ": unit " + row->figures.unit + " on " + row->figures.day +
                                                  " is already rows[" + std::to_string(it->second) + "]");
    }
    b.rows.push_back(std::move(*row));
  }
  if ((*o)->has("coverage")) {
    auto cov = (*o)->getArray("coverage");
    if (!cov) return fail(ErrorCode::InvalidArgument, "body.coverage: not an array");
    if (cov->size() > kMaxRows) return fail(ErrorCode::InvalidArgument, "body.coverage: too many units");
    std::set<std::string> units;
    for (std::size_t i = 0; i < cov->size(); ++i) {
      const std::string where = "coverage[" + std::to_string(i) + "]";
      auto x = cov->getObject(static_cast<unsigned>(i));
      if (!x) return fail(ErrorCode::InvalidArgument, where + ": not an object");
      UnitCoverage c;
      auto unit = stringOf(*x, "unit", where);
      if (!unit) return std::unexpected(unit.error());
      c.unit = *unit;
      if (!units.insert(c.unit).second) return fail(ErrorCode::InvalidArgument, where + ": unit " + c.unit + " twice");
      for (auto [key, into] : {std::pair{"needed", &c.needed}, std::pair{"signers_valid", &c.signers_valid},
                               std::pair{"missing", &c.missing}, std::pair{"seals_valid", &c.seals_valid},
                               std::pair{"expiring", &c.expiring}}) {
        auto v = countOf(*x, key, where);
        if (!v) return std::unexpected(v.error());
        *into = *v;
      }
      b.coverage.push_back(std::move(c));
    }
  }
  return b;
}

std::string summaryEnvelopeJson(std::string_view body, std::string_view signature_der) {
  Poco::JSON::Object o;
  o.set("format", std::string(kSummaryFormat));
  o.set("body", std::string(body));
  o.set("signature", schemas::codec::encodeBase64(signature_der, 0));
  return stringify(o);
}

Result<SummaryEnvelope> parseSummaryEnvelope(std::string_view bytes) {
  if (bytes.size() > kMaxSummaryBytes) {
    return fail(ErrorCode::TooLarge, "summary: " + std::to_string(bytes.size()) + " bytes, at most " +
                                         std::to_string(kMaxSummaryBytes));
  }
  auto o = parseObject(bytes, "summary");
  if (!o) return std::unexpected(o.error());
  auto format = stringOf(**o, "format", "summary");
  if (!format) return std::unexpected(format.error());
  if (*format != kSummaryFormat) {
    return fail(ErrorCode::InvalidArgument, "summary.format: '" + *format + "', expected '" +
                                                std::string(kSummaryFormat) + "'");
  }
  SummaryEnvelope e;
  auto body = stringOf(**o, "body", "summary");
  if (!body) return std::unexpected(body.error());
  e.body = std::move(*body);
  auto sig = stringOf(**o, "signature", "summary");
  if (!sig) return std::unexpected(sig.error());
  auto der = schemas::codec::decodeBase64(*sig);
  if (!der) return fail(ErrorCode::InvalidArgument, "summary.signature: " + der.error().message);
  if (der->empty()) return fail(ErrorCode::InvalidArgument, "summary.signature: empty");
  e.signature_der = std::move(*der);
  return e;
}

std::string figuresHash(const UnitDay& figures) {
  return sha256Hex(stringify(*rowJson(SummaryRow{figures, 0}, false)));
}

SummaryFigures toFigures(const UnitDay& d, std::int64_t version) {
  return SummaryFigures{d.unit, d.day, version, d.outgoing.electronic_only, d.outgoing.paper_only,
                        d.outgoing.both, d.outgoing.not_issued, d.received, d.rejected, d.recalled,
                        d.pdf.documents_checked, d.pdf.documents_unchecked, d.pdf.attachments,
                        d.pdf.both_valid, latencyText(d.latency)};
}

UnitDay fromFigures(const SummaryFigures& f) {
  UnitDay d;
  d.unit = f.unit;
  d.day = f.day;
  d.outgoing.electronic_only = f.electronic_only;
  d.outgoing.paper_only = f.paper_only;
  d.outgoing.both = f.both;
  d.outgoing.not_issued = f.not_issued;
  d.outgoing.total = f.electronic_only + f.paper_only + f.both + f.not_issued;
  d.received = f.received;
  d.rejected = f.rejected;
  d.recalled = f.recalled;
  d.pdf.documents_checked = f.pdf_checked;
  d.pdf.documents_unchecked = f.pdf_unchecked;
  d.pdf.attachments = f.pdf_attachments;
  d.pdf.both_valid = f.pdf_both_valid;
  d.latency = parseLatencyText(f.latency);
  return d;
}

// ---- SummaryBook ---------------------------------------------------------------------------

SummaryBook::SummaryBook(std::shared_ptr<SummaryStore> store) : store_(std::move(store)) {}

Result<std::shared_ptr<SummaryBook>> SummaryBook::open(const std::string& store_file) {
  auto s = openSqliteSummaryStore(store_file);
  if (!s) return std::unexpected(s.error());
  return std::make_shared<SummaryBook>(std::shared_ptr<SummaryStore>(std::move(*s)));
}

Result<int> SummaryBook::ingest() {
  std::lock_guard lock(ingest_mu_);
  auto cursor = store_->cursor();
  if (!cursor) return std::unexpected(cursor.error());
  int taken = 0;
  std::int64_t at = *cursor;
  for (;;) {
    auto messages = store_->summaryMessagesAfter(at, 50);
    if (!messages) return std::unexpected(messages.error());
    if (messages->empty()) break;
    std::vector<ReceivedRow> rows;
    std::vector<ReceivedCoverage> coverage;
    for (const auto& m : *messages) {
      at = m.id;
      auto env = parseSummaryEnvelope(m.bytes);
      if (!env) continue;
      auto batch = parseSummaryBody(env->body);
      if (!batch) continue;
      for (const auto& r : batch->rows) {
        rows.push_back(ReceivedRow{batch->node, m.id, toFigures(r.figures, r.version)});
      }
      for (const auto& c : batch->coverage) {
        coverage.push_back(ReceivedCoverage{batch->node, batch->made_ms,
                                            CoverageFigures{c.unit, c.needed, c.signers_valid, c.missing,
                                                            c.seals_valid, c.expiring}});
      }
    }
    auto n = store_->apply(rows, coverage, at, nowMs());
    if (!n) return std::unexpected(n.error());
    taken += *n;
  }
  return taken;
}

Result<std::vector<std::pair<std::string, UnitDay>>> SummaryBook::unitTotals(const std::string& from,
                                                                             const std::string& to) {
  if (auto in = ingest(); !in) return std::unexpected(in.error());
  auto totals = store_->totals(from, to);
  if (!totals) return std::unexpected(totals.error());
  std::vector<std::pair<std::string, UnitDay>> out;
  out.reserve(totals->size());
  for (const auto& t : *totals) out.emplace_back(t.node, fromFigures(t.figures));
  return out;
}

Result<std::vector<ReceivedCoverage>> SummaryBook::coverage() {
  if (auto in = ingest(); !in) return std::unexpected(in.error());
  return store_->coverage();
}

Result<std::vector<SummarySource>> SummaryBook::sources() {
  if (auto in = ingest(); !in) return std::unexpected(in.error());
  return store_->sources();
}

// ---- Summariser ----------------------------------------------------------------------------

Summariser::Summariser(std::shared_ptr<Reporter> reporter, std::shared_ptr<SummaryStore> store,
                       std::shared_ptr<StoreRelay> relay, BlobSigner signer, Options options)
    : reporter_(std::move(reporter)),
      store_(std::move(store)),
      relay_(std::move(relay)),
      signer_(std::move(signer)),
      options_(options) {}

Result<SummaryRunStats> Summariser::runIfDue() {
  {
    std::lock_guard lock(mu_);
    if (options_.interval_ms <= 0 || nowMs() - last_run_ms_ < options_.interval_ms) return SummaryRunStats{};
  }
  return run();
}

Result<SummaryRunStats> Summariser::run() {
  std::lock_guard lock(mu_);
  const std::int64_t started = nowMs();
  SummaryRunStats stats;
  const auto directory = reporter_->directory();  // `units` point into it
  const std::string self = reporter_->nodeName();
  const schemas::NodeInfo* me = directory->node(self);
  if (me == nullptr || me->parent.empty()) {
    last_run_ms_ = started;
    return stats;  // the top node reports, it sends nothing
  }
  stats.parent = me->parent;
  if (!signer_) return fail(ErrorCode::Config, "summaries: this node has no seal to sign them with (signing.key)");
  const auto units = reporter_->homeUnits(*directory);
  const std::string from =
      full_done_ && options_.window_days > 0 ? dayMinus(started, options_.window_days) : std::string();
  auto days = reporter_->unitDays(units, from, "");
  if (!days) return std::unexpected(days.error());
  auto outbox = store_->outbox();
  if (!outbox) return std::unexpected(outbox.error());

  std::vector<SummaryRow> changed;
  std::vector<OutboxMark> marks;
  for (auto& d : *days) {
    const std::string hash = figuresHash(d);
    auto it = outbox->find(d.unit + "\n" + d.day);
    if (it != outbox->end() && it->second.hash == hash) {
      ++stats.unchanged;
      continue;
    }
    const std::int64_t version = (it == outbox->end() ? 0 : it->second.version) + 1;
    marks.push_back(OutboxMark{d.unit, d.day, version, hash});
    changed.push_back(SummaryRow{std::move(d), version});
  }
  // The coverage of this node's units, when its CA counts any and it changed since last sent
  // (kept in the outbox under the key "\ncoverage").
  std::vector<UnitCoverage> coverage;
  std::optional<OutboxMark> coverage_mark;
  if (options_.coverage) {
    auto all = options_.coverage();
    if (!all) return fail(all.error().code, "summaries: coverage: " + all.error().message);
    for (auto& c : *all) {
      const schemas::Unit* u = directory->find(c.unit);
      if (u != nullptr && u->home_node == self) coverage.push_back(std::move(c));
    }
    std::sort(coverage.begin(), coverage.end(), [](const auto& a, const auto& b) { return a.unit < b.unit; });
    const std::string hash = sha256Hex(stringify(*coverageListJson(coverage)));
    auto it = outbox->find("\ncoverage");
    if (!coverage.empty() && (it == outbox->end() || it->second.hash != hash)) {
      coverage_mark = OutboxMark{"", "coverage", (it == outbox->end() ? 0 : it->second.version) + 1, hash};
    } else {
      coverage.clear();
    }
  }
  const std::size_t per = static_cast<std::size_t>(std::max(1, options_.rows_per_message));
  const std::size_t batches = std::max<std::size_t>(coverage_mark ? 1 : 0, (changed.size() + per - 1) / per);
  for (std::size_t k = 0; k < batches; ++k) {
    const std::size_t at = k * per;
    const std::size_t end = std::min(changed.size(), at + per);
    SummaryBatch batch;
    batch.node = self;
    batch.directory_version = directory->version();
    batch.made_ms = nowMs();
    batch.rows.assign(std::make_move_iterator(changed.begin() + static_cast<std::ptrdiff_t>(at)),
                      std::make_move_iterator(changed.begin() + static_cast<std::ptrdiff_t>(end)));
    if (k == 0) batch.coverage = coverage;
    const std::string body = summaryBodyJson(batch);
    auto signature = signer_(body);
    if (!signature) return fail(signature.error().code, "summaries: cannot sign: " + signature.error().message);
    NewMessage m;
    m.kind = MessageKind::Summary;
    m.sender = "node:" + self;
    m.bytes = summaryEnvelopeJson(body, *signature);
    m.content_hash = sha256Hex(m.bytes);
    m.dedupe_key = m.content_hash;
    m.document_id = "summary:" + self + ":" + std::to_string(batch.made_ms) + ":" + std::to_string(at / per);
    m.subject = "register summary: " + std::to_string(batch.rows.size()) + " unit-days" +
                (batch.rows.empty() ? "" : " " + batch.rows.front().figures.day + ".." + batch.rows.back().figures.day) +
                (batch.coverage.empty() ? "" : ", coverage of " + std::to_string(batch.coverage.size()) + " units");
    m.received_from = "node:" + self;
    m.deliveries.push_back(NewDelivery{"node:" + me->parent, RouteKind::Peer, me->parent, ""});
    m.audit_detail = m.subject + " for node " + me->parent;
    auto stored = relay_->insertMessage(m);
    if (!stored) return std::unexpected(stored.error());
    // Recorded only once the message is stored: a crash in between sends these rows again,
    // with the same versions, which the parent takes as the same rows.
    std::vector<OutboxMark> sent(marks.begin() + static_cast<std::ptrdiff_t>(std::min(at, end)),
                                 marks.begin() + static_cast<std::ptrdiff_t>(end));
    if (k == 0 && coverage_mark) sent.push_back(*coverage_mark);
    if (auto ok = store_->markSent(sent, nowMs()); !ok) return std::unexpected(ok.error());
    stats.rows += static_cast<int>(end - std::min(at, end));
    ++stats.messages;
  }
  full_done_ = true;
  last_run_ms_ = started;
  return stats;
}

// ---- Routes ----------------------------------------------------------------------------------

namespace {

class SummaryIntake {
 public:
  SummaryIntake(std::shared_ptr<SummaryBook> book, std::shared_ptr<Summariser> summariser,
                std::shared_ptr<StoreRelay> relay, std::shared_ptr<const schemas::LiveDirectory> directory,
                std::string node, SealCheck seal_check)
      : book_(std::move(book)),
        summariser_(std::move(summariser)),
        relay_(std::move(relay)),
        directory_(std::move(directory)),
        node_(std::move(node)),
        seal_check_(std::move(seal_check)) {}

  HttpResponse take(const HttpRequest& r) {
    const std::string from = r.credential.subject;
    auto env = parseSummaryEnvelope(r.body);
    if (!env) return HttpResponse::error(env.error());
    auto batch = parseSummaryBody(env->body);
    if (!batch) return HttpResponse::error(batch.error());
    const auto directory = directory_->current();
    const std::string step = directory->nodeStepToward(node_, batch->node);
    if (step.empty()) {
      return HttpResponse::error(httpError(
          ErrorCode::Forbidden, "summary of node '" + batch->node + "': that node is not below this node '" +
                                    node_ + "' in directory " + directory->version() +
                                    " / nút này không nằm dưới nút nhận"));
    }
    if (step != from) {
      return HttpResponse::error(httpError(
          ErrorCode::Forbidden, "summary of node '" + batch->node + "' comes to node '" + node_ +
                                    "' through node '" + step + "', not from node '" + from + "'"));
    }
    const schemas::Unit* seal = directory->topUnitOf(batch->node);
    if (seal == nullptr) {
      return HttpResponse::error(httpError(ErrorCode::Forbidden, "node '" + batch->node +
                                                                     "' hosts no unit: it has no seal to sign summaries"));
    }
    if (!seal_check_) {
      return HttpResponse::error(httpError(ErrorCode::Config, "this node has no trust list to check summaries with"));
    }
    if (auto ok = seal_check_(env->body, env->signature_der, *seal); !ok) {
      return HttpResponse::error(httpError(ok.error().code, "summary of node '" + batch->node +
                                                                "': " + ok.error().message));
    }
    for (std::size_t i = 0; i < batch->rows.size(); ++i) {
      const auto& unit = batch->rows[i].figures.unit;
      const schemas::Unit* u = directory->find(unit);
      if (u == nullptr) {
        return HttpResponse::error(httpError(ErrorCode::UnknownUnit, "rows[" + std::to_string(i) + "].unit: '" + unit +
                                                                         "' is not in directory " + directory->version()));
      }
      if (u->home_node != batch->node) {
        return HttpResponse::error(httpError(
            ErrorCode::Forbidden, "rows[" + std::to_string(i) + "].unit: " + unit + " is homed at node '" +
                                      u->home_node + "', not at node '" + batch->node +
                                      "': a node summarises its own units only"));
      }
    }
    for (std::size_t i = 0; i < batch->coverage.size(); ++i) {
      const auto& unit = batch->coverage[i].unit;
      const schemas::Unit* u = directory->find(unit);
      if (u == nullptr || u->home_node != batch->node) {
        return HttpResponse::error(httpError(
            ErrorCode::Forbidden, "coverage[" + std::to_string(i) + "].unit: " + unit + " is " +
                                      (u ? "homed at node '" + u->home_node + "'" : std::string("not in the directory")) +
                                      ", not at node '" + batch->node + "': a node sends its own units' coverage only"));
      }
    }
    NewMessage m;
    m.kind = MessageKind::Summary;
    m.sender = "node:" + batch->node;
    m.bytes = r.body;
    m.content_hash = sha256Hex(m.bytes);
    m.dedupe_key = m.content_hash;
    m.document_id = "summary:" + batch->node + ":" + std::to_string(batch->made_ms);
    m.hops = r.header("x-lienthong-hops");
    m.subject = "register summary: " + std::to_string(batch->rows.size()) + " unit-days from node " + batch->node;
    m.received_from = "node:" + from;
    const schemas::NodeInfo* me = directory->node(node_);
    std::string forward;
    if (me != nullptr && !me->parent.empty()) {
      forward = me->parent;
      m.deliveries.push_back(NewDelivery{"node:" + forward, RouteKind::Peer, forward, ""});
    }
    m.audit_detail = m.subject + (forward.empty() ? "" : ", forwarded to node " + forward);
    auto stored = relay_->insertMessage(m);
    if (!stored) return HttpResponse::error(stored.error());
    if (auto in = book_->ingest(); !in) return HttpResponse::error(in.error());
    Poco::JSON::Object o;
    o.set("id", stored->id);
    o.set("duplicate", stored->duplicate);
    o.set("rows", static_cast<std::int64_t>(batch->rows.size()));
    o.set("forwarded_to", forward);
    return HttpResponse::json(stored->duplicate ? 200 : 202, stringify(o));
  }

  HttpResponse send() {
    if (!summariser_) return HttpResponse::error(httpError(ErrorCode::Config, "this node makes no summaries"));
    auto s = summariser_->run();
    if (!s) return HttpResponse::error(s.error());
    Poco::JSON::Object o;
    o.set("parent", s->parent);
    o.set("rows", s->rows);
    o.set("unchanged", s->unchanged);
    o.set("messages", s->messages);
    return HttpResponse::json(200, stringify(o));
  }

  HttpResponse list() {
    auto sources = book_->sources();
    if (!sources) return HttpResponse::error(sources.error());
    Poco::JSON::Array a;
    for (const auto& s : *sources) {
      Poco::JSON::Object::Ptr x = new Poco::JSON::Object;
      x->set("node", s.node);
      x->set("rows", s.rows);
      x->set("units", s.units);
      x->set("messages", s.messages);
      x->set("first_day", s.first_day);
      x->set("last_day", s.last_day);
      x->set("last_received", s.last_received_ms > 0 ? timestampVn(s.last_received_ms) : std::string());
      a.add(x);
    }
    Poco::JSON::Object o;
    o.set("node", node_);
    o.set("sources", a);
    return HttpResponse::json(200, stringify(o));
  }

 private:
  std::shared_ptr<SummaryBook> book_;
  std::shared_ptr<Summariser> summariser_;
  std::shared_ptr<StoreRelay> relay_;
  std::shared_ptr<const schemas::LiveDirectory> directory_;
  std::string node_;
  SealCheck seal_check_;
};

}  // namespace

std::vector<HttpRoute> summaryRoutes(std::shared_ptr<SummaryBook> book, std::shared_ptr<Summariser> summariser,
                                     std::shared_ptr<StoreRelay> relay,
                                     std::shared_ptr<const schemas::LiveDirectory> directory,
                                     std::string node, SealCheck seal_check) {
  auto intake = std::make_shared<SummaryIntake>(std::move(book), std::move(summariser), std::move(relay),
                                                std::move(directory), std::move(node), std::move(seal_check));
  std::vector<HttpRoute> routes;
  routes.push_back({"POST", "/api/v1/summaries", false, {Role::Node}, kMaxSummaryBytes,
                    [intake](const HttpRequest& r) { return intake->take(r); }});
  routes.push_back({"POST", "/api/v1/summaries/send", false, {Role::Admin}, 1024,
                    [intake](const HttpRequest&) { return intake->send(); }});
  routes.push_back({"GET", "/api/v1/summaries", false, {Role::Auditor, Role::Admin}, 0,
                    [intake](const HttpRequest&) { return intake->list(); }});
  return routes;
}

}  // namespace lienthong::gateway
