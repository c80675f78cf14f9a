#include "lienthong/gateway/app/retire.h"

#include <Poco/Exception.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>

#include <filesystem>
#include <set>

#include "lienthong/gateway/app/serve.h"
#include "lienthong/gateway/store/clock.h"
#include "lienthong/gateway/store/register_store.h"
#include "lienthong/gateway/store/store.h"

namespace lienthong::gateway {

namespace fs = std::filesystem;

Result<void> checkNodeStopped(const NodeConfig& c) {
  if (c.http.port == 0) return {};
  try {
    Poco::Net::ServerSocket probe;
    // SO_REUSEADDR: a port left in TIME_WAIT by the stopped node binds; one listened on does not.
    probe.bind(Poco::Net::SocketAddress(c.http.host, static_cast<Poco::UInt16>(c.http.port)), true, false);
    probe.listen(1);
    probe.close();
    return {};
  } catch (const Poco::Exception& e) {
    return fail(ErrorCode::Config, "node '" + c.name + "' still listens on " + c.http.host + ":" +
                                       std::to_string(c.http.port) + " (" + e.displayText() +
                                       "): stop it first (systemctl stop lienthong) / hãy dừng nút trước");
  }
}

namespace {

std::string urlList(const std::set<std::string>& units) {
  std::string out;
  for (const auto& u : units) {
    if (!out.empty()) out += ',';
    out += u;
  }
  return out;
}

class Sender {
 public:
  Sender(HttpsClient& to, RetireReport& report) : to_(to), report_(report) {}

  Result<HandoverView> view(const std::set<std::string>& units) {
    auto r = to_.request("GET", "/api/v1/handover/" + report_.node + "?units=" + urlList(units), {}, "application/json");
    if (!r) return std::unexpected(r.error());
    if (r->status != 200) return refused(*r);
    return parseView(r->body);
  }

  Result<void> send(const HandoverBatch& b) {
    auto r = to_.request("POST", "/api/v1/handover", handoverJson(b), "application/json");
    if (!r) return std::unexpected(r.error());
    if (r->status != 200) return refused(*r);
    auto o = parseOutcome(r->body);
    if (!o) return std::unexpected(o.error());
    auto& s = report_.sent;
    s.taken += o->taken;
    s.merged += o->merged;
    s.again += o->again;
    s.deliveries += o->deliveries;
    s.register_added += o->register_added;
    s.register_replaced += o->register_replaced;
    s.statuses_added += o->statuses_added;
    s.statuses_held += o->statuses_held;
    return {};
  }

 private:
  // The other node's refusal, with its own words.
  std::unexpected<Error> refused(const ClientResponse& r) {
    const ErrorCode code = r.status == 409 ? ErrorCode::Conflict
                           : r.status == 401 || r.status == 403 ? ErrorCode::Forbidden
                                                                : ErrorCode::InvalidArgument;
    return std::unexpected(Error{code, "node '" + report_.to + "' answered HTTP " + std::to_string(r.status) + ": " + r.body, 0, {}});
  }

