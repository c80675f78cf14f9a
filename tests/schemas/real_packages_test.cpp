// Issue 14: real producers' packages (the vendor SDK's examples in ../shared/real/) are accepted
// with warnings, and what is tolerated cannot carry what the safe parser refuses.
#include <catch2/catch.hpp>

#include <algorithm>
#include <set>
#include <string>

#include "lienthong/schemas/directory.h"
#include "lienthong/schemas/edxml.h"
#include "lienthong/schemas/sample.h"
#include "lienthong/schemas/schema_set.h"
#include "support/real_samples.h"
#include "support/schema_set_fixture.h"

using namespace lienthong;
using namespace lienthong::schemas;
using lienthong::testing::readReal;
using lienthong::testing::realFiles;
using lienthong::testing::schemaSet;

namespace {

bool hasWarning(const Warnings& ws, std::string_view code, std::string_view element = {},
                std::string_view text = {}) {
  for (const auto& w : ws) {
    if (w.code == code && (element.empty() || w.element == element) &&
        (text.empty() || w.message.find(text) != std::string::npos) && w.line > 0) {
      return true;
    }
  }
  return false;
}

std::string replaceOnce(std::string s, const std::string& from, const std::string& to) {
  const auto pos = s.find(from);
  REQUIRE(pos != std::string::npos);
  return s.replace(pos, from.size(), to);
}

}  // namespace

TEST_CASE("every real sample validates as a package or a status") {
  for (const auto& name : realFiles()) {
    INFO(name);
    const std::string bytes = readReal(name);
    auto doc = XmlDocument::parse(bytes);
    REQUIRE(doc);
    auto kind = detectKind(*doc);
    REQUIRE(kind);
    if (*kind == MessageKind::Status) {
      auto a = StatusMessage::analyze(bytes, &schemaSet());
      for (const auto& e : a.errors) INFO(e.describe());
      CHECK(a.ok());
    } else {
      auto a = Package::analyze(bytes, &schemaSet());
      for (const auto& e : a.errors) UNSCOPED_INFO(e.describe());
      CHECK(a.ok());
      REQUIRE(a.value);
      CHECK(a.value->isSigned());
      CHECK(a.value->header.other_info.direction == "false");
      CHECK(a.value->attachments.size() == 1);
    }
  }
}

TEST_CASE("the SDK's new document reads with its odd recipient code as a warning") {
  auto p = Package::parse(readReal("vxpsdk_edoc_new_original.edxml"), &schemaSet());
  REQUIRE(p);
  CHECK(p->header.from.organ_id == "000.00.00.A80");
  REQUIRE(p->header.to.size() == 1);
  CHECK(p->header.to[0].organ_id == "28.22.H17");
  CHECK(hasWarning(p->warnings, "organ_id_other", "OrganId", "28.22.H17"));
  CHECK(p->documentId() == "000.00.00.G22,2015/09/30,7816/VPCP-TTĐT");
  // Signature in the document's default namespace (edXML), where wt-16's verifier looks for it.
  CHECK(p->signature_xml.find("rsa-sha1") != std::string::npos);
  // Direction and edXMLManifest@version are declared: no warning for them.
  CHECK_FALSE(hasWarning(p->warnings, "unknown_element", "Direction"));
  CHECK_FALSE(hasWarning(p->warnings, "unknown_attribute"));
  // A new document's Bussiness/DocumentId acts on nothing.
  CHECK(p->businessTargets().empty());
  CHECK(hasWarning(p->warnings, "business_target"));
  auto zip = p->attachments[0].unzip();
  CHECK(zip);
}

