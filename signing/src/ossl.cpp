#include "ossl.h"

#include <openssl/pem.h>

#include <ctime>

#include "lienthong/signing/algorithms.h"

namespace lienthong::signing::ossl {

std::string lastError() {
  std::string out;
  unsigned long code = 0;
  while ((code = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    const char* reason = ERR_reason_error_string(code);
    out += reason != nullptr ? reason : buf;
  }
  return out.empty() ? std::string("no OpenSSL error reported") : out;
}

std::unexpected<Error> sslFail(ErrorCode code, std::string what) {
  return fail(code, what + ": " + lastError());
}

BioPtr memBio(std::string_view bytes) {
  return BioPtr(BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size())), BIO_free_all);
}

std::string bioString(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  return n > 0 ? std::string(data, static_cast<std::size_t>(n)) : std::string();
}

Result<std::vector<X509Ptr>> readCertificatesPem(std::string_view pem) {
  std::vector<X509Ptr> out;
  auto bio = memBio(pem);
  while (true) {
    X509* c = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr);
    if (c == nullptr) break;
    out.emplace_back(c, X509_free);
  }
  ERR_clear_error();
  if (out.empty()) return fail(ErrorCode::CertificateInvalid, "no PEM certificate found");
  return out;
}

Result<X509Ptr> readCertificateDer(std::string_view der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  X509* c = d2i_X509(nullptr, &p, static_cast<long>(der.size()));
  if (c == nullptr) return sslFail(ErrorCode::CertificateInvalid, "certificate DER");
  return X509Ptr(c, X509_free);
}

std::string certificateDer(X509* cert) {
  unsigned char* buf = nullptr;
  int n = i2d_X509(cert, &buf);
  if (n <= 0) return {};
  std::string out(reinterpret_cast<char*>(buf), static_cast<std::size_t>(n));
  OPENSSL_free(buf);
  return out;
}

const EVP_MD* md(int d) {
  switch (static_cast<DigestAlgorithm>(d)) {
    case DigestAlgorithm::Sha1: return EVP_sha1();
    case DigestAlgorithm::Sha256: return EVP_sha256();
    case DigestAlgorithm::Sha384: return EVP_sha384();
    case DigestAlgorithm::Sha512: return EVP_sha512();
  }
  return EVP_sha256();
}

std::string digest(std::string_view data, const EVP_MD* m) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(data.data(), data.size(), out, &n, m, nullptr);
  return std::string(reinterpret_cast<char*>(out), n);
}

std::string hex(std::string_view bytes, bool upper) {
  const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

std::chrono::system_clock::time_point fromAsn1Time(const ASN1_TIME* t) {
  struct tm tm {};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) return {};
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

}  // namespace lienthong::signing::ossl
