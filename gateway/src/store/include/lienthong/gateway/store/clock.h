// Time as the gateway writes it: milliseconds since the epoch, and Vietnam's civil time (UTC+7)
// in the forms edXML and the directory use.
#pragma once

#include <cstdint>
#include <string>

namespace lienthong::gateway {

std::int64_t nowMs();
// Today's date in Vietnam (UTC+7), yyyy-mm-dd, for directory lookups.
std::string todayVn();
// yyyy/MM/dd HH:mm:ss in UTC+7, as edXML writes times.
std::string timestampVn(std::int64_t ms);

}  // namespace lienthong::gateway