TEST_CASE("update, replacement and revocation name their targets as the SDK means them") {
  auto update = Package::parse(readReal("vxpsdk_edoc_update.edxml"), &schemaSet());
  REQUIRE(update);
  REQUIRE(update->business);
  CHECK(update->business->doc_type == BusinessDocType::Update);
  CHECK(update->businessTargets() ==
        std::vector<std::string>{"000.00.00.G22,2014/02/30,7806/VPCP-TTĐT"});

  auto replace = Package::parse(readReal("vxpsdk_edoc_replacement.edxml"), &schemaSet());
  REQUIRE(replace);
  REQUIRE(replace->business);
  CHECK(replace->business->doc_type == BusinessDocType::Replace);
  REQUIRE(replace->business->replacements.size() == 2);
  CHECK(replace->businessTargets() ==
        std::vector<std::string>{"000.00.00.G22,2014/01/30,7806/VPCP-TTĐT"});
  CHECK(replace->replacedAt("000.00.00.G22,2014/01/30,7806/VPCP-TTĐT") ==
        std::vector<std::string>{"000.00.00.H41", "000.00.00.H14"});
  CHECK(hasWarning(replace->warnings, "duplicate_replacement", "ReplacementInfo"));
  // The replacement list is written back as found.
  CHECK(replace->serialize().find("ReplacementInfoList") != std::string::npos);

  auto revoke = Package::parse(readReal("vxpsdk_edoc_revocation.edxml"), &schemaSet());
  REQUIRE(revoke);
  REQUIRE(revoke->business);
  CHECK(revoke->business->doc_type == BusinessDocType::Revoke);
  CHECK(revoke->business->document_id.empty());
  CHECK(revoke->businessTargets() == std::vector<std::string>{revoke->documentId()});
}

TEST_CASE("a business package without what it acts on is refused") {
  const std::string upd = readReal("vxpsdk_edoc_update.edxml");
  const auto a = upd.find("<edXML:DocumentId>000.00.00.G22,2014/02/30");
  const auto b = upd.find("</edXML:DocumentId>", a) + 19;
  std::string no_target = upd;
  no_target.erase(a, b - a);
  auto r = Package::parse(no_target, &schemaSet());
  REQUIRE_FALSE(r);
  CHECK(r.error().code == ErrorCode::MissingElement);
  CHECK(r.error().element == "Bussiness");

  std::string rep = readReal("vxpsdk_edoc_replacement.edxml");
  const auto la = rep.find("<edXML:ReplacementInfoList>");
  const auto lb = rep.find("</edXML:ReplacementInfoList>") + 28;
  rep.erase(la, lb - la);
  auto r2 = Package::parse(rep, &schemaSet());
  REQUIRE_FALSE(r2);
  CHECK(r2.error().element == "Bussiness");
}

TEST_CASE("real status messages read in any order, placeholders tolerated") {
  auto s = StatusMessage::parse(readReal("vxpsdk_status_generic_01.edxml"), &schemaSet());
  REQUIRE(s);
  CHECK(s->status == StatusCode::Arrived);
  CHECK(s->response_for.organ_id == "000.00.00.G22");

  // Empty ResponseFor/OrganId: the sender comes from the composite DocumentId, with a warning.
  const std::string empty = replaceOnce(readReal("vxpsdk_status_03_acceptance.edxml"),
                                        "<edXML:OrganId>000.00.00.G22</edXML:OrganId>",
                                        "<edXML:OrganId></edXML:OrganId>");
  auto e = StatusMessage::parse(empty, &schemaSet());
  REQUIRE(e);
  CHECK(e->response_for.organ_id == "000.00.00.G22");
  CHECK(hasWarning(e->warnings, "placeholder", "ResponseFor"));

  const std::string null = replaceOnce(readReal("vxpsdk_status_03_acceptance.edxml"),
                                       "<edXML:OrganId>000.00.00.G22</edXML:OrganId>",
                                       "<edXML:OrganId>null</edXML:OrganId>");
  auto n = StatusMessage::parse(null, &schemaSet());
  REQUIRE(n);
  CHECK(n->response_for.organ_id == "000.00.00.G22");
  CHECK(hasWarning(n->warnings, "placeholder", "OrganId"));

  // An axis's system id as the reporting unit: the other family, lower case kept as written.
  const std::string axis = replaceOnce(readReal("vxpsdk_status_05_processing.edxml"),
                                       "<edXML:OrganId>000.00.00.H41</edXML:OrganId>",
                                       "<edXML:OrganId>vxp.saas.03</edXML:OrganId>");
  auto x = StatusMessage::parse(axis, &schemaSet());
  REQUIRE(x);
  CHECK(x->from.organ_id == "vxp.saas.03");
  CHECK(hasWarning(x->warnings, "organ_id_other"));
}

