#include <catch2/catch.hpp>

#include <string>

#include "lienthong/schemas/edxml.h"
#include "lienthong/schemas/sample.h"
#include "lienthong/schemas/schema_set.h"
#include "support/schema_set_fixture.h"

using namespace lienthong;
using namespace lienthong::schemas;
using lienthong::testing::schemaSet;

namespace {

std::string realistic() { return sample::package().serialize(); }

std::string replaceOnce(std::string s, const std::string& from, const std::string& to) {
  const auto pos = s.find(from);
  REQUIRE(pos != std::string::npos);
  return s.replace(pos, from.size(), to);
}

}  // namespace

TEST_CASE("a realistic package parses with every field, recipient and attachment") {
  auto p = Package::parse(realistic(), &schemaSet());
  REQUIRE(p);
  CHECK(p->header.from.organ_id == "000.00.00.H41");
  CHECK(p->header.from.organ_name == "Ủy ban nhân dân tỉnh Nghệ An");
  REQUIRE(p->header.to.size() == 2);
  CHECK(p->header.to[1].organ_id == "000.00.32.H41");
  CHECK(p->header.code.str() == "123/QĐ-UBND");
  CHECK(p->header.subject == "Về việc triển khai gửi, nhận văn bản điện tử liên thông");
  CHECK(p->header.signer.full_name == "Nguyễn Văn Đức");
  CHECK(p->header.other_info.priority == Priority::Urgent);
  CHECK(p->documentId() == "000.00.00.H41,2026/11/20,123/QĐ-UBND");
  REQUIRE(p->business);
  CHECK(p->business->staff_info->staff == "Trần Thị Hoa");
  REQUIRE(p->attachments.size() == 2);
  REQUIRE(p->manifest.size() == 2);
  const auto pdf = p->attachments[0].decode();
  REQUIRE(pdf);
  CHECK(pdf->rfind("%PDF-1.7", 0) == 0);
  CHECK(p->attachments[0].decodedSize() == pdf->size());
  auto files = p->attachments[1].unzip();
  REQUIRE(files);
  REQUIRE(files->size() == 1);
  CHECK((*files)[0].name == "phu-luc-danh-sach.txt");
  CHECK((*files)[0].data.find("danh sách đơn vị") != std::string::npos);
}

TEST_CASE("serializing a parsed package twice gives identical bytes") {
  const std::string original = realistic();
  auto p1 = Package::parse(original, &schemaSet());
  REQUIRE(p1);
  const std::string once = p1->serialize();
  CHECK(once == original);
  auto p2 = Package::parse(once, &schemaSet());
  REQUIRE(p2);
  CHECK(p2->serialize() == once);
}

TEST_CASE("a package from another producer (other order, other prefix) reads the same") {
  const std::string xml = R"(<?xml version="1.0" encoding="UTF-8"?>
<e:edXML xmlns:e="http://www.mic.gov.vn/TBT/QCVN_102_2016">
 <e:AttachmentEncoded/>
 <e:edXMLEnvelope>
  <e:edXMLBody><e:edXMLManifest/></e:edXMLBody>
  <e:edXMLHeader>
   <e:MessageHeader>
    <e:DocumentId>4f3c1d9e-8b7a-4c2e-9f10-2b3c4d5e6f70</e:DocumentId>
    <e:To><e:OrganId>H55.242</e:OrganId></e:To>
    <e:Subject>Công văn về việc họp giao ban</e:Subject>
    <e:From><e:OrganName>Văn phòng Chính phủ</e:OrganName><e:OrganId>000.00.00.G22</e:OrganId></e:From>
   </e:MessageHeader>
   <e:TraceHeaderList><e:Bussiness><e:BussinessDocType>0</e:BussinessDocType><e:Paper>1</e:Paper></e:Bussiness></e:TraceHeaderList>
  </e:edXMLHeader>
 </e:edXMLEnvelope>
</e:edXML>)";
  auto p = Package::parse(xml, &schemaSet());
  REQUIRE(p);
  CHECK(p->header.from.organ_id == "000.00.00.G22");
  CHECK(p->header.to[0].organ_id == "H55.242");
  CHECK(p->documentId() == "4f3c1d9e-8b7a-4c2e-9f10-2b3c4d5e6f70");
  REQUIRE(p->business);
  CHECK(p->business->paper);
}

TEST_CASE("unknown elements survive a round trip") {
  const std::string extra = R"(<x:DmsRef xmlns:x="urn:example:dms" x:kind="internal">HS-2026/0042<x:Note>giữ nguyên</x:Note></x:DmsRef>)";
  std::string xml = replaceOnce(realistic(), "<edXML:SteeringType>", extra + "<edXML:SteeringType>");
  auto p = Package::parse(xml, &schemaSet());
  REQUIRE(p);
  REQUIRE(p->header.extras.size() == 1);
  CHECK(p->header.extras[0].find("HS-2026/0042") != std::string::npos);
  const std::string out = p->serialize();
  CHECK(out.find("HS-2026/0042") != std::string::npos);
  CHECK(out.find("giữ nguyên") != std::string::npos);
  auto again = Package::parse(out, &schemaSet());
  REQUIRE(again);
  CHECK(again->header.extras == p->header.extras);
  CHECK(again->serialize() == out);
}

TEST_CASE("a signature in the XMLDSig namespace or without a prefix is kept as found") {
  const std::string sig =
      R"(<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo/></Signature>)";
  auto p = Package::parse(replaceOnce(realistic(), "</edXML:edXMLHeader>", sig + "</edXML:edXMLHeader>"),
                          &schemaSet());
  REQUIRE(p);
  CHECK(p->isSigned());
  CHECK(p->signature_xml.find("SignedInfo") != std::string::npos);
  CHECK(p->serialize(false).find("SignedInfo") == std::string::npos);
}

TEST_CASE("a status message round-trips with its code") {
  auto original = sample::package();
  const auto s = sample::status(original, "000.00.31.H41", StatusCode::Completed);
  const std::string bytes = s.serialize();
  auto doc = XmlDocument::parse(bytes);
  REQUIRE(doc);
  CHECK(*detectKind(*doc) == MessageKind::Status);
  auto parsed = StatusMessage::parse(bytes, &schemaSet());
  REQUIRE(parsed);
  CHECK(parsed->status == StatusCode::Completed);
  CHECK(parsed->response_for.document_id == original.documentId());
  CHECK(parsed->serialize() == bytes);
}

TEST_CASE("a 50 MB attachment parses and decodes in chunks") {
  sample::PackageSpec spec;
  spec.pdf_bytes = 50u << 20;
  const std::string bytes = sample::package(spec).serialize();
  auto p = Package::parse(bytes, &schemaSet());
  REQUIRE(p);
  std::size_t total = 0, chunks = 0;
  auto r = p->attachments[0].decodeTo([&](std::string_view c) -> Result<void> {
    total += c.size();
    ++chunks;
    return {};
  });
  REQUIRE(r);
  CHECK(total == p->attachments[0].decodedSize());
  CHECK(total >= (50u << 20) - 1024);
  CHECK(chunks > 100);
}
