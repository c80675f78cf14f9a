#include "lienthong/schemas/sample.h"

#include <cstdio>

namespace lienthong::schemas::sample {

std::string pdf(const std::string& title, std::size_t bytes) {
  std::string content = "BT /F1 14 Tf 72 760 Td (" + title + ") Tj ET\n";
  // Pad the content stream with comments up to the size asked for.
  while (content.size() + 400 < bytes) content += "% noi dung van ban / document body line\n";
  std::string out = "%PDF-1.7\n";
  std::vector<std::size_t> offsets;
  auto obj = [&](const std::string& body) {
    offsets.push_back(out.size());
    out += std::to_string(offsets.size()) + " 0 obj\n" + body + "\nendobj\n";
  };
  obj("<< /Type /Catalog /Pages 2 0 R >>");
  obj("<< /Type /Pages /Kids [3 0 R] /Count 1 >>");
  obj("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
      "/Resources << /Font << /F1 5 0 R >> >> >>");
  obj("<< /Length " + std::to_string(content.size()) + " >>\nstream\n" + content + "endstream");
  obj("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>");
  const std::size_t xref = out.size();
  out += "xref\n0 " + std::to_string(offsets.size() + 1) + "\n0000000000 65535 f \n";
  for (auto off : offsets) {
    char line[24];
    std::snprintf(line, sizeof line, "%010zu 00000 n \n", off);
    out += line;
  }
  out += "trailer\n<< /Size " + std::to_string(offsets.size() + 1) +
         " /Root 1 0 R >>\nstartxref\n" + std::to_string(xref) + "\n%%EOF\n";
  return out;
}

Package package(const PackageSpec& spec) {
  Package p;
  auto& h = p.header;
  h.from.organ_id = spec.from;
  h.from.organ_name = spec.from_name;
  h.from.organization_in_charge = "Chủ tịch Ủy ban nhân dân";
  h.from.organ_add = "Số 16 đường Trường Thi, thành phố Vinh";
  h.from.email = "vanthu@example.gov.vn";
  h.from.telephone = "0238 3840 000";
  for (const auto& to : spec.to) {
    Organization o;
    o.organ_id = to;
    o.organ_name = "Đơn vị nhận " + to;
    h.to.push_back(std::move(o));
  }
  h.code.number = std::to_string(spec.number);
  h.code.notation = spec.notation;
  h.place = "Nghệ An";
  h.promulgation_date = spec.date;
  h.type = "1";
  h.type_detail = "2";
  h.type_name = "Quyết định";
  h.subject = spec.subject;
  h.content = "Ủy ban nhân dân tỉnh yêu cầu các đơn vị thực hiện nghiêm túc việc ký số và gửi "
              "văn bản điện tử qua trục liên thông.";
  h.signer = {"TM.", "Chủ tịch", "Nguyễn Văn Đức"};
  h.due_date = "2026/12/31";
  h.to_places = {"Như trên", "Lưu: VT, KGVX"};
  h.other_info.priority = Priority::Urgent;
  h.other_info.sphere_of_promulgation = "Toàn tỉnh";
  h.other_info.typer_notation = "TH";
  h.other_info.promulgation_amount = "5";
  h.other_info.page_amount = "2";
  h.other_info.direction = "false";  // written by the vendor SDK into every package
  h.steering_type = "1";
  h.document_id = spec.from + "," + spec.date + "," + h.code.str();
  p.traces.push_back({spec.from, spec.date + " 08:30:00"});
  Business b;
  b.doc_type = BusinessDocType::New;
  b.staff_info = StaffInfo{"Văn phòng", "Trần Thị Hoa", "0912 345 678", "hoa@example.gov.vn", {}};
  p.business = std::move(b);

  p.manifest_version = "1.0";  // as the vendor SDK writes it
  const std::string title = std::to_string(spec.number) + "/" + spec.notation;
  auto add = [&](std::string cid, std::string name, std::string type, std::string desc,
                 const std::string& bytes) {
    p.manifest.push_back({cid, type, desc, name, 0});
    auto a = Attachment::fromBytes(cid, name, type, bytes);
    a.description = desc;
    p.attachments.push_back(std::move(a));
  };
  add("cid:7f1c2d3e-0001-4a5b-8c9d-000000000001", "QD-" + std::to_string(spec.number) + ".pdf",
      "application/pdf", "Văn bản chính", pdf(title, spec.pdf_bytes));
  if (spec.zipped_appendix) {
    auto archive = codec::zip({{"phu-luc-danh-sach.txt",
                                "Phụ lục: danh sách đơn vị thực hiện\n1. Huyện A\n2. Huyện B\n"}});
    add("cid:7f1c2d3e-0002-4a5b-8c9d-000000000002", "phu-luc.zip", "application/zip",
        "Phụ lục kèm theo", archive ? *archive : std::string());
  }
  return p;
}

StatusMessage status(const Package& original, const std::string& reporter, StatusCode code) {
  StatusMessage s;
  s.from.organ_id = reporter;
  s.from.organ_name = "Đơn vị " + reporter;
  s.response_for.organ_id = original.header.from.organ_id;
  s.response_for.code = original.header.code.str();
  s.response_for.promulgation_date = original.header.promulgation_date;
  s.response_for.document_id = original.documentId();
  s.staff_info = {"Văn thư", "Lê Văn Nam", "", "", {}};
  s.status = code;
  s.description = std::string("Trạng thái: ") + std::string(statusLabel(code));
  s.timestamp = "2026/11/20 09:00:00";
  return s;
}

Package actOn(const Package& target, BusinessDocType type, int number,
              const std::vector<std::string>& at) {
  Package p = target;
  p.signature_xml.clear();
  Business b = target.business.value_or(Business{});
  b.doc_type = type;
  b.document_id.clear();
  b.details.clear();
  b.replacements.clear();
  const std::string target_id = target.documentId();
  if (type != BusinessDocType::Revoke) {
    p.header.code.number = std::to_string(number);
    p.header.document_id = p.header.from.organ_id + "," + p.header.promulgation_date + "," +
                           p.header.code.str();
  }
  switch (type) {
    case BusinessDocType::New: b.reason = "Văn bản điện tử mới"; break;
    case BusinessDocType::Revoke: b.reason = "Thu hồi văn bản điện tử"; break;
    case BusinessDocType::Update:
      b.reason = "Cập nhật văn bản điện tử";
      b.document_id = target_id;
      break;
    case BusinessDocType::Replace: {
      b.reason = "Văn bản thay thế";
      Replacement r;
      r.document_id = target_id;
      r.organ_ids = at;
      if (r.organ_ids.empty()) {
        for (const auto& to : target.header.to) r.organ_ids.push_back(to.organ_id);
      }
      std::string list = "<edXML:ReplacementInfoList><edXML:ReplacementInfo><edXML:DocumentId>";
      xml::appendEscaped(list, r.document_id);
      list += "</edXML:DocumentId><edXML:OrganIdList>";
      for (const auto& o : r.organ_ids) {
        list += "<edXML:OrganId>";
        xml::appendEscaped(list, o);
        list += "</edXML:OrganId>";
      }
      list += "</edXML:OrganIdList></edXML:ReplacementInfo></edXML:ReplacementInfoList>";
      b.details.push_back(std::move(list));
      b.replacements.push_back(std::move(r));
      break;
    }
  }
  p.business = std::move(b);
  return p;
}

}  // namespace lienthong::schemas::sample
