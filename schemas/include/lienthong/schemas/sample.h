// Realistic sample edXML packages and status messages for the demo, the tests and the
// benchmarks: Vietnamese text with diacritics, two recipients, a PDF and a zipped appendix, and
// the variances real producers write (the vendor SDK's OtherInfo/Direction and
// edXMLManifest@version; updates, replacements and revocations in the SDK's form).
// Pure functions of their arguments.
#pragma once

#include <string>
#include <vector>

#include "lienthong/schemas/edxml.h"

namespace lienthong::schemas::sample {

struct PackageSpec {
  std::string from = "000.00.00.H41";
  std::string from_name = "Ủy ban nhân dân tỉnh Nghệ An";
  std::vector<std::string> to = {"000.00.31.H41", "000.00.32.H41"};
  int number = 123;
  std::string notation = "QĐ-UBND";
  std::string date = "2026/11/20";
  std::string subject = "Về việc triển khai gửi, nhận văn bản điện tử liên thông";
  std::size_t pdf_bytes = 2048;  // size of the PDF attachment's content
  bool zipped_appendix = true;
};

// A minimal well-formed PDF of about `bytes` bytes whose page says `title`.
std::string pdf(const std::string& title, std::size_t bytes);
Package package(const PackageSpec& spec = {});
StatusMessage status(const Package& original, const std::string& reporter, StatusCode code);
// An update, replacement or revocation of `target` as the vendor SDK writes it: an update names
// the target in Bussiness/DocumentId, a replacement in ReplacementInfoList/ReplacementInfo (with
// OrganIdList: `at`, or every recipient of the target), both under a new number; a revocation
// names none and carries the target's own DocumentId.
Package actOn(const Package& target, BusinessDocType type, int number,
              const std::vector<std::string>& at = {});

}  // namespace lienthong::schemas::sample
