// lienthong pdf sample | sign | verify, run as a clerk would.
#include <catch2/catch.hpp>
#include <string>

#include "pdf_fixtures.h"
#include "pki.h"

using namespace lienthong::signing;
using namespace lienthong::signing::pdftest;

TEST_CASE("pdf: lienthong pdf sign and verify from the command line, personal then agency") {
  test::TempDir dir;
  const auto personal = dir.write("personal.p12", credentials().personal_p12);
  const auto agency = dir.write("agency.p12", credentials().agency_p12);
  std::filesystem::create_directories(dir.path / "trust");
  dir.write("trust/root.pem", credentials().root_pem);
  dir.write("trust/issuing.pem", credentials().issuing_pem);
  dir.write("trust/ca.crl", credentials().crl_der);
  const auto image = dir.write("seal.png", png(40, 40, 220, 0, 0));
  const std::string bin = LIENTHONG_BINARY;
  const std::string d = dir.path.string() + "/";
  const std::string env = "env LIENTHONG_KEY_PASS=" + std::string(kP12Pass) + " ";
  const std::string trust = " --trust " + d + "trust --offline";

  auto r = test::run(bin + " pdf sample " + d + "qd.pdf");
  REQUIRE(r.status == 0);
  CHECK(r.output.rfind("wrote " + d + "qd.pdf (", 0) == 0);

  r = test::run(env + bin + " pdf sign " + d + "qd.pdf " + d + "sealed.pdf --key " +
                agency.string() + trust);
  CHECK(r.status == 2);
  CHECK(r.output.find("agency signature refused: the PDF carries no valid personal signature") !=
        std::string::npos);
  CHECK_FALSE(std::filesystem::exists(d + "sealed.pdf"));

  r = test::run(env + bin + " pdf sign " + d + "qd.pdf " + d + "p.pdf --key " + personal.string() +
                trust);
  INFO(r.output);
  REQUIRE(r.status == 0);
  CHECK(r.output.find("(personal signature, ") != std::string::npos);

  r = test::run(bin + " pdf verify " + d + "p.pdf" + trust);
  CHECK(r.status == 1);
  CHECK(r.output.find("Thiếu chữ ký số của cơ quan, tổ chức sau chữ ký cá nhân") == 0);

  r = test::run(env + bin + " pdf sign " + d + "p.pdf " + d + "b.pdf --key " + agency.string() +
                trust + " --image " + image.string() + " --page 1 --rect 300,100,240,80");
  INFO(r.output);
  REQUIRE(r.status == 0);
  CHECK(r.output.find("(agency signature, ") != std::string::npos);

  r = test::run(bin + " pdf verify " + d + "b.pdf" + trust + " --json");
  CHECK(r.status == 0);
  CHECK(r.output.find("{\"verdict\":\"valid\",\"valid\":true,") == 0);
  CHECK(r.output.find("\"role\":\"personal\"") != std::string::npos);
  CHECK(r.output.find("\"role\":\"agency\"") != std::string::npos);

  r = test::run(bin + " pdf verify " + d + "b.pdf" + trust + " --en");
  CHECK(r.status == 0);
  CHECK(r.output.find("valid personal signature (Nguyễn Văn An) and agency signature (Ủy ban nhân "
                      "dân tỉnh Lào Cai)") == 0);

  r = test::run(env + bin + " pdf sign " + d + "p.pdf " + d + "x.pdf --key " + agency.string() +
                trust + " --rect 1,2,3");
  CHECK(r.status == 2);
  CHECK(r.output.find("--rect must be x,y,w,h") != std::string::npos);
}
