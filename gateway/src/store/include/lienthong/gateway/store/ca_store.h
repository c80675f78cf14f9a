// The certificate authority's records in the node's SQLite store (tables ca_*): settings, the CA
// certificates with their keys (encrypted PKCS#8 PEM only; the store never sees a clear key),
// every issued certificate with its status, the CRLs published by the issuing CA (ca_crls) and by
// the root (the ARLs, ca_arls), and the number of officials each unit needs certificates for.
// Thread-safe: one session guarded by a mutex.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
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
  // Opens the SQLite file at `path`, creating the tables it lacks (a store made before a table
  // existed gains it empty, e.g. ca_arls).
  static Result<std::unique_ptr<CaStore>> open(const std::string& path);
  ~CaStore();

  Result<std::map<std::string, std::string>> settings();
  // Stores the settings and the three CA key pairs in one transaction; Conflict when a CA exists.
  Result<void> initialize(const std::map<std::string, std::string>& settings,
                          const std::map<std::string, std::pair<std::string, std::string>>& keys);
  // name -> (certificate PEM, encrypted key PEM): "root", "issuing", "ocsp".
  Result<std::map<std::string, std::pair<std::string, std::string>>> keys();

  Result<void> insertCertificate(const CaCertRow& row);
  Result<std::optional<CaCertRow>> certificate(const std::string& serial);
  Result<std::vector<CaCertRow>> certificates();
  Result<std::vector<CaCertRow>> revoked();
  // Conflict when already revoked, NotFound when unknown.
  Result<void> revoke(const std::string& serial, std::int64_t at, const std::string& reason);

  Result<std::int64_t> nextCrlNumber();
  Result<void> insertCrl(const CaCrlRow& row);
  Result<std::optional<CaCrlRow>> latestCrl();

  // The root's CRLs (ARLs), numbered on their own.
  Result<std::int64_t> nextArlNumber();
  Result<void> insertArl(const CaCrlRow& row);
  Result<std::optional<CaCrlRow>> latestArl();

  Result<void> setNeeded(const std::string& unit, std::int64_t needed, std::int64_t at);
  Result<std::map<std::string, std::int64_t>> needed();

  // The CA's own audit trail (ca_audit), for nodes whose main audit log is not wired in:
  // one row per action with its time, event, object and detail ("actor=...; ...").
  Result<void> audit(const std::string& event, const std::string& object, const std::string& detail,
                     std::int64_t at);
  // "event object detail" per row, oldest first.
  Result<std::vector<std::string>> auditTrail();

  struct Impl;

 private:
  explicit CaStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace lienthong::gateway
