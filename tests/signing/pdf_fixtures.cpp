#include "pdf_fixtures.h"

#include <array>
#include <chrono>
#include <stdexcept>

#include "lienthong/signing/pdf_sample.h"
#include "lienthong/signing/pdf_signer.h"

namespace lienthong::signing::pdftest {

namespace {

template <typename T>
T orThrow(Result<T> r, const char* what) {
  if (!r) throw std::runtime_error(std::string(what) + ": " + r.error().describe());
  return std::move(*r);
}

void orThrow(Result<void> r, const char* what) {
  if (!r) throw std::runtime_error(std::string(what) + ": " + r.error().describe());
}

std::uint32_t crc32(std::string_view data, std::uint32_t crc = 0) {
  crc = ~crc;
  for (unsigned char c : data) {
    crc ^= c;
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

void be32(std::string& out, std::uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out += static_cast<char>((v >> s) & 0xff);
}

void chunk(std::string& out, const char* type, const std::string& data) {
  be32(out, static_cast<std::uint32_t>(data.size()));
  std::string body = std::string(type, 4) + data;
  out += body;
  be32(out, crc32(body));
}

}  // namespace

const Credentials& credentials() {
  static const Credentials c = [] {
    CaSettings s;
    s.province_name = "UBND tinh Lao Cai";
    s.organ_id = "000.00.00.H41";
    s.crl_url = "http://127.0.0.1:9/crl";
    s.ocsp_url = "http://127.0.0.1:9/ocsp";
    s.ca_key_type = KeyType::P256;
    const std::string pass = "mat-khau-ca-lao-cai";
    CaBundle bundle = orThrow(createCa(s, pass), "createCa");
    CertificateAuthority ca = orThrow(CertificateAuthority::load(s, bundle, pass), "load CA");
    Credentials out;
    out.root_pem = ca.rootCertPem();
    out.issuing_pem = ca.issuingCertPem();
    const auto now =
        std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
    out.crl_der = orThrow(
        ca.makeCrl({}, 1, now - std::chrono::hours(1), now + std::chrono::hours(24 * 7)), "CRL");
    SubjectFields person;
    person.common_name = "Nguyễn Văn An";
    person.organization = "UBND tỉnh Lào Cai";
    person.organ_id = "000.00.00.H41";
    person.title = "Chủ tịch";
    person.personal_id = "CCCD:001099000123";
    out.personal_p12 =
        orThrow(ca.generate(CertProfile::PersonalSigner, person, KeyType::P256, kP12Pass),
                "personal")
            .pkcs12;
    SubjectFields agency;
    agency.common_name = "Ủy ban nhân dân tỉnh Lào Cai";
    agency.organization = "UBND tỉnh Lào Cai";
    agency.organ_id = "000.00.00.H41";
    out.agency_p12 =
        orThrow(ca.generate(CertProfile::AgencySeal, agency, KeyType::P256, kP12Pass), "agency")
            .pkcs12;
    SubjectFields tsa;
    tsa.common_name = "TSA Lào Cai";
    tsa.organization = "UBND tỉnh Lào Cai";
    tsa.organ_id = "000.00.00.H41";
    out.tsa_p12 =
        orThrow(ca.generate(CertProfile::TimeStamping, tsa, KeyType::P256, kP12Pass), "tsa").pkcs12;
    SubjectFields node;
    node.common_name = "node.laocai.gov.vn";
    node.organ_id = "000.00.00.H41";
    out.tls_p12 =
        orThrow(ca.generate(CertProfile::NodeTls, node, KeyType::P256, kP12Pass), "tls").pkcs12;
    return out;
  }();
  return c;
}

SigningKey personalKey() {
  return orThrow(SigningKey::fromPkcs12(credentials().personal_p12, kP12Pass), "p12");
}
SigningKey agencyKey() {
  return orThrow(SigningKey::fromPkcs12(credentials().agency_p12, kP12Pass), "p12");
}
SigningKey tsaKey() {
  return orThrow(SigningKey::fromPkcs12(credentials().tsa_p12, kP12Pass), "p12");
}
SigningKey tlsKey() {
  return orThrow(SigningKey::fromPkcs12(credentials().tls_p12, kP12Pass), "p12");
}

TrustStore trust() {
  TrustStore t;
  orThrow(t.addCertificatesPem(credentials().root_pem), "anchor");
  orThrow(t.addIntermediatesPem(credentials().issuing_pem), "intermediate");
  orThrow(t.addCrl(credentials().crl_der, "test CRL"), "crl");
  t.setHttpFetch([](const HttpRequest& r) -> Result<std::string> {
    return fail(ErrorCode::Network, "tests do not use the network: " + r.url);
  });
  return t;
}

ValidationPolicy offlinePolicy() {
  ValidationPolicy p;
  p.revocation.use_ocsp = false;
  p.revocation.check_intermediates = false;
  return p;
}

PdfVerifier verifier() { return PdfVerifier(trust(), offlinePolicy()); }

std::string samplePdf() {
  static const std::string pdf = orThrow(makeSamplePdf(), "sample");
  return pdf;
}

std::string personalSigned() {
  static const std::string pdf =
      orThrow(PdfSigner(personalKey(), verifier()).sign(samplePdf()), "personal sign");
  return pdf;
}

std::string bothSigned() {
  static const std::string pdf =
      orThrow(PdfSigner(agencyKey(), verifier()).sign(personalSigned()), "agency sign");
  return pdf;
}

std::string png(unsigned w, unsigned h, unsigned char r, unsigned char g, unsigned char b) {
  std::string raw;
  for (unsigned y = 0; y < h; ++y) {
    raw += '\0';  // filter: none
    for (unsigned x = 0; x < w; ++x)
      raw += {static_cast<char>(r), static_cast<char>(g), static_cast<char>(b)};
  }
  // zlib stream of stored blocks.
  std::string z = "\x78\x01";
  for (std::size_t off = 0; off < raw.size() || off == 0; off += 65535) {
    const std::size_t n = std::min<std::size_t>(65535, raw.size() - off);
    const bool last = off + n >= raw.size();
    z += static_cast<char>(last ? 1 : 0);
    z += static_cast<char>(n & 0xff);
    z += static_cast<char>(n >> 8);
    z += static_cast<char>(~n & 0xff);
    z += static_cast<char>((~n >> 8) & 0xff);
    z.append(raw, off, n);
    if (last) break;
  }
  std::uint32_t a = 1, bsum = 0;
  for (unsigned char c : raw) {
    a = (a + c) % 65521;
    bsum = (bsum + a) % 65521;
  }
  be32(z, (bsum << 16) | a);
  std::string out = "\x89PNG\r\n\x1a\n";
  std::string ihdr;
  be32(ihdr, w);
  be32(ihdr, h);
  ihdr += {8, 2, 0, 0, 0};  // 8-bit RGB
  chunk(out, "IHDR", ihdr);
  chunk(out, "IDAT", z);
  chunk(out, "IEND", "");
  return out;
}

}  // namespace lienthong::signing::pdftest