TEST_CASE("unknown elements and attributes in the edXML namespace are warnings wherever they appear") {
  std::string s = readReal("vxpsdk_edoc_new_original.edxml");
  s = replaceOnce(s, "<edXML:Priority>0</edXML:Priority>",
                  "<edXML:Priority>0</edXML:Priority><edXML:ApplicationType>DMS</edXML:ApplicationType>"
                  "<edXML:Cancelled>0</edXML:Cancelled>");
  s = replaceOnce(s, "<edXML:Reference>",
                  "<edXML:Reference xmlns:xlink=\"http://www.w3.org/1999/xlink\" xlink:href=\"cid:209\" "
                  "xlink:type=\"simple\" kind=\"main\">");
  s = replaceOnce(s, "<edXML:From>", "<edXML:From><edXML:OrganCode>A80</edXML:OrganCode>");
  s = replaceOnce(s, "<edXML:TraceHeaderList>", "<edXML:Extra a=\"1\"/><edXML:TraceHeaderList>");
  s = replaceOnce(s, "<AttachmentEncoded>", "<AttachmentEncoded><Note>x</Note>");
  s = replaceOnce(s, "<edXML:Paper>0</edXML:Paper>", "<edXML:Paper>0</edXML:Paper><edXML:Signer2/>");
  auto a = Package::analyze(s, &schemaSet());
  for (const auto& e : a.errors) UNSCOPED_INFO(e.describe());
  REQUIRE(a.ok());
  CHECK_FALSE(hasWarning(a.warnings, "unknown_element", "ApplicationType"));
  CHECK(hasWarning(a.warnings, "unknown_element", "Cancelled", "OtherInfo"));
  CHECK(hasWarning(a.warnings, "unknown_element", "OrganCode", "From"));
  CHECK(hasWarning(a.warnings, "unknown_element", "Extra", "edXMLHeader"));
  CHECK(hasWarning(a.warnings, "unknown_element", "Note", "AttachmentEncoded"));
  CHECK(hasWarning(a.warnings, "unknown_element", "Signer2", "Bussiness"));
  // xlink: attributes are declared (a foreign namespace); an unqualified one is reported.
  CHECK(hasWarning(a.warnings, "unknown_attribute", "Reference", "'kind'"));
  CHECK_FALSE(hasWarning(a.warnings, "unknown_attribute", "Reference", "href"));
  // A known element still has its type where it is not expected.
  const std::string bad = replaceOnce(s, "<edXML:Cancelled>0</edXML:Cancelled>",
                                      "<edXML:Cancelled><edXML:Priority>9</edXML:Priority></edXML:Cancelled>");
  auto b = Package::analyze(bad, &schemaSet());
  CHECK_FALSE(b.ok());
}

TEST_CASE("a tolerated unknown element cannot carry what the safe parser refuses") {
  const std::string base = readReal("vxpsdk_edoc_new_original.edxml");
  auto inside = [&](const std::string& content) {
    return replaceOnce(base, "<edXML:SteeringType>",
                       "<edXML:Unknown>" + content + "</edXML:Unknown><edXML:SteeringType>");
  };
  auto refused = [](const std::string& bytes, const XmlLimits& limits = {}) {
    auto a = Package::analyze(bytes, &schemaSet(), limits);
    REQUIRE_FALSE(a.errors.empty());
    CHECK_FALSE(a.value);  // nothing read from it
    return a.errors.front().code;
  };
  CHECK(refused(inside("&xxe;")) == ErrorCode::EntityRefused);
  CHECK(refused(inside("&#x26;xxe;<x/>&nbsp;")) == ErrorCode::EntityRefused);
  std::string deep;
  for (int i = 0; i < 200; ++i) deep += "<edXML:U>";
  for (int i = 0; i < 200; ++i) deep += "</edXML:U>";
  CHECK(refused(inside(deep)) == ErrorCode::TooDeep);
  XmlLimits small;
  small.max_text_bytes = 1000;
  small.max_nodes = 100000;
  CHECK(refused(inside(std::string(2000, 'a')), small) == ErrorCode::TextTooLarge);
  std::string many;
  for (int i = 0; i < 2000; ++i) many += "<edXML:U/>";
  XmlLimits few;
  few.max_nodes = 1500;
  CHECK(refused(inside(many), few) == ErrorCode::TooManyNodes);
  CHECK(refused(inside("<x:Y>unbound</x:Y>")) == ErrorCode::MalformedXml);
  CHECK(refused(inside("<edXML:Y z:a=\"1\"/>")) == ErrorCode::MalformedXml);
  CHECK(refused(inside("<a></b>")) == ErrorCode::MalformedXml);
  CHECK(refused(inside("bad \xC3\x28 utf8")) == ErrorCode::InvalidUtf8);
  // A DOCTYPE cannot hide behind an extension either: it is refused wherever it is.
  CHECK(refused(replaceOnce(base, "<edXML xmlns", "<!DOCTYPE edXML [<!ENTITY e \"x\">]><edXML xmlns")) ==
        ErrorCode::DoctypeRefused);
  // XInclude and schema hints in an extension are not followed: the package reads, nothing loads.
  auto ok = Package::analyze(
      inside("<xi:include xmlns:xi=\"http://www.w3.org/2001/XInclude\" href=\"file:///etc/passwd\"/>"
             "<edXML:S xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
             "xsi:schemaLocation=\"http://www.mic.gov.vn/TBT/QCVN_102_2016 http://127.0.0.1:9/x.xsd\"/>"),
      &schemaSet());
  REQUIRE(ok.value);
  CHECK(ok.value->serialize().find("root:") == std::string::npos);
}

