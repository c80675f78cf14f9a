#include <catch2/catch.hpp>

#include "lienthong/schemas/sample.h"
#include "pki.h"

using namespace lienthong;
using namespace lienthong::signing::test;

TEST_CASE("lienthong sign and verify: exit status follows the indication") {
  TempDir dir;
  auto pkg = dir.write("qd.edxml", schemas::sample::package().serialize());
  auto key = dir.write("signer.key", pki().rsa.keyPem("cli-passphrase"));
  auto cert = dir.write("signer.pem", pki().rsa.certPem());
  std::filesystem::create_directory(dir.path / "trust");
  dir.write("trust/root.pem", pki().root.certPem());
  dir.write("trust/root.crl", pki().crl);
  const std::string bin = LIENTHONG_BINARY;
  auto s = run("env LT_PASS=cli-passphrase " + bin + " sign " + pkg.string() + " --key " + key.string() +
               " --cert " + cert.string() + " --pass-env LT_PASS");
  INFO(s.output);
  REQUIRE(s.status == 0);
  auto signed_file = pkg.string() + ".signed.edxml";
  auto v = run(bin + " verify " + signed_file + " --trust " + (dir.path / "trust").string());
  INFO(v.output);
  CHECK(v.status == 0);
  CHECK(v.output.find("Chữ ký hợp lệ.") != std::string::npos);
  auto j = run(bin + " verify " + signed_file + " --json --trust " + (dir.path / "trust").string());
  CHECK(j.output.find("\"indication\":\"TOTAL_PASSED\"") != std::string::npos);
  std::string t = readFile(signed_file);
  t.replace(t.find("<edXML:Subject>") + 15, 1, "X");
  auto bad = dir.write("bad.edxml", t);
  auto f = run(bin + " verify " + bad.string() + " --trust " + (dir.path / "trust").string());
  CHECK(f.status == 1);
  CHECK(f.output.find("HASH_FAILURE") != std::string::npos);
  std::filesystem::remove(dir.path / "trust/root.crl");
  auto u = run(bin + " verify " + signed_file + " --trust " + (dir.path / "trust").string());
  CHECK(u.status == 2);
  CHECK(u.output.find("TRY_LATER") != std::string::npos);
  dir.write("trust/root.crl", pki().crl);
  auto c = run("env LT_PASS=cli-passphrase " + bin + " sign " + pkg.string() + " --cms --key " +
               key.string() + " --cert " + cert.string() + " --pass-env LT_PASS");
  REQUIRE(c.status == 0);
  auto cv = run(bin + " verify " + pkg.string() + ".p7s --trust " + (dir.path / "trust").string());
  INFO(cv.output);
  CHECK(cv.status == 0);
}
