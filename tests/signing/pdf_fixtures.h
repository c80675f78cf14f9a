// Fixtures for the PDF signature tests: a province CA made with the CA engine, issuing a personal
// signer certificate, an agency seal certificate and a TSA certificate with the real profiles;
// a trust store with that CA's CRL and no network; generated PDFs; a tiny PNG encoder.
#pragma once

#include <string>

#include "lienthong/signing/ca.h"
#include "lienthong/signing/pdf_verifier.h"
#include "lienthong/signing/signing_key.h"
#include "lienthong/signing/trust_store.h"

namespace lienthong::signing::pdftest {

struct Credentials {
  std::string root_pem;
  std::string issuing_pem;
  std::string crl_der;
  std::string personal_p12;  // passphrase kP12Pass
  std::string agency_p12;
  std::string tsa_p12;
  std::string tls_p12;  // a node certificate: neither personal nor agency
};
inline constexpr const char* kP12Pass = "mat-khau-p12";

const Credentials& credentials();
SigningKey personalKey();
SigningKey agencyKey();
SigningKey tsaKey();
SigningKey tlsKey();
TrustStore trust();                // root as anchor, issuing as intermediate, the CRL; no network
ValidationPolicy offlinePolicy();  // CRL only, signer certificate only
PdfVerifier verifier();
std::string samplePdf();       // one page of Vietnamese text
std::string personalSigned();  // samplePdf() with the personal signature
std::string bothSigned();      // personalSigned() with the agency signature
// An RGB PNG of w x h pixels of one colour (stored deflate blocks).
std::string png(unsigned w, unsigned h, unsigned char r, unsigned char g, unsigned char b);

}  // namespace lienthong::signing::pdftest