TEST_CASE("broken packages are refused with a message: not well-formed, unbound prefixes") {
  const std::string base = readReal("vxpsdk_status_01_inbox.edxml");
  const std::string unbound = replaceOnce(base, "<edXML:StatusCode>01</edXML:StatusCode>",
                                          "<ed:StatusCode>01</ed:StatusCode>");
  auto a = StatusMessage::analyze(unbound, &schemaSet());
  REQUIRE_FALSE(a.errors.empty());
  CHECK(a.errors[0].code == ErrorCode::MalformedXml);
  CHECK(a.errors[0].message.find("ed") != std::string::npos);
  // The first unbound prefix is named, at its line (libxml2 goes on and reports the last one).
  const auto at = unbound.find("<ed:StatusCode>");
  CHECK(a.errors[0].line == 1 + std::count(unbound.begin(), unbound.begin() + static_cast<long>(at), '\n'));
  std::string two = replaceOnce(unbound, "<edXML:Description>", "<zz:Description>");
  two = replaceOnce(two, "</edXML:Description>", "</zz:Description>");
  auto a2 = StatusMessage::analyze(two, &schemaSet());
  REQUIRE_FALSE(a2.errors.empty());
  CHECK(a2.errors[0].message.find("ed on StatusCode") != std::string::npos);
  const std::string cut = base.substr(0, base.size() / 2);
  auto b = StatusMessage::analyze(cut, &schemaSet());
  REQUIRE_FALSE(b.errors.empty());
  CHECK(b.errors[0].code == ErrorCode::MalformedXml);
}

TEST_CASE("analyze reports every error of a file in one run, and what it could read") {
  std::string s = readReal("vxpsdk_edoc_new_original.edxml");
  s = replaceOnce(s, "<edXML:Priority>0", "<edXML:Priority>9");
  s = replaceOnce(s, "<edXML:PromulgationDate>2019/01/16", "<edXML:PromulgationDate>2019/02/30");
  s = replaceOnce(s, "<edXML:BussinessDocType>0", "<edXML:BussinessDocType>7");
  s = replaceOnce(s, "<edXML:OrganId>28.22.H17</edXML:OrganId>", "<edXML:OrganId></edXML:OrganId>");
  auto a = Package::analyze(s, &schemaSet());
  REQUIRE(a.value);
  CHECK(a.value->header.from.organ_id == "000.00.00.A80");
  std::set<std::string> elements;
  for (const auto& e : a.errors) elements.insert(e.element);
  for (const char* want : {"Priority", "PromulgationDate", "BussinessDocType", "To"}) {
    INFO(want);
    CHECK(elements.contains(want));
  }
  // The impossible date is reported at the PromulgationDate element's own line.
  const auto at = s.find("<edXML:PromulgationDate>2019/02/30");
  const int date_line = static_cast<int>(1 + std::count(s.begin(), s.begin() + static_cast<long>(at), '\n'));
  bool at_line = false;
  for (const auto& e : a.errors) at_line = at_line || (e.element == "PromulgationDate" && e.line == date_line);
  CHECK(at_line);
  CHECK(a.errors.size() >= 4);
}

