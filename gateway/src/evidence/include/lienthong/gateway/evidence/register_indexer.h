// Fills the register from the store: every document stored since the last run whose sender is a
// unit homed at this node becomes an outgoing entry (number, date, type, subject, signer and
// recipients read from the stored bytes with schemas::Package::parse), and every local delivery
// becomes an incoming entry for the recipient. Only new documents (Bussiness 0) make register
// lines; revoke/update/replace packages act on an earlier line and are not counted again.
// Incremental: a cursor (the last message id indexed) is kept in the register's tables and moved
// in the same transaction as the entries it covers, so a crash never indexes a message twice or
// skips one.
//
// When to call run(): the node calls it after intake (or periodically, e.g. from the dispatcher's
// loop), and every report and register export calls it before reading, so the figures always
// include what the store holds. Thread-safe: runs are serialized by a mutex.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "lienthong/gateway/evidence/register.h"
#include "lienthong/schemas/live_directory.h"
#include "lienthong/schemas/directory.h"

namespace lienthong::signing {
class PdfVerifier;
}

namespace lienthong::gateway {

struct IndexStats {
  int documents = 0;  // documents read from the store
  int outgoing = 0;   // outgoing entries added
  int incoming = 0;   // incoming entries added
  int unreadable = 0;  // stored bytes that no longer parse (entry kept, noted as such)
  std::int64_t cursor = 0;
};

class RegisterIndexer {
 public:
  // `pdf_verifier`, when given, checks each PDF attachment for both signatures (personal, then
  // agency); without it the PDF figures stay "not measured".
  RegisterIndexer(std::shared_ptr<RegisterBook> book,
                  std::shared_ptr<const schemas::LiveDirectory> directory, std::string node_name,
                  std::shared_ptr<const signing::PdfVerifier> pdf_verifier = nullptr);

  // Indexes everything stored since the last run, in batches of `batch` messages.
  Result<IndexStats> run(int batch = 500);

  // True when `organ_id` names a unit whose home is this node.
  bool homedHere(const std::string& organ_id) const;

 private:
  std::shared_ptr<RegisterBook> book_;
  std::shared_ptr<const schemas::LiveDirectory> directory_;
  std::string node_name_;
  std::shared_ptr<const signing::PdfVerifier> pdf_verifier_;
  std::mutex run_mu_;  // one run at a time (the cursor is read, then moved)
};

}  // namespace lienthong::gateway
