#include <catch2/catch.hpp>

#include <cstdlib>

#include "lienthong/schemas/sample.h"
#include "lienthong/signing/xml_signer.h"
#include "lienthong/signing/xml_verifier.h"
#include "pki.h"

using namespace lienthong;
using namespace lienthong::signing;
using namespace lienthong::signing::test;

TEST_CASE("a SoftHSM2 token key signs a package that lienthong and xmlsec1 verify") {
  TempDir dir;
  std::filesystem::create_directory(dir.path / "tokens");
  auto conf = dir.write("softhsm2.conf", "directories.tokendir = " + (dir.path / "tokens").string() +
                                             "\nobjectstore.backend = file\nlog.level = ERROR\n");
  // SoftHSM reads its configuration from the environment; the test owns this process's copy.
  setenv("SOFTHSM2_CONF", conf.c_str(), 1);
  const std::string env = "env SOFTHSM2_CONF=" + conf.string() + " ";
  auto init = run(env + "softhsm2-util --init-token --free --label lienthong --pin 123456 --so-pin 12345678");
  INFO(init.output);
  REQUIRE(init.status == 0);
  auto key_pem = dir.write("key.pem", pki().rsa.keyPem(""));
  auto imp = run(env + "softhsm2-util --import " + key_pem.string() +
                 " --token lienthong --label seal --id 01 --pin 123456");
  INFO(imp.output);
  REQUIRE(imp.status == 0);
  std::filesystem::remove(key_pem);
  auto cert = dir.write("cert.pem", pki().rsa.certPem());

  Pkcs11Options o;
  o.uri = "pkcs11:token=lienthong;object=seal;type=private";
  o.pin = "123456";
  o.module = "/usr/lib/softhsm/libsofthsm2.so";
  o.certificate = cert;
  auto key = SigningKey::fromPkcs11(o);
  if (!key) FAIL(key.error().message);
  CHECK(key->source() == o.uri);
  auto signed_doc = XmlSigner(*key).sign(schemas::sample::package().serialize());
  REQUIRE(signed_doc);
  TrustStore ts;
  REQUIRE(ts.addAnchorsPem(pki().root.certPem()));
  REQUIRE(ts.addCrl(pki().crl, "test"));
  auto r = XmlVerifier(ts).verify(*signed_doc);
  INFO(r.toJson());
  CHECK(r.indication == Indication::TotalPassed);
  auto file = dir.write("signed.edxml", *signed_doc);
  auto root = dir.write("root.pem", pki().root.certPem());
  auto x = run("xmlsec1 --verify --enabled-key-data x509 --trusted-pem " + root.string() + " " +
               file.string());
  INFO(x.output);
  CHECK(x.status == 0);

  o.pin = "000000";
  auto wrong = SigningKey::fromPkcs11(o);
  REQUIRE_FALSE(wrong);
  CHECK(wrong.error().code == ErrorCode::KeyUnavailable);
}