  HttpsClient& to_;
  RetireReport& report_;
};

}  // namespace

bool RetireReport::nothingLeftBehind() const {
  return messages == messages_there && digest == digest_there && register_here == register_there && pending_left == 0;
}

Result<RetireReport> retireNode(const NodeConfig& config, HttpsClient& to, const RetireOptions& options,
                                std::ostream& progress) {
  RetireReport report;
  report.node = config.name;
  if (report.node.empty()) {
    return fail(ErrorCode::Config, config.source + ": node.name is not set; a node that hands over names itself");
  }
  if (auto ok = checkNodeStopped(config); !ok) return std::unexpected(ok.error());
  const std::string file = (fs::path(config.data_dir) / "store.sqlite").string();
  if (!fs::exists(file)) return fail(ErrorCode::Config, "no store at '" + file + "' (node.data of " + config.source + ")");
  auto store = openSqliteStore(file);
  if (!store) return std::unexpected(store.error());
  auto reg = openSqliteRegisterStore(file);
  if (!reg) return std::unexpected(reg.error());
  auto dir = options.directory ? Result<std::shared_ptr<const schemas::Directory>>(options.directory)
                               : loadNodeDirectory(config);
  if (!dir) return std::unexpected(dir.error());

  // Its units: those its directory homes here, and any its register holds lines of (the
  // directory file may already be the re-homed one).
  RegisterQuery all;
  auto out_lines = (*reg)->entries(all);
  if (!out_lines) return std::unexpected(out_lines.error());
  all.direction = RegisterDirection::Incoming;
  auto in_lines = (*reg)->entries(all);
  if (!in_lines) return std::unexpected(in_lines.error());
  std::set<std::string> units;
  for (const auto& u : (*dir)->units()) {
    if (u.home_node == report.node) units.insert(u.code);
  }
  for (const auto* lines : {&*out_lines, &*in_lines}) {
    for (const auto& e : *lines) units.insert(e.unit);
  }
  report.units = static_cast<std::int64_t>(units.size());
  report.register_here = tallyRegister(*out_lines, *in_lines);
  auto before = (*store)->counts();
  if (!before) return std::unexpected(before.error());
  report.pending = before->pending;

  Sender sender(to, report);
  auto first = sender.view(units);
  if (!first) return std::unexpected(first.error());
  report.to = first->node;
  report.to_directory = first->directory;
  std::vector<std::string> not_moved;
  for (const auto& u : units) {
    auto it = first->homes.find(u);
    if (it == first->homes.end() || it->second.empty() || it->second == report.node) not_moved.push_back(u);
  }
  if (!not_moved.empty()) {
    std::string list;
    for (std::size_t i = 0; i < not_moved.size() && i < 10; ++i) list += (i ? ", " : "") + not_moved[i];
    if (not_moved.size() > 10) list += ", ...";
    const auto it = first->homes.find(not_moved.front());
    return fail(ErrorCode::Conflict,
                std::to_string(not_moved.size()) + " of node '" + report.node + "''s units are " +
                    (it != first->homes.end() && it->second.empty() ? "unknown to" : "still homed at '" + report.node + "' in") +
                    " the directory of node '" + report.to + "' (version " + report.to_directory + "): " + list +
                    "; re-home them there first (edit its directory, then lienthong directory reload), then run this again"
                    " / hãy chuyển các đơn vị sang nút nhận trong danh bạ của nút đó trước");
  }
  progress << "handing node '" << report.node << "' over to node '" << report.to << "' (directory "
           << report.to_directory << "): " << before->messages << " messages, "
           << out_lines->size() + in_lines->size() << " register lines of " << units.size() << " units\n";

  // Messages, in id order, with all their deliveries; the digest over what was sent.
  std::vector<HandoverItem> mine;
  HandoverBatch batch;
  batch.from_node = report.node;
  std::size_t bytes = 0;
  const auto flush = [&]() -> Result<void> {
    if (batch.messages.empty() && batch.register_lines.empty() && batch.statuses.empty()) return {};
    if (auto ok = sender.send(batch); !ok) return ok;
    batch.messages.clear();
    batch.register_lines.clear();
    batch.statuses.clear();
    bytes = 0;
    return {};
  };
  std::int64_t after = 0;
  for (;;) {
    auto page = (*store)->messagesAfter(after, options.batch_messages);
    if (!page) return std::unexpected(page.error());
    if (page->empty()) break;
    for (const auto& m : *page) {
      after = m.id;
      auto deliveries = (*store)->deliveriesOf(m.id);
      if (!deliveries) return std::unexpected(deliveries.error());
      if (!batch.messages.empty() && (bytes + m.bytes.size() > options.batch_bytes ||
                                      static_cast<int>(batch.messages.size()) >= options.batch_messages)) {
        if (auto ok = flush(); !ok) return std::unexpected(ok.error());
      }
      bytes += m.bytes.size();
      batch.messages.push_back(handedMessage(report.node, m, *deliveries));
      mine.push_back(HandoverItem{m.id, 0, m.content_hash});
    }
    if (auto ok = flush(); !ok) return std::unexpected(ok.error());
    progress << "  messages: " << mine.size() << "/" << before->messages << "\n";
  }
  report.messages = static_cast<std::int64_t>(mine.size());
  report.digest = handoverDigest(mine);

  // The register, then the status records.
  std::size_t lines_sent = 0;
  for (const auto* lines : {&*out_lines, &*in_lines}) {
    for (const auto& e : *lines) {
      batch.register_lines.push_back(e);
      if (static_cast<int>(batch.register_lines.size()) >= options.batch_lines) {
        lines_sent += batch.register_lines.size();
        if (auto ok = flush(); !ok) return std::unexpected(ok.error());
        progress << "  register lines: " << lines_sent << "/" << out_lines->size() + in_lines->size() << "\n";
      }
    }
  }
  lines_sent += batch.register_lines.size();
  if (auto ok = flush(); !ok) return std::unexpected(ok.error());
  progress << "  register lines: " << lines_sent << "/" << out_lines->size() + in_lines->size() << "\n";
  auto statuses = (*store)->allStatuses();
  if (!statuses) return std::unexpected(statuses.error());
  for (const auto& s : *statuses) {
    batch.statuses.push_back(s);
    if (static_cast<int>(batch.statuses.size()) >= options.batch_lines) {
      if (auto ok = flush(); !ok) return std::unexpected(ok.error());
    }
  }
  if (auto ok = flush(); !ok) return std::unexpected(ok.error());
  report.statuses = static_cast<std::int64_t>(statuses->size());
  progress << "  status records: " << report.statuses << "\n";

  // The proof: what the other node holds now, against what is here.
  auto last = sender.view(units);
  if (!last) return std::unexpected(last.error());
  report.messages_there = last->messages;
  report.digest_there = last->digest;
  report.register_there = last->register_tally;
  const bool equal = report.messages == report.messages_there && report.digest == report.digest_there &&
                     report.register_here == report.register_there;
  if (!equal) {
    report.pending_left = report.pending;
    return report;  // nothing marked: the caller prints the difference
  }
  auto handed = (*store)->handOver(report.to, options.actor, nowMs());
  if (!handed) return std::unexpected(handed.error());
  report.handed_over = *handed;
  auto after_counts = (*store)->counts();
  if (!after_counts) return std::unexpected(after_counts.error());
  report.pending_left = after_counts->pending;
  (void)(*store)->appendAudit(AuditEntry{
      "node retired", options.actor, "", "node:" + report.to,
      "handed over to node " + report.to + " (directory " + report.to_directory + "): " +
          std::to_string(report.messages) + " messages (digest " + report.digest + ", equal there), " +
          std::to_string(lines_sent) + " register lines of " + std::to_string(report.units) + " units (equal there), " +
          std::to_string(report.statuses) + " status records; " + std::to_string(report.handed_over) +
          " deliveries marked handed_over, " + std::to_string(report.pending_left) + " pending left"});
  return report;
}

void printRetireReport(std::ostream& out, const RetireReport& r) {
  const auto mark = [](bool ok) { return ok ? "equal" : "DIFFERENT"; };
  std::int64_t here = 0, there = 0;
  for (const auto& [unit, t] : r.register_here) here += t.outgoing + t.incoming;
  for (const auto& [unit, t] : r.register_there) there += t.outgoing + t.incoming;
  out << "node '" << r.node << "' -> node '" << r.to << "' (directory " << r.to_directory << ")\n"
      << "  messages        " << r.messages << " here, " << r.messages_there << " there, digest "
      << r.digest.substr(0, 16) << " " << mark(r.messages == r.messages_there && r.digest == r.digest_there) << "\n"
      << "                  " << r.sent.taken << " new there, " << r.sent.merged << " held there already, "
      << r.sent.again << " sent before; " << r.sent.deliveries << " deliveries taken on\n"
      << "  register lines  " << here << " here, " << there << " there for its " << r.units << " units, "
      << mark(r.register_here == r.register_there) << " per unit and channel\n"
      << "  status records  " << r.statuses << " sent (" << r.sent.statuses_added << " new there)\n"
      << "  deliveries      " << r.pending << " were pending here, " << r.handed_over << " marked handed_over, "
      << r.pending_left << " pending left\n";
  for (const auto& [unit, t] : r.register_here) {
    auto it = r.register_there.find(unit);
    if (it != r.register_there.end() && it->second == t) continue;
    out << "  differs: " << unit << ": here " << t.outgoing << " out / " << t.incoming << " in, there "
        << (it == r.register_there.end() ? std::string("nothing")
                                         : std::to_string(it->second.outgoing) + " out / " +
                                               std::to_string(it->second.incoming) + " in")
        << "\n";
  }
  if (r.nothingLeftBehind()) {
    out << "nothing was left behind: node '" << r.node << "' can be switched off\n"
        << "không còn gì bị bỏ lại: có thể tắt nút '" << r.node << "'\n";
  } else {
    out << "the handover is NOT complete: nothing was marked here; run the command again\n"
        << "bàn giao CHƯA xong: chưa đánh dấu gì ở nút này; hãy chạy lại lệnh\n";
  }
}

}  // namespace lienthong::gateway
