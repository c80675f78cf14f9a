// The two places an ErrorCode leaves a node, the HTTP status (http_error.cpp) and the VXP
// ErrorCode of the axis (axis_endpoint.cpp), agree on what a sender should do: retry a 5xx,
// not a refusal.
#include <catch2/catch.hpp>

#include "lienthong/adapters/axis_endpoint.h"
#include "lienthong/adapters/axis_protocol.h"
#include "lienthong/gateway/http/http_error.h"

using namespace lienthong;

TEST_CASE("error mapping: HTTP and the axis agree, code by code, on whether the sender retries") {
  for (int i = 0; i <= static_cast<int>(ErrorCode::Internal); ++i) {
    const auto code = static_cast<ErrorCode>(i);
    const int status = gateway::httpStatus(code);
    const std::string vxp(adapters::vxpErrorCode(code));
    INFO(errorCodeName(code) << ": HTTP " << status << ", VXP " << vxp);
    CHECK((status >= 500) == !adapters::axis::permanent(vxp));
  }
  CHECK(gateway::httpStatus(ErrorCode::Storage) == 503);
  CHECK(gateway::httpStatus(ErrorCode::MethodNotAllowed) == 405);
  CHECK(gateway::httpStatus(ErrorCode::RequestTimeout) == 408);
  CHECK(gateway::httpStatus(ErrorCode::HeadersTooLarge) == 431);
  CHECK(adapters::vxpErrorCode(ErrorCode::Storage) == adapters::axis::code::kUnavailable);
}
