#include "lienthong/gateway/store/clock.h"

#include <chrono>
#include <cstdio>
#include <ctime>

namespace lienthong::gateway {

std::int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

namespace {

std::tm vnTime(std::int64_t ms) {
  const std::time_t t = static_cast<std::time_t>(ms / 1000) + 7 * 3600;
  std::tm tm{};
  gmtime_r(&t, &tm);
  return tm;
}

}  // namespace

std::string todayVn() {
  const std::tm tm = vnTime(nowMs());
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
  return buf;
}

std::string timestampVn(std::int64_t ms) {
  const std::tm tm = vnTime(ms);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d/%02d/%02d %02d:%02d:%02d", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

}  // namespace lienthong::gateway
