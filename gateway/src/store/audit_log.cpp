#include "lienthong/gateway/store/audit_log.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "lienthong/gateway/store/clock.h"
#include "lienthong/schemas/codec.h"

#include <fcntl.h>
#include <unistd.h>

namespace lienthong::gateway {

AuditCheckpointer::AuditCheckpointer(Store& store, std::string node, BlobSigner signer,
                                     int every_records, int every_minutes, std::string outside_file)
    : store_(store),
      node_(std::move(node)),
      signer_(std::move(signer)),
      outside_file_(std::move(outside_file)),
      every_records_(every_records),
      every_minutes_(every_minutes) {}

AuditCheckpointer::~AuditCheckpointer() { stop(); }

void AuditCheckpointer::start() {
  std::lock_guard lock(mu_);
  stopping_ = false;
  if (!thread_.joinable()) thread_ = std::thread([this] { loop(); });
}

void AuditCheckpointer::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void AuditCheckpointer::loop() {
  while (true) {
    {
      std::unique_lock lock(mu_);
      if (cv_.wait_for(lock, std::chrono::milliseconds(500), [&] { return stopping_; })) return;
    }
    auto last = store_.lastAudit();
    auto cps = store_.checkpoints();
    if (!last || !cps || !*last) continue;
    const std::int64_t covered = cps->empty() ? 0 : cps->back().last_record;
    const std::int64_t since_ms = cps->empty() ? 0 : cps->back().at_ms;
    const bool by_count = (*last)->id - covered >= every_records_;
    const bool by_time = (*last)->id > covered &&
                         nowMs() - since_ms >= static_cast<std::int64_t>(every_minutes_) * 60000;
    if (by_count || by_time) (void)checkpointNow();
  }
}

Result<std::optional<AuditCheckpoint>> AuditCheckpointer::checkpointNow() {
  std::lock_guard lock(checkpoint_mu_);
  auto last = store_.lastAudit();
  if (!last) return std::unexpected(last.error());
  auto cps = store_.checkpoints();
  if (!cps) return std::unexpected(cps.error());
  if (!*last || (!cps->empty() && cps->back().last_record == (*last)->id)) {
    return std::optional<AuditCheckpoint>{};
  }
  AuditCheckpoint c;
  c.at_ms = nowMs();
  c.last_record = (*last)->id;
  c.last_hash = (*last)->hash;
  c.records = (*last)->id;
  Poco::JSON::Object o;
  o.set("node", node_);
  o.set("last_record", c.last_record);
  o.set("last_hash", c.last_hash);
  o.set("records", c.records);
  o.set("at", timestampVn(c.at_ms));
  std::ostringstream body;
  o.stringify(body);
  c.body = body.str();
  auto sig = signer_(c.body);
  if (!sig) return std::unexpected(sig.error());
  c.signature = schemas::codec::encodeBase64(*sig, 0);
  if (auto r = store_.addCheckpoint(c); !r) return std::unexpected(r.error());
  if (!outside_file_.empty()) {
    Poco::JSON::Object line;
    line.set("at_ms", c.at_ms);
    line.set("last_record", c.last_record);
    line.set("last_hash", c.last_hash);
    line.set("records", c.records);
    line.set("body", c.body);
    line.set("signature", c.signature);
    std::ostringstream text;
    line.stringify(text);
    const std::string bytes = text.str() + "\n";
    const int fd = ::open(outside_file_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    const bool ok = fd >= 0 && ::write(fd, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size()) &&
                    ::fsync(fd) == 0;
    if (fd >= 0) ::close(fd);
    if (!ok) {
      return fail(ErrorCode::Io, "audit checkpoint " + std::to_string(c.last_record) +
                                     " is in the store but could not be appended to '" +
                                     outside_file_ + "'");
    }
  }
  return std::optional<AuditCheckpoint>{c};
}

Result<std::vector<AuditCheckpoint>> readCheckpointFile(const std::string& file) {
  std::vector<AuditCheckpoint> out;
  std::ifstream in(file);
  if (!in) return out;
  std::string line;
  int lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (line.empty()) continue;
    try {
      Poco::JSON::Parser p;
      auto o = p.parse(line).extract<Poco::JSON::Object::Ptr>();
      AuditCheckpoint c;
      c.id = lineno;
      c.at_ms = o->getValue<std::int64_t>("at_ms");
      c.last_record = o->getValue<std::int64_t>("last_record");
      c.last_hash = o->getValue<std::string>("last_hash");
      c.records = o->getValue<std::int64_t>("records");
      c.body = o->getValue<std::string>("body");
      c.signature = o->getValue<std::string>("signature");
      out.push_back(std::move(c));
    } catch (const Poco::Exception& e) {
      // A line cut by a crash while it was appended is the last one: what precedes it stands.
      if (in.peek() == std::char_traits<char>::eof()) break;
      return fail(ErrorCode::Storage, file + ":" + std::to_string(lineno) +
                                          ": not a checkpoint line: " + e.displayText());
    }
  }
  return out;
}

Result<OutsideEvidence> outsideEvidence(const std::string& store_file) {
  OutsideEvidence e;
  e.checkpoint_file = (std::filesystem::path(store_file).parent_path() / kCheckpointFileName).string();
  auto cps = readCheckpointFile(e.checkpoint_file);
  if (!cps) return std::unexpected(cps.error());
  e.checkpoints = std::move(*cps);
  e.head_file = auditHeadPath(store_file);
  auto head = readAuditHead(e.head_file);
  if (!head) return std::unexpected(head.error());
  if (*head && (*head)->last_record > 0) e.head = *head;  // record 0: the log was empty then
  return e;
}

Result<CheckpointBody> parseCheckpointBody(const std::string& body) {
  try {
    Poco::JSON::Parser p;
    auto o = p.parse(body).extract<Poco::JSON::Object::Ptr>();
    CheckpointBody b;
    b.node = o->getValue<std::string>("node");
    b.last_record = o->getValue<std::int64_t>("last_record");
    b.last_hash = o->getValue<std::string>("last_hash");
    b.records = o->getValue<std::int64_t>("records");
    b.at = o->getValue<std::string>("at");
    return b;
  } catch (const Poco::Exception& e) {
    return fail(ErrorCode::InvalidArgument, "checkpoint body is not valid: " + e.displayText());
  }
}

Result<AuditVerification> verifyAuditLog(
    Store& store, const BlobVerifier& verify,
    const std::function<void(std::int64_t, std::int64_t)>& progress, const OutsideEvidence& outside) {
  AuditVerification out;
  auto last = store.lastAudit();
  if (!last) return std::unexpected(last.error());
  const std::int64_t total = *last ? (*last)->id : 0;
  auto cps = store.checkpoints();
  if (!cps) return std::unexpected(cps.error());

  // The signed bodies say which record each checkpoint pins; remember those hashes on the way.
  std::vector<std::pair<AuditCheckpoint, CheckpointBody>> pinned;
  std::vector<std::string> kept_in;  // "" for the store's checkpoints, else the file
  std::map<std::int64_t, std::string> hash_at;
  std::vector<AuditCheckpoint> all = *cps;
  all.insert(all.end(), outside.checkpoints.begin(), outside.checkpoints.end());
  for (std::size_t i = 0; i < all.size(); ++i) {
    const auto& c = all[i];
    const bool in_store = i < cps->size();
    auto body = parseCheckpointBody(c.body);
    if (!body) {
      out.intact = false;
      out.problem = "checkpoint " + std::to_string(c.id) +
                    (in_store ? "" : " (line of " + outside.checkpoint_file + ")") + ": " +
                    body.error().message;
      return out;
    }
    if (verify) {
      auto der = schemas::codec::decodeBase64(c.signature);
      auto ok = der ? verify(c.body, *der) : Result<std::string>(std::unexpected(der.error()));
      if (!ok) {
        out.intact = false;
        out.problem = "checkpoint " + std::to_string(c.id) + " of " + body->at +
                      ": its signature does not verify (" + ok.error().message + ")";
        return out;
      }
    }
    hash_at[body->last_record];
    pinned.emplace_back(c, *body);
    kept_in.push_back(in_store ? std::string() : outside.checkpoint_file);
  }
  if (outside.head) hash_at[outside.head->last_record];
  if (!verify && !pinned.empty()) {
    out.warnings.push_back("checkpoint signatures not checked (no trust store given)");
  }

  std::string prev(kAuditGenesis);
  std::int64_t expect = 1;
  std::int64_t after = 0;
  while (true) {
    auto batch = store.auditRecords(after, 5000);
    if (!batch) return std::unexpected(batch.error());
    if (batch->empty()) break;
    for (const auto& r : *batch) {
      if (r.id != expect) {
        out.intact = false;
        out.first_bad = expect;
        out.problem = "record " + std::to_string(expect) + " is missing (the log jumps from record " +
                      std::to_string(expect - 1) + " to record " + std::to_string(r.id) + ")";
        return out;
      }
      if (auditRecordHash(r) != r.hash) {
        out.intact = false;
        out.first_bad = r.id;
        out.problem = "record " + std::to_string(r.id) +
                      " was altered: its content does not match its hash (event '" + r.event +
                      "', document '" + r.document_id + "')";
        return out;
      }
      if (r.prev_hash != prev) {
        out.intact = false;
        out.first_bad = r.id;
        out.problem = "record " + std::to_string(r.id) + " does not follow record " +
                      std::to_string(r.id - 1) +
                      " (its prev_hash differs): a record was replaced or re-hashed there";
        return out;
      }
      if (auto it = hash_at.find(r.id); it != hash_at.end()) it->second = r.hash;
      prev = r.hash;
      ++expect;
      ++out.records;
      after = r.id;
    }
    if (progress) progress(out.records, total);
  }

  // The store's own checkpoints first, then the head kept outside (the latest record known to
  // have been committed), then the checkpoints kept outside.
  const auto pinnedProblem = [&](std::size_t i) {
    const auto& [c, body] = pinned[i];
    const std::string kept = kept_in[i].empty() ? "" : ", kept in " + kept_in[i] + ",";
    ++out.checkpoints;
    if (body.last_record > out.records) {
      out.intact = false;
      out.first_bad = out.records + 1;
      out.problem = "records " + std::to_string(out.records + 1) + " to " +
                    std::to_string(body.last_record) + " are missing: the log ends at record " +
                    std::to_string(out.records) + " but the checkpoint signed at " + body.at + kept +
                    " covers up to record " + std::to_string(body.last_record) + " (tail cut)";
      return true;
    }
    if (hash_at[body.last_record] != body.last_hash) {
      out.intact = false;
      out.first_bad = body.last_record;
      out.problem = "record " + std::to_string(body.last_record) +
                    " differs from the checkpoint signed at " + body.at + kept +
                    " (the chain was rebuilt after it was signed)";
      return true;
    }
    return false;
  };
  for (std::size_t i = 0; i < pinned.size(); ++i) {
    if (kept_in[i].empty() && pinnedProblem(i)) return out;
  }
  if (const auto& h = outside.head) {
    if (h->last_record > out.records) {
      out.intact = false;
      out.first_bad = out.records + 1;
      out.problem = "records " + std::to_string(out.records + 1) + " to " +
                    std::to_string(h->last_record) + " are missing: the log ends at record " +
                    std::to_string(out.records) + " but " + outside.head_file + " says record " +
                    std::to_string(h->last_record) + " was committed at " + timestampVn(h->at_ms) +
                    " (the store lost its tail)";
      return out;
    }
    if (hash_at[h->last_record] != h->last_hash) {
      out.intact = false;
      out.first_bad = h->last_record;
      out.problem = "record " + std::to_string(h->last_record) + " differs from the one " +
                    outside.head_file + " says was committed at " + timestampVn(h->at_ms);
      return out;
    }
  }
  for (std::size_t i = 0; i < pinned.size(); ++i) {
    if (!kept_in[i].empty() && pinnedProblem(i)) return out;
  }
  return out;
}

}  // namespace lienthong::gateway