TEST_CASE("the placeholder null in optional values is read as absent with a warning") {
  std::string s = readReal("vxpsdk_edoc_update.edxml");
  s = replaceOnce(s, "<edXML:DueDate>2018/09/28</edXML:DueDate>", "<edXML:DueDate>null</edXML:DueDate>");
  s = replaceOnce(s, "<edXML:Priority>0</edXML:Priority>", "<edXML:Priority>NULL</edXML:Priority>");
  s = replaceOnce(s, "<edXML:Fax>048989898789</edXML:Fax>", "<edXML:Fax>null</edXML:Fax>");
  s = replaceOnce(s, "<edXML:Paper>0</edXML:Paper>", "<edXML:Paper></edXML:Paper>");
  auto p = Package::parse(s, &schemaSet());
  REQUIRE(p);
  CHECK(p->header.due_date.empty());
  CHECK(p->header.from.fax.empty());
  CHECK(hasWarning(p->warnings, "placeholder", "DueDate"));
  CHECK(hasWarning(p->warnings, "placeholder", "Priority"));
  CHECK(hasWarning(p->warnings, "placeholder", "Fax"));
  CHECK(hasWarning(p->warnings, "placeholder", "Paper"));
  // An empty business type reads as a new document, with a warning.
  const std::string empty_type = replaceOnce(readReal("vxpsdk_edoc_new_original.edxml"),
                                             "<edXML:BussinessDocType>0</edXML:BussinessDocType>",
                                             "<edXML:BussinessDocType>null</edXML:BussinessDocType>");
  auto n = Package::parse(empty_type, &schemaSet());
  REQUIRE(n);
  CHECK(n->business->doc_type == BusinessDocType::New);
  CHECK(hasWarning(n->warnings, "placeholder", "BussinessDocType"));
}

TEST_CASE("From or To without a code cannot be accounted for or routed") {
  const std::string base = readReal("vxpsdk_edoc_new_original.edxml");
  auto from = Package::parse(replaceOnce(base, "<edXML:OrganId>000.00.00.A80</edXML:OrganId>",
                                         "<edXML:OrganId>null</edXML:OrganId>"),
                             &schemaSet());
  REQUIRE_FALSE(from);
  CHECK(from.error().code == ErrorCode::MissingElement);
  CHECK(from.error().element == "From");
  auto to = Package::parse(replaceOnce(base, "<edXML:OrganId>28.22.H17</edXML:OrganId>", ""),
                           &schemaSet());
  REQUIRE_FALSE(to);
  CHECK(to.error().element == "To");
}

TEST_CASE("the directory holds codes of every family and finds them case-insensitively") {
  using schemas::Channel;
  auto unit = [](const char* code, const char* legacy = "") {
    return Unit{code, legacy, std::string("Đơn vị ") + code, "", 0, "", "", "", "n", Channel::Mailbox, {}};
  };
  auto dir = Directory::fromUnits(
      "t", {{"n", "", ""}},
      {unit("H41"), unit("vxp.saas.03"), unit("020100107370"), unit("28.22.H17"), unit("G12", "000.00.00.G12")});
  REQUIRE(dir);
  CHECK(dir->find("VXP.SAAS.03") != nullptr);
  CHECK(dir->find("vxp.saas.03")->code == "vxp.saas.03");
  CHECK(dir->find("28.22.h17") != nullptr);
  CHECK(dir->find("020100107370") != nullptr);
  CHECK(dir->find("g12") != nullptr);
  CHECK(dir->find("000.00.00.g12") != nullptr);
  CHECK(dir->find("h41")->level == 1);
  auto twice = Directory::fromUnits("t", {{"n", "", ""}}, {unit("G12"), unit("g12")});
  REQUIRE_FALSE(twice);
  CHECK(twice.error().message.find("twice") != std::string::npos);
  auto unsafe = Directory::fromUnits("t", {{"n", "", ""}}, {unit("G 12")});
  REQUIRE_FALSE(unsafe);
  CHECK(unsafe.error().code == ErrorCode::DirectoryInvalid);
}

