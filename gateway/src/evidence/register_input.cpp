// Paper records in: CSV and JSON, each field checked and named when wrong.
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


namespace {

std::vector<std::string> splitList(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s + ";") {
    if (c == ';') {
      auto b = cur.find_first_not_of(' ');
      auto e = cur.find_last_not_of(' ');
      if (b != std::string::npos) out.push_back(cur.substr(b, e - b + 1));
      cur.clear();
    } else {
      cur += c;
    }
  }
  return out;
}

Result<int> parseCount(const std::string& text, const std::string& what) {
  if (text.empty()) return 0;
  if (text.size() > 6 || text.find_first_not_of("0123456789") != std::string::npos) {
    return fail(ErrorCode::InvalidArgument, what + ": '" + text + "' is not a count");
  }
  return std::stoi(text);
}

// Sets one field of a record by its column name; InvalidArgument naming it when wrong.
Result<void> setField(PaperRecord& r, const std::string& name, const std::string& v) {
  if (name == "direction") {
    auto d = parseDirection(v.empty() ? "out" : v);
    if (!d) return std::unexpected(d.error());
    r.direction = *d;
  } else if (name == "unit") r.unit = v;
  else if (name == "document_id") r.document_id = v;
  else if (name == "number") r.number = v;
  else if (name == "notation") r.notation = v;
  else if (name == "date") r.date = v;
  else if (name == "type") r.type = v;
  else if (name == "subject") r.subject = v;
  else if (name == "signer") r.signer = v;
  else if (name == "sender") r.sender = v;
  else if (name == "recipients") r.recipients = splitList(v);
  else if (name == "file_keeper") r.file_keeper = v;
  else if (name == "copies") {
    auto n = parseCount(v, "copies");
    if (!n) return std::unexpected(n.error());
    r.copies = *n;
  } else if (name == "dispatch_date") r.dispatch_date = v;
  else if (name == "arrival_date") r.arrival_date = v;
  else if (name == "receipt") r.receipt = v;
  else if (name == "notes") r.notes = v;
  else if (name == "channel") r.channel = v;
  else return fail(ErrorCode::InvalidArgument, "unknown field '" + name + "'");
  return {};
}

}  // namespace

Result<std::vector<PaperRecord>> parsePaperCsv(std::string_view text, const std::string& source) {
  auto rows = schemas::csv::split(text, source);
  if (!rows) return std::unexpected(rows.error());
  if (rows->empty()) return fail(ErrorCode::BadCsv, source + ": empty file (a header line is required)");
  const auto& header = rows->front();
  PaperRecord probe;
  for (const auto& h : header) {
    if (auto ok = setField(probe, h, ""); !ok) {
      return fail(ErrorCode::BadCsv, source + ": line 1: " + ok.error().message +
                                         " (columns: direction, unit, document_id, number,"
                                         " notation, date, type, subject, signer, sender,"
                                         " recipients, file_keeper, copies, dispatch_date,"
                                         " arrival_date, receipt, notes, channel)");
    }
  }
  std::vector<PaperRecord> out;
  for (std::size_t i = 1; i < rows->size(); ++i) {
    const auto& row = (*rows)[i];
    const std::string where = source + ": line " + std::to_string(i + 1);
    if (row.size() != header.size()) {
      return fail(ErrorCode::BadCsv, where + ": " + std::to_string(row.size()) + " fields, the header has " +
                                         std::to_string(header.size()));
    }
    PaperRecord r;
    for (std::size_t c = 0; c < row.size(); ++c) {
      if (auto ok = setField(r, header[c], row[c]); !ok) {
        return fail(ErrorCode::BadCsv, where + ": column '" + header[c] + "': " + ok.error().message);
      }
    }
    if (auto ok = checkPaperRecord(r); !ok) return fail(ErrorCode::BadCsv, where + ": " + ok.error().message);
    out.push_back(std::move(r));
  }
  return out;
}

Result<PaperRecord> parsePaperJson(std::string_view json) {
  Poco::JSON::Object::Ptr o;
  try {
    Poco::JSON::Parser p;
    auto v = p.parse(std::string(json));
    o = v.extract<Poco::JSON::Object::Ptr>();
  } catch (const Poco::Exception& e) {
    return fail(ErrorCode::InvalidArgument, "the body is not a JSON object: " + e.displayText());
  }
  PaperRecord r;
  for (const auto& name : o->getNames()) {
    const auto& v = o->get(name);
    std::string text;
    try {
      if (name == "recipients") {
        if (v.type() != typeid(Poco::JSON::Array::Ptr)) {
          return fail(ErrorCode::InvalidArgument, "'recipients' must be an array of OrganIds");
        }
        auto arr = v.extract<Poco::JSON::Array::Ptr>();
        for (std::size_t i = 0; i < arr->size(); ++i) {
          r.recipients.push_back(arr->get(static_cast<unsigned>(i)).convert<std::string>());
        }
        continue;
      }
      if (name == "copies") {
        if (!v.isInteger()) return fail(ErrorCode::InvalidArgument, "'copies' must be a whole number");
        r.copies = v.convert<int>();
        if (r.copies < 0) return fail(ErrorCode::InvalidArgument, "'copies' must not be negative");
        continue;
      }
      if (!v.isString()) return fail(ErrorCode::InvalidArgument, "'" + name + "' must be a string");
      text = v.convert<std::string>();
    } catch (const Poco::Exception& e) {
      return fail(ErrorCode::InvalidArgument, "'" + name + "': " + e.displayText());
    }
    if (auto ok = setField(r, name, text); !ok) {
      return std::unexpected(ok.error());
    }
  }
  if (auto ok = checkPaperRecord(r); !ok) return std::unexpected(ok.error());
  return r;
}

}  // namespace lienthong::gateway
