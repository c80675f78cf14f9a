// The register as CSV, HTML and JSON, as it is printed and exported.
#include "lienthong/gateway/evidence/register.h"

#include "lienthong/gateway/store/store.h"
#include "lienthong/schemas/csv.h"

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <set>
#include <sstream>

namespace lienthong::gateway {


std::string csvField(std::string_view s) {
  // A cell a spreadsheet would read as a formula (= + - @, or a tab or CR before one) starts
  // with an apostrophe, so it is shown as text and never evaluated.
  const bool formula = !s.empty() && std::string_view("=+-@\t\r").find(s.front()) != std::string_view::npos;
  if (!formula && s.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(s);
  std::string out = formula ? "\"'" : "\"";
  for (char c : s) {
    if (c == '"') out += "\"\"";
    else out += c;
  }
  return out + "\"";
}

std::string htmlEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

namespace {

// dd/mm/yyyy, as registers are written by hand.
std::string vnDate(const std::string& iso) {
  if (iso.size() != 10) return iso;
  return iso.substr(8, 2) + "/" + iso.substr(5, 2) + "/" + iso.substr(0, 4);
}

std::string recipientsText(const RegisterEntry& e) {
  std::string out;
  for (const auto& r : e.recipients) {
    if (!out.empty()) out += "; ";
    out += r.organ_id;
    const auto c = r.channel();
    out += c == IssueChannel::ElectronicOnly ? " (điện tử)"
           : c == IssueChannel::PaperOnly    ? " (giấy)"
           : c == IssueChannel::Both         ? " (điện tử + giấy)"
                                             : " (chưa phát hành)";
  }
  return out;
}

std::string notesText(const RegisterEntry& e) {
  std::string out = e.notes;
  const auto add = [&](const std::string& s) { out += (out.empty() ? "" : "; ") + s; };
  if (e.source == "gateway") add("qua liên thông");
  if (e.channel() == IssueChannel::NotIssued) add("chưa phát hành");
  return out;
}

std::vector<std::string> columns(const RegisterEntry& e) {
  std::string type_subject = e.type;
  if (!e.subject.empty()) type_subject += (type_subject.empty() ? "" : " - ") + e.subject;
  return {e.numberNotation(), vnDate(e.date), type_subject, e.signer, recipientsText(e),
          e.file_keeper, std::to_string(e.copies), vnDate(e.dispatch_date), e.receipt,
          notesText(e)};
}

const std::vector<std::string>& headers() {
  static const std::vector<std::string> kHeaders = {
      "Số, ký hiệu văn bản", "Ngày tháng văn bản", "Tên loại và trích yếu nội dung",
      "Người ký", "Nơi nhận văn bản", "Đơn vị, người nhận bản lưu", "Số lượng bản",
      "Ngày chuyển", "Ký nhận", "Ghi chú"};
  return kHeaders;
}

}  // namespace

std::string registerCsv(const std::vector<RegisterEntry>& entries) {
  std::string out;
  const auto line = [&](const std::vector<std::string>& cells) {
    for (std::size_t i = 0; i < cells.size(); ++i) out += (i ? "," : "") + csvField(cells[i]);
    out += "\r\n";
  };
  line(headers());
  for (const auto& e : entries) line(columns(e));
  return out;
}

std::string registerHtml(const std::vector<RegisterEntry>& entries, const std::string& unit,
                         const std::string& unit_name, const std::string& from,
                         const std::string& to) {
  std::ostringstream o;
  o << "<!DOCTYPE html>\n<html lang=\"vi\"><head><meta charset=\"utf-8\">"
    << "<title>Sổ đăng ký văn bản đi - " << htmlEscape(unit) << "</title><style>"
    << "body{font-family:'Times New Roman',serif;margin:1.5cm}"
    << "h1{text-align:center;font-size:16pt}p.sub{text-align:center}"
    << "table{border-collapse:collapse;width:100%;font-size:10pt}"
    << "th,td{border:1px solid #000;padding:3px;vertical-align:top}"
    << "th{background:#eee}@page{size:A4 landscape;margin:1cm}"
    << "@media print{body{margin:0}thead{display:table-header-group}}"
    << "</style></head><body>\n"
    << "<h1>SỔ ĐĂNG KÝ VĂN BẢN ĐI</h1>\n<p class=\"sub\">" << htmlEscape(unit_name) << " ("
    << htmlEscape(unit) << ")<br>Từ ngày " << htmlEscape(from.empty() ? "…" : vnDate(from))
    << " đến ngày " << htmlEscape(to.empty() ? "…" : vnDate(to)) << "</p>\n"
    << "<table><thead><tr>";
  for (std::size_t i = 0; i < headers().size(); ++i) {
    o << "<th>" << htmlEscape(headers()[i]) << "<br>(" << i + 1 << ")</th>";
  }
  o << "</tr></thead><tbody>\n";
  for (const auto& e : entries) {
    o << "<tr>";
    for (const auto& c : columns(e)) o << "<td>" << htmlEscape(c) << "</td>";
    o << "</tr>\n";
  }
  o << "</tbody></table>\n<p>" << entries.size() << " văn bản.</p>\n</body></html>\n";
  return o.str();
}

std::string registerJson(const std::vector<RegisterEntry>& entries) {
  Poco::JSON::Array::Ptr arr = new Poco::JSON::Array;
  for (const auto& e : entries) {
    Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
    o->set("id", e.id);
    o->set("direction", std::string(directionName(e.direction)));
    o->set("unit", e.unit);
    o->set("source", e.source);
    o->set("document_id", e.document_id);
    o->set("number", e.numberNotation());
    o->set("date", e.date);
    o->set("type", e.type);
    o->set("subject", e.subject);
    o->set("signer", e.signer);
    o->set("sender", e.sender);
    Poco::JSON::Array::Ptr rs = new Poco::JSON::Array;
    for (const auto& r : e.recipients) {
      Poco::JSON::Object::Ptr x = new Poco::JSON::Object;
      x->set("organ_id", r.organ_id);
      x->set("channel", std::string(issueChannelName(r.channel())));
      x->set("delivery_state", r.delivery_state);
      rs->add(x);
    }
    o->set("recipients", rs);
    o->set("channel", std::string(issueChannelName(e.channel())));
    o->set("file_keeper", e.file_keeper);
    o->set("copies", e.copies);
    o->set("dispatch_date", e.dispatch_date);
    o->set("arrival_date", e.arrival_date);
    o->set("receipt", e.receipt);
    o->set("notes", e.notes);
    if (e.pdf_total >= 0) {
      o->set("pdf_attachments", e.pdf_total);
      o->set("pdf_both_signatures_valid", e.pdf_both_valid);
    }
    arr->add(o);
  }
  std::ostringstream out;
  arr->stringify(out);
  return out.str();
}

}  // namespace lienthong::gateway
