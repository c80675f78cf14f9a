// The certificate authority's records in the node's SQLite store (tables ca_*): settings, the CA
// certificates with their keys (encrypted PKCS#8 PEM only; the store never sees a clear key),
// every issued certificate with its status, the CRLs published by the issuing CA (ca_crls) and by
// the root (the ARLs, ca_arls), and the number of officials each unit needs certificates for.
// An interface: the SQLite implementation (ca_store.cpp) keeps them in the node's store file, one
// session guarded by a mutex. Implementations are thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lienthong/schemas/error.h"

namespace lienthong::gateway {

struct CaCertRow {
  std::string serial;
  std::string profile;      // "seal", "signer", ...
  std::string subject;      // RFC 2253
  std::string common_name;
  std::string unit;         // organizationIdentifier (OrganId)
  std::string key;          // "EC P-256"
  std::int64_t not_before = 0;  // unix seconds
  std::int64_t not_after = 0;
  std::string status = "valid";  // "valid" or "revoked"
  std::int64_t revoked_at = 0;
  std::string reason;       // RFC 5280 name when revoked
  std::int64_t issued_at = 0;
  std::string issued_by;    // the actor
  std::string cert_pem;
};

// One published CRL or ARL.
struct CaCrlRow {
  std::int64_t number = 0;
  std::int64_t this_update = 0;
  std::int64_t next_update = 0;
  std::string der;
};

class CaStore {
 public:
  // The SQLite implementation over the file at `path`, creating the tables it lacks (a store
  // made before a table existed gains it empty, e.g. ca_arls).
  static Result<std::unique_ptr<CaStore>> open(const std::string& path);
  virtual ~CaStore() = default;

  virtual Result<std::map<std::string, std::string>> settings() = 0;
  // Stores the settings and the three CA key pairs in one transaction; Conflict when a CA exists.
  virtual Result<void> initialize(const std::map<std::string, std::string>& settings,
                                  const std::map<std::string, std::pair<std::string, std::string>>& keys) = 0;
  // name -> (certificate PEM, encrypted key PEM): "root", "issuing", "ocsp".
  virtual Result<std::map<std::string, std::pair<std::string, std::string>>> keys() = 0;

  virtual Result<void> insertCertificate(const CaCertRow& row) = 0;
  virtual Result<std::optional<CaCertRow>> certificate(const std::string& serial) = 0;
  virtual Result<std::vector<CaCertRow>> certificates() = 0;
  virtual Result<std::vector<CaCertRow>> revoked() = 0;
  // Conflict when already revoked, NotFound when unknown.
  virtual Result<void> revoke(const std::string& serial, std::int64_t at, const std::string& reason) = 0;

  virtual Result<std::int64_t> nextCrlNumber() = 0;
  virtual Result<void> insertCrl(const CaCrlRow& row) = 0;
  virtual Result<std::optional<CaCrlRow>> latestCrl() = 0;

  // The root's CRLs (ARLs), numbered on their own.
  virtual Result<std::int64_t> nextArlNumber() = 0;
  virtual Result<void> insertArl(const CaCrlRow& row) = 0;
  virtual Result<std::optional<CaCrlRow>> latestArl() = 0;

  virtual Result<void> setNeeded(const std::string& unit, std::int64_t needed, std::int64_t at) = 0;
  virtual Result<std::map<std::string, std::int64_t>> needed() = 0;

  // The CA's own audit trail (ca_audit), for nodes whose main audit log is not wired in:
  // one row per action with its time, event, object and detail ("actor=...; ...").
  virtual Result<void> audit(const std::string& event, const std::string& object, const std::string& detail,
                             std::int64_t at) = 0;
  // "event object detail" per row, oldest first.
  virtual Result<std::vector<std::string>> auditTrail() = 0;
};

}  // namespace lienthong::gateway
