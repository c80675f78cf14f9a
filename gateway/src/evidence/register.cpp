// The checks on a paper record. The records themselves are the store's (register_records.cpp);
// the book over them is register_book.cpp, its inputs register_input.cpp, its outputs
// register_formats.cpp.
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

Result<void> checkDate(std::string_view date, std::string_view what) {
  const auto bad = [&](const std::string& why) {
    return fail(ErrorCode::BadDate,
                std::string(what) + ": '" + std::string(date) + "' " + why);
  };
  if (date.size() != 10 || date[4] != '-' || date[7] != '-') return bad("is not a date yyyy-mm-dd");
  for (std::size_t i : {0u, 1u, 2u, 3u, 5u, 6u, 8u, 9u}) {
    if (date[i] < '0' || date[i] > '9') return bad("is not a date yyyy-mm-dd");
  }
  const int y = std::stoi(std::string(date.substr(0, 4)));
  const int m = std::stoi(std::string(date.substr(5, 2)));
  const int d = std::stoi(std::string(date.substr(8, 2)));
  if (m < 1 || m > 12) return bad("has no month " + std::to_string(m));
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  const int days = kDays[m - 1] + (m == 2 && leap ? 1 : 0);
  if (d < 1 || d > days) return bad("is not a day of that month");
  return {};
}

Result<void> checkPaperRecord(const PaperRecord& r) {
  const auto missing = [](const char* field) {
    return fail(ErrorCode::InvalidArgument, std::string("'") + field + "' is required");
  };
  if (r.unit.empty()) return missing("unit");
  if (r.date.empty()) return missing("date");
  if (auto d = checkDate(r.date, "date"); !d) return d;
  if (r.number.empty() && r.notation.empty() && r.document_id.empty()) {
    return fail(ErrorCode::InvalidArgument,
                "'number' (with 'notation') or 'document_id' is required to identify the document");
  }
  if (!r.dispatch_date.empty()) {
    if (auto d = checkDate(r.dispatch_date, "dispatch_date"); !d) return d;
    if (r.dispatch_date < r.date) {
      return fail(ErrorCode::InvalidArgument, "dispatch_date " + r.dispatch_date +
                                                  " is before the document's date " + r.date);
    }
  }
  if (!r.arrival_date.empty()) {
    if (auto d = checkDate(r.arrival_date, "arrival_date"); !d) return d;
  }
  if (r.copies < 0) return fail(ErrorCode::InvalidArgument, "'copies' must not be negative");
  if (!r.channel.empty() && r.channel != "electronic" && r.channel != "paper" && r.channel != "both" &&
      r.channel != "not_issued") {
    return fail(ErrorCode::InvalidArgument, "channel '" + r.channel +
                                                "' is not electronic, paper, both or not_issued (a DMS's history) "
                                                "/ kênh phát hành không hợp lệ");
  }
  if (r.direction == RegisterDirection::Outgoing) {
    if (r.recipients.empty()) return missing("recipients");
  } else {
    if (r.sender.empty()) return missing("sender");
    if (r.arrival_date.empty()) return missing("arrival_date");
  }
  std::set<std::string> seen;
  for (const auto& to : r.recipients) {
    if (to.empty()) return fail(ErrorCode::InvalidArgument, "a recipient is empty");
    if (!seen.insert(to).second) {
      return fail(ErrorCode::InvalidArgument, "recipient " + to + " is named twice");
    }
  }
  return {};
}

}  // namespace lienthong::gateway
