#include <catch2/catch.hpp>

#include "adapters/support.h"
#include "lienthong/adapters/webhook_adapter.h"

using namespace lienthong;
using namespace lienthong::adapters;
using namespace adapters_test;

namespace {

constexpr const char* kSecret = "webhook-secret-0123456789";

std::unique_ptr<WebhookAdapter> webhook(const std::string& url) {
  WebhookSettings s;
  s.url = url;
  s.secret = kSecret;
  s.timeout_ms = 2000;
  auto a = WebhookAdapter::create(s);
  REQUIRE(a);
  return std::move(*a);
}

}  // namespace

TEST_CASE("webhook down then back: retry-later while down, then delivered exactly once") {
  const auto port = closedPort();
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/dms/inbox";
  auto adapter = webhook(url);
  const std::string bytes = packageBytes();
  Delivery d{1001, "000.00.31.H41", "000.00.00.H41", documentIdOf(bytes),
             schemas::MessageKind::Document, bytes};

  const auto down = adapter->deliver(d);
  CHECK(down.kind == DeliveryResult::Kind::RetryLater);
  CHECK(down.error.code == ErrorCode::Network);
  CHECK(down.error.message.starts_with("POST " + url + ": "));

  Recorder recorder;
  LoopbackServer server(new RecordingFactory(recorder), port);
  const auto up = adapter->deliver(d);  // the dispatcher's retry
  CHECK(up.kind == DeliveryResult::Kind::Delivered);

  const auto seen = recorder.snapshot();
  REQUIRE(seen.size() == 1);
  const Seen& req = seen.front();
  CHECK(req.method == "POST");
  CHECK(req.uri == "/dms/inbox");
  CHECK(req.content_type == "application/xml");
  CHECK(req.body == bytes);
  CHECK(req.headers.at("X-Lienthong-Delivery") == "1001");
  CHECK(req.headers.at("X-Lienthong-Kind") == "document");
  CHECK(req.headers.at("X-Lienthong-Recipient") == "000.00.31.H41");
  CHECK(verifyWebhook(kSecret, req.headers.at("X-Lienthong-Timestamp"), "1001", req.body,
                      req.headers.at("X-Lienthong-Signature"), std::chrono::system_clock::now()));
}

TEST_CASE("webhook signature fails for another body, delivery id, secret or an old timestamp") {
  const auto now = std::chrono::system_clock::now();
  const std::string ts = std::to_string(
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count());
  const std::string sig = webhookSignature(kSecret, ts, "7", "<edXML/>");
  CHECK(sig.starts_with("sha256="));
  CHECK(sig.size() == 7 + 64);
  CHECK(verifyWebhook(kSecret, ts, "7", "<edXML/>", sig, now));
  CHECK(verifyWebhook(kSecret, ts, "7", "<edXML />", sig, now).error().code ==
        ErrorCode::Unauthorized);
  CHECK(verifyWebhook(kSecret, ts, "8", "<edXML/>", sig, now).error().message ==
        "webhook: signature does not match");
  CHECK_FALSE(verifyWebhook("another-secret-0123456789", ts, "7", "<edXML/>", sig, now));
  CHECK(verifyWebhook(kSecret, ts, "7", "<edXML/>", sig, now + std::chrono::minutes(6))
            .error()
            .message == "webhook: timestamp outside the allowed window");
}

TEST_CASE("webhook maps the DMS's answer: 503 and 429 retry later, 400 permanent, 204 delivered") {
  Recorder recorder;
  LoopbackServer server(new RecordingFactory(recorder));
  auto adapter = webhook(server.url("/hook"));
  const std::string bytes = statusBytes();
  Delivery d{5, "000.00.00.H41", "000.00.31.H41", "doc", schemas::MessageKind::Status, bytes};

  recorder.answer(503);
  auto r503 = adapter->deliver(d);
  CHECK(r503.kind == DeliveryResult::Kind::RetryLater);
  CHECK(r503.error.message == "POST " + server.url("/hook") + ": the DMS answered 503: status 503");
  recorder.answer(429);
  CHECK(adapter->deliver(d).kind == DeliveryResult::Kind::RetryLater);
  recorder.answer(400);
  auto r400 = adapter->deliver(d);
  CHECK(r400.kind == DeliveryResult::Kind::Permanent);
  CHECK(r400.error.code == ErrorCode::Network);
  recorder.answer(204);
  CHECK(adapter->deliver(d).kind == DeliveryResult::Kind::Delivered);

  const auto seen = recorder.snapshot();
  REQUIRE(seen.size() == 4);
  for (const auto& s : seen) {
    CHECK(s.headers.at("X-Lienthong-Delivery") == "5");  // the same id on every retry
    CHECK(s.headers.at("X-Lienthong-Kind") == "status");
  }
  auto polled = adapter->poll(10);
  REQUIRE(polled);
  CHECK(polled->empty());
}
