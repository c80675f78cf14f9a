// Issue 14: validate and inspect tell the whole story of real packages: every error and warning
// in one run, --json for both, and what could be read of a refused package.
#include <catch2/catch.hpp>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "support/real_samples.h"

using lienthong::testing::readReal;
using lienthong::testing::realDir;
using lienthong::testing::realFiles;

namespace {

struct Run {
  int status;
  std::string output;
};

Run run(const std::string& args) {
  const std::string cmd = std::string(LIENTHONG_BINARY) + " " + args + " 2>&1";
  FILE* pipe = popen(cmd.c_str(), "r");
  REQUIRE(pipe);
  std::string out;
  std::array<char, 4096> buf{};
  while (std::size_t n = fread(buf.data(), 1, buf.size(), pipe)) out.append(buf.data(), n);
  const int rc = pclose(pipe);
  return {WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, out};
}

std::filesystem::path writeTemp(const std::string& name, const std::string& bytes) {
  auto dir = std::filesystem::temp_directory_path() / ("lienthong-realcli-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / name, std::ios::binary) << bytes;
  return dir / name;
}

std::size_t count(const std::string& s, const std::string& what) {
  std::size_t n = 0;
  for (auto p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("validate passes every real sample with its warnings") {
  std::string files;
  for (const auto& f : realFiles()) files += " " + (realDir() / f).string();
  auto r = run("validate" + files);
  INFO(r.output);
  CHECK(r.status == 0);
  CHECK(r.output.find(std::to_string(realFiles().size()) + " valid, 0 invalid") != std::string::npos);
  CHECK(r.output.find("warning: element 'OrganId'") != std::string::npos);
  CHECK(r.output.find("[organ_id_other]") != std::string::npos);
  CHECK(r.output.find("replace of 000.00.00.G22,2014/01/30,7806/VPCP-TTĐT") != std::string::npos);
  auto j = run("validate --json" + files);
  CHECK(j.status == 0);
  CHECK(j.output.find("\"invalid\": 0") != std::string::npos);
  CHECK(j.output.find("\"code\": \"organ_id_other\"") != std::string::npos);
}

TEST_CASE("validate and inspect report every error of a refused package, and who sent it") {
  std::string s = readReal("vxpsdk_edoc_new_original.edxml");
  auto edit = [&](const std::string& from, const std::string& to) {
    const auto pos = s.find(from);
    REQUIRE(pos != std::string::npos);
    s.replace(pos, from.size(), to);
  };
  edit("<edXML:Priority>0", "<edXML:Priority>9");
  edit("<edXML:PromulgationDate>2019/01/16", "<edXML:PromulgationDate>2019/02/30");
  edit("<edXML:BussinessDocType>0", "<edXML:BussinessDocType>7");
  const auto file = writeTemp("refused.edxml", s).string();

  auto v = run("validate " + file);
  INFO(v.output);
  CHECK(v.status == 1);
  CHECK(v.output.find("element 'Priority'") != std::string::npos);
  CHECK(v.output.find("element 'PromulgationDate'") != std::string::npos);
  CHECK(v.output.find("element 'BussinessDocType'") != std::string::npos);
  CHECK(v.output.find("refused, 3 errors") != std::string::npos);

  auto i = run("inspect " + file);
  INFO(i.output);
  CHECK(i.status == 1);
  CHECK(i.output.find("REFUSED") != std::string::npos);
  CHECK(i.output.find("From           000.00.00.A80") != std::string::npos);
  CHECK(i.output.find("To             28.22.H17") != std::string::npos);
  CHECK(count(i.output, "[schema_violation]") + count(i.output, "[bad_date]") >= 3);

  auto ij = run("inspect --json " + file);
  CHECK(ij.status == 1);
  CHECK(ij.output.find("\"valid\": false") != std::string::npos);
  CHECK(ij.output.find("\"organ_id\": \"000.00.00.A80\"") != std::string::npos);
  CHECK(ij.output.find("\"element\": \"BussinessDocType\"") != std::string::npos);

  auto broken = writeTemp("broken.edxml", s.substr(0, s.size() / 3)).string();
  auto b = run("inspect " + broken);
  CHECK(b.status == 1);
  CHECK(b.output.find("[malformed_xml]") != std::string::npos);
  // Who sent it, read by a plain scan (no tree is built from bytes that are not well-formed).
  CHECK(b.output.find("not parsed, not trusted") != std::string::npos);
  CHECK(b.output.find("From           000.00.00.A80") != std::string::npos);
}

TEST_CASE("inspect shows what a real revocation and replacement act on") {
  auto r = run("inspect " + (realDir() / "vxpsdk_edoc_revocation.edxml").string());
  INFO(r.output);
  CHECK(r.status == 0);
  CHECK(r.output.find("Business       revoke of 000.00.00.G22,2015/09/30,7816/VPCP-TTĐT") != std::string::npos);
  auto p = run("inspect " + (realDir() / "vxpsdk_edoc_replacement.edxml").string());
  CHECK(p.output.find("(at 000.00.00.H41 000.00.00.H14)") != std::string::npos);
  CHECK(p.output.find("Warnings") != std::string::npos);
}

TEST_CASE("lienthong sample writes the vendor SDK's variances, and they validate without warnings") {
  auto s = run("sample");
  CHECK(s.status == 0);
  CHECK(s.output.find("<edXML:Direction>false</edXML:Direction>") != std::string::npos);
  CHECK(s.output.find("<edXML:edXMLManifest version=\"1.0\">") != std::string::npos);
  const auto file = writeTemp("sample.edxml", s.output).string();
  auto v = run("validate " + file);
  INFO(v.output);
  CHECK(v.status == 0);
  CHECK(v.output.find("warning") == std::string::npos);
}
