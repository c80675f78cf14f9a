#include <catch2/catch.hpp>

#include "adapters/support.h"
#include "lienthong/adapters/factory.h"

using namespace lienthong;
using namespace lienthong::adapters;
using namespace adapters_test;

namespace {

schemas::Unit unit(schemas::Channel channel, std::map<std::string, std::string> settings) {
  schemas::Unit u;
  u.code = "000.00.31.H41";
  u.channel = channel;
  u.settings = std::move(settings);
  return u;
}

std::string problem(const schemas::Unit& u) {
  auto a = makeAdapter(u, AdapterContext{schemaSet()});
  REQUIRE_FALSE(a);
  CHECK(a.error().code == (u.channel == schemas::Channel::Mailbox ? ErrorCode::InvalidArgument
                                                                  : ErrorCode::Config));
  return a.error().message;
}

}  // namespace

TEST_CASE("makeAdapter names exactly the webhook setting that is missing or bad") {
  using schemas::Channel;
  CHECK(problem(unit(Channel::Webhook, {{"secret", "0123456789abcdef"}})) ==
        "unit 000.00.31.H41 (webhook): setting 'url' is missing");
  CHECK(problem(unit(Channel::Webhook, {{"url", "http://127.0.0.1:9/x"}})) ==
        "unit 000.00.31.H41 (webhook): setting 'secret' is missing (set 'secret' or "
        "'secret_file')");
  CHECK(problem(unit(Channel::Webhook, {{"url", "http://127.0.0.1:9/x"}, {"secret", "short"}})) ==
        "unit 000.00.31.H41 (webhook): setting 'secret' must be at least 16 characters");
  CHECK(problem(unit(Channel::Webhook, {{"url", "http://127.0.0.1:9/x"},
                                        {"secert", "0123456789abcdef"}})) ==
        "unit 000.00.31.H41 (webhook): setting 'secert' is not known (known settings: "
        "allow_http, ca_file, secret, secret_file, timeout_ms, url)");
  CHECK(problem(unit(Channel::Webhook, {{"url", "http://127.0.0.1:9/x"},
                                        {"secret", "0123456789abcdef"},
                                        {"timeout_ms", "10s"}})) ==
        "unit 000.00.31.H41 (webhook): setting 'timeout_ms' must be a whole number, not '10s'");
  CHECK(problem(unit(Channel::Webhook, {{"url", "http://dms.example.vn/hook"},
                                        {"secret", "0123456789abcdef"}})) ==
        "unit 000.00.31.H41 (webhook): setting 'url': URL 'http://dms.example.vn/hook' uses plain "
        "http to a non-loopback host; use https or set allow_http=true");
  CHECK(problem(unit(Channel::Webhook, {{"url", "ftp://127.0.0.1/x"},
                                        {"secret", "0123456789abcdef"}})) ==
        "unit 000.00.31.H41 (webhook): setting 'url': URL 'ftp://127.0.0.1/x' must start with "
        "http:// or https://");
}

TEST_CASE("makeAdapter reads secret_file and builds each adapter kind") {
  TempDir dir;
  writeFile(dir.path() / "secret", "file-secret-0123456789\n");
  auto web = makeAdapter(unit(schemas::Channel::Webhook,
                              {{"url", "https://dms.example.vn/hook"},
                               {"secret_file", (dir.path() / "secret").string()},
                               {"timeout_ms", "5000"}}),
                         AdapterContext{schemaSet()});
  REQUIRE(web);
  CHECK((*web)->kind() == "webhook");

  auto folder = makeAdapter(unit(schemas::Channel::Folder,
                                 {{"path", dir.path().string()}, {"quiet_ms", "0"}}),
                            AdapterContext{schemaSet()});
  REQUIRE(folder);
  CHECK((*folder)->kind() == "folder");
  CHECK(names(dir.path()) ==
        std::vector<std::string>{"in", "out", "processing", "rejected", "secret"});

  auto axis = makeAdapter(unit(schemas::Channel::Axis, {{"url", "https://axis.example.vn/axis"},
                                                        {"client_id", "h41"},
                                                        {"secret", "0123456789abcdef"}}),
                          AdapterContext{schemaSet()});
  REQUIRE(axis);
  CHECK((*axis)->kind() == "axis");
}

TEST_CASE("makeAdapter names the folder and axis settings that are missing or bad") {
  using schemas::Channel;
  CHECK(problem(unit(Channel::Folder, {})) ==
        "unit 000.00.31.H41 (folder): setting 'path' is missing");
  CHECK(problem(unit(Channel::Folder, {{"path", "/nonexistent/x"}})) ==
        "unit 000.00.31.H41 (folder): setting 'path': folder path '/nonexistent/x' is not an "
        "existing folder");
  CHECK(problem(unit(Channel::Folder, {{"path", "/tmp"}, {"quiet_ms", "-1"}})) ==
        "unit 000.00.31.H41 (folder): setting 'quiet_ms' must be between 0 and 3600000, not -1");
  CHECK(problem(unit(Channel::Axis, {{"url", "https://axis.example.vn"},
                                     {"secret", "0123456789abcdef"}})) ==
        "unit 000.00.31.H41 (axis): setting 'client_id' is missing");
  CHECK(problem(unit(Channel::Axis, {{"url", "https://axis.example.vn"},
                                     {"client_id", "h41"},
                                     {"secret", "0123456789abcdef"},
                                     {"secret_file", "/x"}})) ==
        "unit 000.00.31.H41 (axis): setting 'secret' and 'secret_file' are both set; keep one");
  CHECK(problem(unit(Channel::Axis, {{"url", "https://axis.example.vn"},
                                     {"client_id", "h41"},
                                     {"secret_file", "/nonexistent/secret"}})) ==
        "unit 000.00.31.H41 (axis): setting 'secret_file' names '/nonexistent/secret', which "
        "cannot be read");
  CHECK(problem(unit(Channel::Mailbox, {})) ==
        "unit 000.00.31.H41 uses the mailbox channel, which has no adapter");
}
