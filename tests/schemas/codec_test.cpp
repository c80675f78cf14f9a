#include <catch2/catch.hpp>

#include "lienthong/schemas/codec.h"

using namespace lienthong;
using namespace lienthong::schemas;

TEST_CASE("base64 round-trips every length with line breaks") {
  std::string bytes;
  for (int n = 0; n < 300; ++n) {
    const std::string enc = codec::encodeBase64(bytes, 76);
    REQUIRE(codec::checkBase64(enc));
    CHECK(codec::base64DecodedSize(enc) == bytes.size());
    auto dec = codec::decodeBase64(enc);
    REQUIRE(dec);
    CHECK(*dec == bytes);
    bytes += static_cast<char>(n * 37);
  }
}

TEST_CASE("zip round-trips several files and refuses a damaged archive") {
  std::vector<codec::ZipEntry> files = {{"a.txt", "xin chào"}, {"b/c.bin", std::string(10000, 'z')}};
  auto archive = codec::zip(files);
  REQUIRE(archive);
  auto back = codec::unzip(*archive);
  REQUIRE(back);
  REQUIRE(back->size() == 2);
  CHECK((*back)[0].data == "xin chào");
  CHECK((*back)[1].name == "b/c.bin");
  CHECK((*back)[1].data == files[1].data);
  std::string damaged = *archive;
  damaged[40] ^= 0x55;
  auto bad = codec::unzip(damaged);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == ErrorCode::BadZip);
  auto bomb = codec::unzip(*archive, 100);
  REQUIRE_FALSE(bomb);
  CHECK(bomb.error().message.find("expand beyond") != std::string::npos);
}