TEST_CASE("what .NET and other producers also write: xsi:nil, a status code without its zero") {
  std::string s = readReal("vxpsdk_edoc_update.edxml");
  s = replaceOnce(s, "<edXML:DueDate>2018/09/28</edXML:DueDate>",
                  "<edXML:DueDate xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:nil=\"true\"/>");
  auto p = Package::analyze(s, &schemaSet());
  for (const auto& e : p.errors) UNSCOPED_INFO(e.describe());
  CHECK(p.ok());
  CHECK(p.value->header.due_date.empty());

  const std::string st = replaceOnce(readReal("vxpsdk_status_03_acceptance.edxml"),
                                     "<edXML:StatusCode>03</edXML:StatusCode>",
                                     "<edXML:StatusCode>3</edXML:StatusCode>");
  auto a = StatusMessage::parse(st, &schemaSet());
  REQUIRE(a);
  CHECK(a->status == StatusCode::Accepted);
  CHECK(hasWarning(a->warnings, "status_code_format", "StatusCode"));
  const std::string bad = replaceOnce(st, "<edXML:StatusCode>3", "<edXML:StatusCode>7");
  auto b = StatusMessage::parse(bad, &schemaSet());
  REQUIRE_FALSE(b);
  CHECK(b.error().element == "StatusCode");
}

TEST_CASE("dates with a time after them read as the date, with a warning; encoding UTF8 is UTF-8") {
  std::string s = readReal("vxpsdk_edoc_new_original.edxml");
  s = replaceOnce(s, "<edXML:PromulgationDate>2019/01/16</edXML:PromulgationDate>",
                  "<edXML:PromulgationDate>2019-01-16T00:00:00+07:00</edXML:PromulgationDate>");
  s = replaceOnce(s, "<edXML:DueDate>2018/09/28</edXML:DueDate>", "<edXML:DueDate>2018-09-28T00:00:00</edXML:DueDate>");
  s = replaceOnce(s, "encoding=\"UTF-8\"", "encoding=\"utf8\"");
  auto p = Package::analyze(s, &schemaSet());
  for (const auto& e : p.errors) UNSCOPED_INFO(e.describe());
  REQUIRE(p.ok());
  CHECK(p.value->header.promulgation_date == "2019-01-16");
  CHECK(p.value->header.due_date == "2018-09-28");
  CHECK(hasWarning(p.warnings, "date_format", "PromulgationDate"));
  // Still refused: a date that is no date, and an impossible one.
  CHECK_FALSE(Package::parse(replaceOnce(s, "2019-01-16T00:00:00+07:00", "16/01/2019"), &schemaSet()));
  auto impossible = Package::parse(replaceOnce(s, "2019-01-16T00:00:00+07:00", "2019-02-30T00:00:00"), &schemaSet());
  REQUIRE_FALSE(impossible);
  CHECK(impossible.error().code == ErrorCode::BadDate);
}

TEST_CASE("a Signature appended to the document element (generic XMLDSig signers) is the package's signature") {
  const std::string base = readReal("vxpsdk_edoc_new_original.edxml");
  const auto a = base.find("<Signature>");
  const auto b = base.find("</Signature>") + 12;
  const std::string sig = base.substr(a, b - a);
  std::string moved = base;
  moved.erase(a, b - a);
  moved = replaceOnce(moved, "</edXML>", sig + "</edXML>");
  auto p = Package::parse(moved, &schemaSet());
  REQUIRE(p);
  CHECK(p->isSigned());
  CHECK(p->signature_xml.find("SignatureValue") != std::string::npos);
  CHECK(hasWarning(p->warnings, "signature_placement", "Signature"));
  CHECK(p->root_extras.empty());
  // With the one in edXMLHeader too: two signatures, refused.
  auto two = Package::parse(replaceOnce(base, "</edXML>", sig + "</edXML>"), &schemaSet());
  REQUIRE_FALSE(two);
  CHECK(two.error().element == "Signature");
  // The same for a status message, in the XMLDSig namespace.
  const std::string st = replaceOnce(readReal("vxpsdk_status_04_assignment.edxml"), "</edXML>",
                                     "<ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"><ds:SignedInfo/></ds:Signature></edXML>");
  auto s = StatusMessage::parse(st, &schemaSet());
  REQUIRE(s);
  CHECK_FALSE(s->signature_xml.empty());
}
