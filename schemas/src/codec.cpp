#include "lienthong/schemas/codec.h"

#include <zlib.h>

#include <array>
#include <cstdint>
#include <cstring>

namespace lienthong::schemas::codec {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<std::int8_t, 256> makeTable() {
  std::array<std::int8_t, 256> t{};
  for (auto& v : t) v = -1;
  for (int i = 0; i < 64; ++i) t[static_cast<unsigned char>(kAlphabet[i])] = static_cast<std::int8_t>(i);
  t['='] = -2;
  t[' '] = t['\t'] = t['\r'] = t['\n'] = -3;
  return t;
}
constexpr auto kTable = makeTable();

std::uint16_t le16(const unsigned char* p) { return static_cast<std::uint16_t>(p[0] | (p[1] << 8)); }
std::uint32_t le32(const unsigned char* p) {
  return static_cast<std::uint32_t>(p[0]) | (static_cast<std::uint32_t>(p[1]) << 8) |
         (static_cast<std::uint32_t>(p[2]) << 16) | (static_cast<std::uint32_t>(p[3]) << 24);
}
void put16(std::string& out, std::uint32_t v) {
  out += static_cast<char>(v & 0xFF);
  out += static_cast<char>((v >> 8) & 0xFF);
}
void put32(std::string& out, std::uint32_t v) {
  put16(out, v & 0xFFFF);
  put16(out, v >> 16);
}

}  // namespace

Result<void> checkBase64(std::string_view text) {
  std::size_t significant = 0;
  std::size_t padding = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto v = kTable[static_cast<unsigned char>(text[i])];
    if (v == -3) continue;
    if (v == -1) {
      return fail(ErrorCode::BadBase64, "base64: character '" + std::string(1, text[i]) +
                                            "' at offset " + std::to_string(i) +
                                            " is not in the base64 alphabet");
    }
    if (v == -2) {
      ++padding;
      if (padding > 2) return fail(ErrorCode::BadBase64, "base64: more than two '=' at the end");
    } else if (padding > 0) {
      return fail(ErrorCode::BadBase64,
                  "base64: data after '=' padding at offset " + std::to_string(i));
    }
    ++significant;
  }
  if (significant % 4 != 0) {
    return fail(ErrorCode::BadBase64, "base64: length " + std::to_string(significant) +
                                          " is not a multiple of 4 (truncated?)");
  }
  return {};
}

std::size_t base64DecodedSize(std::string_view text) {
  std::size_t significant = 0, padding = 0;
  for (char c : text) {
    const auto v = kTable[static_cast<unsigned char>(c)];
    if (v >= 0) ++significant;
    if (v == -2) ++padding, ++significant;
  }
  return significant / 4 * 3 - padding;
}

Result<void> decodeBase64(std::string_view text, const Sink& sink) {
  constexpr std::size_t kChunk = 48 * 1024;
  std::string out;
  out.reserve(kChunk + 3);
  std::uint32_t acc = 0;
  int n = 0;
  int pad = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto v = kTable[static_cast<unsigned char>(text[i])];
    if (v == -3) continue;
    if (v == -1) {
      return fail(ErrorCode::BadBase64, "base64: character at offset " + std::to_string(i) +
                                            " is not in the base64 alphabet");
    }
    if (v == -2) {
      ++pad;
      acc <<= 6;
    } else {
      if (pad) return fail(ErrorCode::BadBase64, "base64: data after '=' padding");
      acc = (acc << 6) | static_cast<std::uint32_t>(v);
    }
    if (++n == 4) {
      out += static_cast<char>((acc >> 16) & 0xFF);
      if (pad < 2) out += static_cast<char>((acc >> 8) & 0xFF);
      if (pad < 1) out += static_cast<char>(acc & 0xFF);
      acc = 0;
      n = 0;
      if (out.size() >= kChunk) {
        if (auto r = sink(out); !r) return r;
        out.clear();
      }
    }
  }
  if (n != 0) return fail(ErrorCode::BadBase64, "base64: truncated final group");
  if (!out.empty()) return sink(out);
  return {};
}

