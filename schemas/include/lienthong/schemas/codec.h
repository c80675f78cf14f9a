// Byte codecs for edXML attachments: base64 (as found in ContentTransferEncoded, line breaks
// allowed) and zip (some producers zip each file first). Decoding streams in chunks so that a large
// attachment is never held twice. Pure functions, thread-safe.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "lienthong/schemas/error.h"

namespace lienthong::schemas::codec {

// BadBase64 naming the offset of the first offending character.
Result<void> checkBase64(std::string_view text);
// Decoded size of text that passed checkBase64.
std::size_t base64DecodedSize(std::string_view text);
// Calls sink with consecutive decoded chunks (at most 48 KiB each).
using Sink = std::function<Result<void>(std::string_view)>;
Result<void> decodeBase64(std::string_view text, const Sink& sink);
Result<std::string> decodeBase64(std::string_view text);
// Standard alphabet with '=' padding; a line break every line_length characters (0: none).
std::string encodeBase64(std::string_view bytes, std::size_t line_length = 76);

struct ZipEntry {
  std::string name;
  std::string data;
};
// Reads every file of a zip archive (stored or deflated), checking CRCs; refuses archives whose
// files would expand beyond max_total bytes.
Result<std::vector<ZipEntry>> unzip(std::string_view archive, std::size_t max_total = 512u << 20);
// Writes a zip archive with each entry deflated.
Result<std::string> zip(const std::vector<ZipEntry>& entries);

}  // namespace lienthong::schemas::codec
