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

#include "lienthong/gateway/signature.h"
#include "lienthong/gateway/store.h"

namespace lienthong::gateway {

class AuditCheckpointer {
 public:
  AuditCheckpointer(Store& store, std::string node, BlobSigner signer, int every_records,
                    int every_minutes);
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

// Recomputes the chain from the first record and compares it with every checkpoint. `verify`
// checks checkpoint signatures (when empty they are compared but reported as unauthenticated).
// `progress(done, total)` is called every few thousand records.
Result<AuditVerification> verifyAuditLog(
    Store& store, const BlobVerifier& verify,
    const std::function<void(std::int64_t, std::int64_t)>& progress = {});

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