Result<std::string> decodeBase64(std::string_view text) {
  std::string out;
  out.reserve(text.size() / 4 * 3);
  auto r = decodeBase64(text, [&](std::string_view chunk) -> Result<void> {
    out.append(chunk);
    return {};
  });
  if (!r) return std::unexpected(r.error());
  return out;
}

std::string encodeBase64(std::string_view bytes, std::size_t line_length) {
  std::string out;
  const std::size_t groups = (bytes.size() + 2) / 3;
  out.reserve(groups * 4 + (line_length ? groups * 4 / line_length + 1 : 0));
  std::size_t col = 0;
  const auto* s = reinterpret_cast<const unsigned char*>(bytes.data());
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    const std::uint32_t b0 = s[i];
    const std::uint32_t b1 = i + 1 < bytes.size() ? s[i + 1] : 0;
    const std::uint32_t b2 = i + 2 < bytes.size() ? s[i + 2] : 0;
    const std::uint32_t v = (b0 << 16) | (b1 << 8) | b2;
    char quad[4] = {kAlphabet[(v >> 18) & 63], kAlphabet[(v >> 12) & 63],
                    i + 1 < bytes.size() ? kAlphabet[(v >> 6) & 63] : '=',
                    i + 2 < bytes.size() ? kAlphabet[v & 63] : '='};
    for (char c : quad) {
      if (line_length && col == line_length) {
        out += '\n';
        col = 0;
      }
      out += c;
      ++col;
    }
  }
  return out;
}

