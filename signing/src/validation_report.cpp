#include "lienthong/signing/validation_report.h"

#include <ctime>

#include "lienthong/schemas/xml.h"

namespace lienthong::signing {

Indication indicationOf(SubIndication s) {
  switch (s) {
    case SubIndication::None: return Indication::TotalPassed;
    case SubIndication::FormatFailure:
    case SubIndication::HashFailure:
    case SubIndication::SigCryptoFailure:
    case SubIndication::Revoked:
    case SubIndication::Expired:
    case SubIndication::NotYetValid: return Indication::TotalFailed;
    default: return Indication::Indeterminate;
  }
}

std::string_view indicationName(Indication i) {
  switch (i) {
    case Indication::TotalPassed: return "TOTAL_PASSED";
    case Indication::TotalFailed: return "TOTAL_FAILED";
    case Indication::Indeterminate: return "INDETERMINATE";
  }
  return "?";
}

std::string_view subIndicationName(SubIndication s) {
  switch (s) {
    case SubIndication::None: return "";
    case SubIndication::FormatFailure: return "FORMAT_FAILURE";
    case SubIndication::HashFailure: return "HASH_FAILURE";
    case SubIndication::SigCryptoFailure: return "SIG_CRYPTO_FAILURE";
    case SubIndication::Revoked: return "REVOKED";
    case SubIndication::Expired: return "EXPIRED";
    case SubIndication::NotYetValid: return "NOT_YET_VALID";
    case SubIndication::NoSigningCertificateFound: return "NO_SIGNING_CERTIFICATE_FOUND";
    case SubIndication::NoCertificateChainFound: return "NO_CERTIFICATE_CHAIN_FOUND";
    case SubIndication::ChainConstraintsFailure: return "CHAIN_CONSTRAINTS_FAILURE";
    case SubIndication::CertificateChainGeneralFailure: return "CERTIFICATE_CHAIN_GENERAL_FAILURE";
    case SubIndication::CryptoConstraintsFailure: return "CRYPTO_CONSTRAINTS_FAILURE";
    case SubIndication::TryLater: return "TRY_LATER";
    case SubIndication::OutOfBoundsNoPoe: return "OUT_OF_BOUNDS_NO_POE";
    case SubIndication::RevokedNoPoe: return "REVOKED_NO_POE";
    case SubIndication::SignedDataNotFound: return "SIGNED_DATA_NOT_FOUND";
  }
  return "?";
}

std::string_view revocationStatusName(RevocationStatus s) {
  switch (s) {
    case RevocationStatus::NotChecked: return "NOT_CHECKED";
    case RevocationStatus::Good: return "GOOD";
    case RevocationStatus::Revoked: return "REVOKED";
    case RevocationStatus::Unknown: return "UNKNOWN";
  }
  return "?";
}

void ValidationReport::setFailure(SubIndication s, std::string why) {
  sub_indication = s;
  indication = indicationOf(s);
  detail = std::move(why);
}

std::string isoTime(std::chrono::system_clock::time_point t) {
  std::time_t tt = std::chrono::system_clock::to_time_t(t);
  struct tm tm {};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

namespace {

void jsonString(std::string& out, std::string_view s) {
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

void field(std::string& out, std::string_view key, std::string_view value, bool& first) {
  if (!first) out += ',';
  first = false;
  jsonString(out, key);
  out += ':';
  jsonString(out, value);
}

std::string certJson(const CertificateInfo& c) {
  std::string out = "{";
  bool first = true;
  field(out, "subject", c.subject, first);
  field(out, "common_name", c.common_name, first);
  field(out, "organization", c.organization, first);
  field(out, "organ_id", c.organ_id, first);
  out += ",\"uid\":[";
  for (std::size_t i = 0; i < c.uids.size(); ++i) {
    if (i) out += ',';
    jsonString(out, c.uids[i]);
  }
  out += ']';
  field(out, "serial", c.serial, first);
  field(out, "issuer", c.issuer, first);
  field(out, "not_before", c.not_before, first);
  field(out, "not_after", c.not_after, first);
  field(out, "sha256", c.sha256, first);
  out += '}';
  return out;
}

// Vietnamese local time (UTC+7), as clerks read it: "20/11/2026 10:04:05".
std::string localTime(std::chrono::system_clock::time_point t) {
  std::time_t tt = std::chrono::system_clock::to_time_t(t + std::chrono::hours(7));
  struct tm tm {};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%d/%m/%Y %H:%M:%S", &tm);
  return buf;
}

std::string_view reasonVi(SubIndication s) {
  switch (s) {
    case SubIndication::None: return "";
    case SubIndication::FormatFailure: return "chữ ký không đúng định dạng cho phép";
    case SubIndication::HashFailure: return "nội dung đã bị thay đổi sau khi ký";
    case SubIndication::SigCryptoFailure: return "giá trị chữ ký không khớp với chứng thư số";
    case SubIndication::Revoked: return "chứng thư số đã bị thu hồi";
    case SubIndication::Expired: return "chứng thư số đã hết hạn tại thời điểm ký";
    case SubIndication::NotYetValid: return "chứng thư số chưa có hiệu lực tại thời điểm ký";
    case SubIndication::NoSigningCertificateFound: return "không tìm thấy chứng thư số của người ký";
    case SubIndication::NoCertificateChainFound: return "chứng thư số không do tổ chức tin cậy cấp";
    case SubIndication::ChainConstraintsFailure: return "chứng thư số không được phép dùng để ký";
    case SubIndication::CertificateChainGeneralFailure: return "không kiểm tra được chuỗi chứng thư số";
    case SubIndication::CryptoConstraintsFailure: return "thuật toán không còn được chấp nhận";
    case SubIndication::TryLater: return "chưa xác định được tình trạng thu hồi, hãy thử lại sau";
    case SubIndication::OutOfBoundsNoPoe:
      return "chứng thư số đã hết hạn và không có dấu thời gian chứng minh chữ ký được tạo trước đó";
    case SubIndication::RevokedNoPoe:
      return "chứng thư số đã bị thu hồi và không có dấu thời gian chứng minh chữ ký được tạo trước đó";
    case SubIndication::SignedDataNotFound: return "văn bản không có chữ ký số";
  }
  return "";
}

std::string_view reasonEn(SubIndication s) {
  switch (s) {
    case SubIndication::None: return "";
    case SubIndication::FormatFailure: return "the signature is not in the allowed format";
    case SubIndication::HashFailure: return "the content was changed after signing";
    case SubIndication::SigCryptoFailure: return "the signature value does not match the certificate";
    case SubIndication::Revoked: return "the certificate is revoked";
    case SubIndication::Expired: return "the certificate had expired at the signing time";
    case SubIndication::NotYetValid: return "the certificate was not yet valid at the signing time";
    case SubIndication::NoSigningCertificateFound: return "no signer certificate was found";
    case SubIndication::NoCertificateChainFound: return "the certificate is not issued by a trusted authority";
    case SubIndication::ChainConstraintsFailure: return "the certificate may not be used for signing";
    case SubIndication::CertificateChainGeneralFailure: return "the certificate chain could not be checked";
    case SubIndication::CryptoConstraintsFailure: return "an algorithm is no longer accepted";
    case SubIndication::TryLater: return "the revocation status is unknown; try again later";
    case SubIndication::OutOfBoundsNoPoe:
      return "the certificate has expired and no time-stamp proves the signature older";
    case SubIndication::RevokedNoPoe:
      return "the certificate is revoked and no time-stamp proves the signature older";
    case SubIndication::SignedDataNotFound: return "the document is not signed";
  }
  return "";
}

}  // namespace

std::string ValidationReport::toJson() const {
  std::string out = "{";
  bool first = true;
  field(out, "indication", indicationName(indication), first);
  field(out, "sub_indication", subIndicationName(sub_indication), first);
  field(out, "format", format, first);
  field(out, "detail", detail, first);
  out += ",\"signer\":";
  out += signer ? certJson(*signer) : std::string("null");
  out += ",\"chain\":[";
  for (std::size_t i = 0; i < chain.size(); ++i) {
    if (i) out += ',';
    out += certJson(chain[i]);
  }
  out += ']';
  field(out, "signing_time", signing_time ? isoTime(*signing_time) : "", first);
  field(out, "signing_time_source", signing_time_source, first);
  field(out, "claimed_time", claimed_time ? isoTime(*claimed_time) : "", first);
  out += std::string(",\"claimed_time_signed\":") + (claimed_time_signed ? "true" : "false");
  field(out, "integrity", integrity, first);
  field(out, "trust_list", trust_list, first);
  field(out, "digest_algorithm", digest_algorithm, first);
  field(out, "signature_algorithm", signature_algorithm, first);
  field(out, "canonicalization", canonicalization, first);
  out += ",\"key_bits\":" + std::to_string(key_bits);
  out += ",\"revocation\":{";
  bool rfirst = true;
  field(out, "status", revocationStatusName(revocation.status), rfirst);
  field(out, "source", revocation.source, rfirst);
  field(out, "produced_at", revocation.produced_at, rfirst);
  field(out, "revoked_at", revocation.revoked_at, rfirst);
  field(out, "detail", revocation.detail, rfirst);
  out += "},\"warnings\":[";
  for (std::size_t i = 0; i < warnings.size(); ++i) {
    if (i) out += ',';
    jsonString(out, warnings[i]);
  }
  out += "]}";
  return out;
}

std::string ValidationReport::textVi() const {
  std::string out;
  if (passed()) {
    out = "Chữ ký hợp lệ.";
  } else if (indication == Indication::TotalFailed) {
    out = "Chữ ký KHÔNG hợp lệ: " + std::string(reasonVi(sub_indication)) + ".";
  } else {
    out = "Chưa xác định được chữ ký: " + std::string(reasonVi(sub_indication)) + ".";
  }
  if (signer) {
    out += " Người ký: " + signer->common_name;
    if (!signer->organ_id.empty()) out += " (mã định danh " + signer->organ_id + ")";
    out += ", số hiệu chứng thư " + signer->serial + ".";
  }
  if (signing_time && signing_time_source != "validation")
    out += " Thời điểm ký: " + localTime(*signing_time) + " (giờ Việt Nam).";
  if (claimed_time && signing_time_source != "claimed")
    out += " Thời điểm ký tự khai (chưa được chứng minh): " + localTime(*claimed_time) +
           " (giờ Việt Nam).";
  if (integrity == "intact" && !passed()) out += " Chữ ký còn nguyên vẹn (nội dung không bị sửa).";
  if (!trust_list.empty()) out += " Danh sách tin cậy: " + trust_list + ".";
  if (!warnings.empty()) out += " Lưu ý: " + std::to_string(warnings.size()) + " cảnh báo.";
  return out;
}

std::string ValidationReport::textEn() const {
  std::string out;
  if (passed()) {
    out = "Signature valid.";
  } else if (indication == Indication::TotalFailed) {
    out = "Signature INVALID: " + std::string(reasonEn(sub_indication)) + ".";
  } else {
    out = "Signature undetermined: " + std::string(reasonEn(sub_indication)) + ".";
  }
  if (signer) {
    out += " Signer: " + signer->common_name;
    if (!signer->organ_id.empty()) out += " (OrganId " + signer->organ_id + ")";
    out += ", certificate serial " + signer->serial + ".";
  }
  if (signing_time && signing_time_source != "validation")
    out += " Signed at " + isoTime(*signing_time) + " (" + signing_time_source + ").";
  if (claimed_time && signing_time_source != "claimed")
    out += " Claimed signing time (not proven): " + isoTime(*claimed_time) + ".";
  if (integrity == "intact" && !passed()) out += " The signature is intact (content unchanged).";
  if (!trust_list.empty()) out += " Trust list: " + trust_list + ".";
  for (const auto& w : warnings) out += " Warning: " + w + ".";
  return out;
}

}  // namespace lienthong::signing
