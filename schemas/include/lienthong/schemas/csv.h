// RFC 4180 CSV reading for the files clerks and administrators bring from spreadsheets (directory,
// register imports, targets): quoted fields with "" escapes and line breaks, CRLF or LF, a UTF-8
// byte-order mark ignored, blank lines skipped. Pure function, thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "lienthong/schemas/error.h"

namespace lienthong::schemas::csv {

// The rows of `text`, each a list of fields. BadCsv naming `source` and the line for a quote inside
// an unquoted field or a quoted field that is not closed.
Result<std::vector<std::vector<std::string>>> split(std::string_view text, const std::string& source);

}  // namespace lienthong::schemas::csv