Result<std::vector<ZipEntry>> unzip(std::string_view archive, std::size_t max_total) {
  const auto* data = reinterpret_cast<const unsigned char*>(archive.data());
  const std::size_t size = archive.size();
  if (size < 22) return fail(ErrorCode::BadZip, "zip: shorter than an end-of-directory record");
  // Find the end of central directory record (it may be followed by a comment of up to 64 KiB).
  std::size_t eocd = std::string_view::npos;
  const std::size_t stop = size > 22 + 65535 ? size - 22 - 65535 : 0;
  for (std::size_t i = size - 22 + 1; i-- > stop;) {
    if (le32(data + i) == 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd == std::string_view::npos) return fail(ErrorCode::BadZip, "zip: no end-of-directory record");
  const std::uint16_t count = le16(data + eocd + 10);
  std::size_t cd = le32(data + eocd + 16);
  std::vector<ZipEntry> entries;
  std::size_t total = 0;
  for (std::uint16_t k = 0; k < count; ++k) {
    if (cd + 46 > size || le32(data + cd) != 0x02014b50) {
      return fail(ErrorCode::BadZip, "zip: central directory entry " + std::to_string(k) + " is damaged");
    }
    const std::uint16_t method = le16(data + cd + 10);
    const std::uint32_t crc = le32(data + cd + 16);
    const std::uint32_t csize = le32(data + cd + 20);
    const std::uint32_t usize = le32(data + cd + 24);
    const std::uint16_t name_len = le16(data + cd + 28);
    const std::uint16_t extra_len = le16(data + cd + 30);
    const std::uint16_t comment_len = le16(data + cd + 32);
    const std::uint32_t local = le32(data + cd + 42);
    if (cd + 46 + name_len > size) return fail(ErrorCode::BadZip, "zip: entry name out of bounds");
    ZipEntry entry;
    entry.name.assign(reinterpret_cast<const char*>(data + cd + 46), name_len);
    cd += 46u + name_len + extra_len + comment_len;
    if (!entry.name.empty() && entry.name.back() == '/') continue;  // a folder
    total += usize;
    if (total > max_total) {
      return fail(ErrorCode::BadZip, "zip: files expand beyond " + std::to_string(max_total) + " bytes");
    }
    if (local + 30 > size || le32(data + local) != 0x04034b50) {
      return fail(ErrorCode::BadZip, "zip: local header of '" + entry.name + "' is damaged");
    }
    const std::size_t start = local + 30u + le16(data + local + 26) + le16(data + local + 28);
    if (start + csize > size) return fail(ErrorCode::BadZip, "zip: data of '" + entry.name + "' out of bounds");
    if (method == 0) {
      if (csize != usize) return fail(ErrorCode::BadZip, "zip: stored entry sizes differ");
      entry.data.assign(reinterpret_cast<const char*>(data + start), csize);
    } else if (method == 8) {
      entry.data.resize(usize);
      z_stream zs{};
      if (inflateInit2(&zs, -MAX_WBITS) != Z_OK) return fail(ErrorCode::Internal, "zlib init failed");
      zs.next_in = const_cast<Bytef*>(data + start);
      zs.avail_in = csize;
      zs.next_out = reinterpret_cast<Bytef*>(entry.data.data());
      zs.avail_out = usize;
      const int rc = inflate(&zs, Z_FINISH);
      const auto produced = zs.total_out;
      inflateEnd(&zs);
      if (rc != Z_STREAM_END || produced != usize) {
        return fail(ErrorCode::BadZip, "zip: '" + entry.name + "' does not inflate to its declared size");
      }
    } else {
      return fail(ErrorCode::BadZip, "zip: '" + entry.name + "' uses compression method " +
                                         std::to_string(method) + "; only stored and deflate are read");
    }
    const auto actual = crc32(0, reinterpret_cast<const Bytef*>(entry.data.data()),
                              static_cast<uInt>(entry.data.size()));
    if (actual != crc) return fail(ErrorCode::BadZip, "zip: CRC of '" + entry.name + "' does not match");
    entries.push_back(std::move(entry));
  }
  return entries;
}

Result<std::string> zip(const std::vector<ZipEntry>& entries) {
  std::string out, central;
  for (const auto& e : entries) {
    z_stream zs{};
    if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
      return fail(ErrorCode::Internal, "zlib init failed");
    }
    std::string comp(deflateBound(&zs, static_cast<uLong>(e.data.size())), '\0');
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(e.data.data()));
    zs.avail_in = static_cast<uInt>(e.data.size());
    zs.next_out = reinterpret_cast<Bytef*>(comp.data());
    zs.avail_out = static_cast<uInt>(comp.size());
    const int rc = deflate(&zs, Z_FINISH);
    comp.resize(zs.total_out);
    deflateEnd(&zs);
    if (rc != Z_STREAM_END) return fail(ErrorCode::Internal, "zlib deflate failed");
    const auto crc = static_cast<std::uint32_t>(
        crc32(0, reinterpret_cast<const Bytef*>(e.data.data()), static_cast<uInt>(e.data.size())));
    const auto offset = static_cast<std::uint32_t>(out.size());
    auto header = [&](std::string& dst, bool central_entry) {
      put32(dst, central_entry ? 0x02014b50 : 0x04034b50);
      if (central_entry) put16(dst, 20);
      put16(dst, 20);
      put16(dst, 0x0800);  // UTF-8 names
      put16(dst, 8);
      put16(dst, 0);
      put16(dst, 0x21);
      put32(dst, crc);
      put32(dst, static_cast<std::uint32_t>(comp.size()));
      put32(dst, static_cast<std::uint32_t>(e.data.size()));
      put16(dst, static_cast<std::uint32_t>(e.name.size()));
      put16(dst, 0);
      if (central_entry) {
        put16(dst, 0);
        put16(dst, 0);
        put16(dst, 0);
        put32(dst, 0);
        put32(dst, offset);
      }
      dst += e.name;
    };
    header(out, false);
    out += comp;
    header(central, true);
  }
  const auto cd_offset = static_cast<std::uint32_t>(out.size());
  out += central;
  put32(out, 0x06054b50);
  put16(out, 0);
  put16(out, 0);
  put16(out, static_cast<std::uint32_t>(entries.size()));
  put16(out, static_cast<std::uint32_t>(entries.size()));
  put32(out, static_cast<std::uint32_t>(central.size()));
  put32(out, cd_offset);
  put16(out, 0);
  return out;
}

}  // namespace lienthong::schemas::codec
