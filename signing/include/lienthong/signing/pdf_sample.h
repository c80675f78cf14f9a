// Generates PDFs with Vietnamese text (DejaVu Sans embedded, Identity-H) for tests, benchmarks
// and demos: a title and lines on A4 pages, optionally padded with an image of random pixels to
// reach a target size. Not for production documents. Thread-safe.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "lienthong/schemas/error.h"

namespace lienthong::signing {

struct SamplePdfOptions {
  std::string title = "QUYẾT ĐỊNH Về việc ban hành Quy chế làm việc";
  std::vector<std::string> lines = {"CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
                                    "Độc lập - Tự do - Hạnh phúc", "Ủy ban nhân dân tỉnh Lào Cai"};
  int pages = 1;
  // When larger than the text pages, an image of random pixels brings the file to about this
  // size (within a few KiB).
  std::size_t target_size = 0;
  std::filesystem::path font_file = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
};

Result<std::string> makeSamplePdf(const SamplePdfOptions& options = {});

}  // namespace lienthong::signing
