// The province's certificate-authority service: the signing/ CA engine over the CA tables of the
// node's store. Issues (from a request, or generating a PKCS#12), revokes with RFC 5280 reasons,
// publishes CRLs (on demand, and again whenever the latest is past half its lifetime) and, signed
// by the root, ARLs (the root's CRL covering the issuing CA: at init, on demand, and on the same
// half-life schedule), answers OCSP, lists the inventory and computes coverage (officials needing
// a certificate per unit against valid personal certificates issued). Every action goes to the
// audit function with its actor. Thread-safe: the engine is immutable and the store serializes its
// own access; one mutex guards CRL publication and another ARL publication so two callers never
// publish the same number.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "lienthong/gateway/store/ca_store.h"
#include "lienthong/schemas/error.h"
#include "lienthong/signing/ca.h"

namespace lienthong::gateway {

// Writes one audit record: event ("ca.issue"), the object (a serial, a unit), and the detail,
// which starts with "actor=<who>".
using CaAuditFn =
    std::function<Result<void>(const std::string& event, const std::string& object, const std::string& detail)>;

struct CaInventoryRow {
  CaCertRow cert;
  bool expired = false;
  bool expiring = false;  // valid, and ends within the warning window
  std::int64_t days_left = 0;
};

struct CoverageRow {
  std::string unit;
  std::int64_t needed = 0;          // officials needing a personal certificate (set by the admin)
  std::int64_t signers_valid = 0;   // valid personal signer certificates for the unit
  std::int64_t missing = 0;         // needed - signers_valid, never below 0
  std::int64_t seals_valid = 0;     // valid agency seal certificates
  std::int64_t expiring = 0;        // valid certificates of the unit ending within the window
};

class CaService {
 public:
  using Clock = std::function<signing::UnixTime()>;

  // Creates the CA in an empty store (Conflict when one exists), publishes the first CRL and the
  // first ARL, and returns the service.
  static Result<std::unique_ptr<CaService>> init(std::shared_ptr<CaStore> store,
                                                 const signing::CaSettings& settings,
                                                 const std::string& passphrase, const std::string& actor,
                                                 CaAuditFn audit, Clock clock = {});
  // Opens the CA of the store; NotFound when there is none ("run lienthong ca init first").
  static Result<std::unique_ptr<CaService>> open(std::shared_ptr<CaStore> store,
                                                 const std::string& passphrase, CaAuditFn audit,
                                                 Clock clock = {});

  Result<signing::IssuedCertificate> issue(const std::string& actor, signing::CertProfile profile,
                                           const std::string& csr, const signing::IssueOptions& options = {});
  Result<signing::GeneratedCredential> generate(const std::string& actor, signing::CertProfile profile,
                                                const signing::SubjectFields& subject,
                                                signing::KeyType key_type, const std::string& p12_passphrase,
                                                const signing::IssueOptions& options = {});
  // Revokes and publishes a new CRL at once.
  Result<CaCertRow> revoke(const std::string& actor, const std::string& serial,
                           signing::RevocationReason reason);
  // Publishes a new CRL now.
  Result<CaCrlRow> publishCrl(const std::string& actor);
  // The CRL to serve: the latest, or a new one when none exists or the latest is past half its
  // lifetime (the schedule: a relying party never sees a CRL whose nextUpdate has passed).
  Result<CaCrlRow> currentCrl();
  // Publishes a new ARL (the root's CRL; no CA certificate is ever listed: the store keeps no
  // revoked CA certificates) now.
  Result<CaCrlRow> publishArl(const std::string& actor);
  // The ARL to serve, on the schedule of currentCrl(). A CA created before ARLs existed gets its
  // first one here.
  Result<CaCrlRow> currentArl();
  // A DER OCSP response for a DER OCSP request.
  std::string answerOcsp(const std::string& request_der);

  // Every certificate, or only those valid and ending within `expiring_days` when given.
  Result<std::vector<CaInventoryRow>> inventory(std::optional<int> expiring_days = std::nullopt);
  Result<void> setNeeded(const std::string& actor, const std::string& unit, std::int64_t needed);
  // "unit,needed" lines (a header line "unit,needed" is skipped); BadCsv naming the line.
  Result<int> importNeeded(const std::string& actor, const std::string& csv);
  Result<std::vector<CoverageRow>> coverage(const std::string& unit = {}, int expiring_days = 30);

  const signing::CertificateAuthority& authority() const { return ca_; }
  std::chrono::days crlValidity() const { return crl_validity_; }
  std::chrono::days arlValidity() const { return arl_validity_; }

 private:
  CaService(std::shared_ptr<CaStore> store, signing::CertificateAuthority ca, CaAuditFn audit, Clock clock,
            std::chrono::days crl_validity, std::chrono::days arl_validity);
  // The issuing CA's CRL or the root's ARL: published and served the same way.
  enum class RevocationList { Crl, Arl };
  Result<CaCrlRow> publish(RevocationList which, const std::string& actor);
  Result<CaCrlRow> current(RevocationList which);
  Result<CaCrlRow> publishLocked(RevocationList which, const std::string& actor);  // lock held
  Result<void> record(const std::string& event, const std::string& object, const std::string& actor,
                      const std::string& detail);
  signing::UnixTime now() const { return clock_(); }

  std::shared_ptr<CaStore> store_;
  signing::CertificateAuthority ca_;
  CaAuditFn audit_;
  Clock clock_;
  std::chrono::days crl_validity_;
  std::chrono::days arl_validity_;
  std::mutex crl_mu_;  // guards CRL publication (number allocation + insert)
  std::mutex arl_mu_;  // guards ARL publication (number allocation + insert)
};

// Inventory and coverage as JSON and CSV.
std::string inventoryJson(const std::vector<CaInventoryRow>& rows);
std::string inventoryCsv(const std::vector<CaInventoryRow>& rows);
std::string coverageJson(const std::vector<CoverageRow>& rows);
std::string coverageCsv(const std::vector<CoverageRow>& rows);
std::string issuedJson(const signing::IssuedCertificate& c);

// Settings as stored in ca_settings and back.
std::map<std::string, std::string> settingsToMap(const signing::CaSettings& s);
Result<signing::CaSettings> settingsFromMap(const std::map<std::string, std::string>& m);

}  // namespace lienthong::gateway
