// The tamper-evident audit log on top of the store's hash-chained records: signed checkpoints
// (every N records or M minutes, and when the node stops), and the check an auditor runs.
// A checkpoint is JSON ({"node","last_record","last_hash","records","at"}) signed by the node's
// seal as detached CMS; it pins the head of the chain, so records cut from the end are caught.
// AuditCheckpointer is thread-safe (its own thread plus checkpointNow from any thread);
// verifyAuditLog is a pure function of the store's contents.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "lienthong/gateway/store/store.h"

namespace lienthong::gateway {

// Signs bytes as the node: a detached CMS SignedData (DER) over them (the audit checkpoints).
using BlobSigner = std::function<Result<std::string>(std::string_view content)>;
// Checks a detached CMS signature over `content`; on success, the signer's subject.
using BlobVerifier =
    std::function<Result<std::string>(std::string_view content, std::string_view cms_der)>;

class AuditCheckpointer {
 public:
  // `outside_file`: each checkpoint is also appended (one JSON line, fsync) to this file outside
  // the store, so a store that loses its tail cannot take its checkpoints with it.
  AuditCheckpointer(Store& store, std::string node, BlobSigner signer, int every_records,
                    int every_minutes, std::string outside_file = {});
  ~AuditCheckpointer();
  AuditCheckpointer(const AuditCheckpointer&) = delete;
  AuditCheckpointer& operator=(const AuditCheckpointer&) = delete;

  // Starts the thread that checkpoints when `every_records` records or `every_minutes` minutes
  // have passed since the last checkpoint.
  void start();
  void stop();
  // Signs and stores a checkpoint of the current head; nullopt when nothing was appended since
  // the last one.
  Result<std::optional<AuditCheckpoint>> checkpointNow();

 private:
  void loop();

  Store& store_;
  std::string node_;
  BlobSigner signer_;
  std::string outside_file_;
  int every_records_;
  int every_minutes_;
  std::mutex checkpoint_mu_;  // serializes checkpointNow (one checkpoint at a time)
  std::mutex mu_;             // guards stopping_
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

struct AuditVerification {
  bool intact = true;
  std::int64_t records = 0;      // records checked
  std::int64_t checkpoints = 0;  // checkpoints checked
  std::int64_t first_bad = 0;    // the first altered or missing record (0 when intact)
  std::string problem;           // what is wrong, naming the record
  std::vector<std::string> warnings;
};

// What was kept outside the store: the checkpoints appended to the checkpoint file and the head
// the store rewrites after each commit (see StoreOpenOptions).
struct OutsideEvidence {
  std::string checkpoint_file;
  std::vector<AuditCheckpoint> checkpoints;
  std::string head_file;
  std::optional<AuditHead> head;
};
// The checkpoint file beside a store: <data>/audit-checkpoints.jsonl.
inline constexpr const char* kCheckpointFileName = "audit-checkpoints.jsonl";
// Reads a checkpoint file (none when it does not exist); Storage naming the line when damaged.
Result<std::vector<AuditCheckpoint>> readCheckpointFile(const std::string& file);
// The checkpoint file and audit head of the store at `store_file` (in its folder).
Result<OutsideEvidence> outsideEvidence(const std::string& store_file);

// Recomputes the chain from the first record and compares it with every checkpoint, those in
// the store and those kept outside it, and with the head kept outside. `verify` checks
// checkpoint signatures (when empty they are compared but reported as unauthenticated).
// `progress(done, total)` is called every few thousand records.
Result<AuditVerification> verifyAuditLog(
    Store& store, const BlobVerifier& verify,
    const std::function<void(std::int64_t, std::int64_t)>& progress = {},
    const OutsideEvidence& outside = {});

// The checkpoint's JSON body fields, parsed; InvalidArgument when the body is not one.
struct CheckpointBody {
  std::string node;
  std::int64_t last_record = 0;
  std::string last_hash;
  std::int64_t records = 0;
  std::string at;
};
Result<CheckpointBody> parseCheckpointBody(const std::string& body);

}  // namespace lienthong::gateway
