// Pushes each delivery to a DMS over HTTP(S): one POST of the original signed bytes to the unit's
// URL, signed with HMAC-SHA256 so the DMS can tell the node from anyone else. 2xx = delivered;
// 408/425/429/5xx and transport failures = retry later; any other status = permanent. The DMS
// sends statuses back through the node's API, so poll() returns nothing. Thread-safe; a new
// connection per delivery.
//
// The request (what a DMS implements):
//   POST <url>
//   Content-Type: application/xml
//   X-Lienthong-Delivery: <delivery id>      the same on every retry: the DMS answers 2xx again
//                                            for a delivery id it already has (idempotent)
//   X-Lienthong-Kind: document | status
//   X-Lienthong-Recipient: <OrganId>
//   X-Lienthong-Timestamp: <unix seconds>
//   X-Lienthong-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<delivery id>.<body>")>
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "lienthong/adapters/adapter.h"

namespace lienthong::adapters {

inline constexpr std::string_view kHeaderDelivery = "X-Lienthong-Delivery";
inline constexpr std::string_view kHeaderKind = "X-Lienthong-Kind";
inline constexpr std::string_view kHeaderRecipient = "X-Lienthong-Recipient";
inline constexpr std::string_view kHeaderTimestamp = "X-Lienthong-Timestamp";
inline constexpr std::string_view kHeaderSignature = "X-Lienthong-Signature";

struct WebhookSettings {
  std::string url;          // http(s)://host[:port]/path
  std::string secret;       // HMAC key, at least 16 characters
  int timeout_ms = 10000;   // connect, send and receive each
  std::string ca_file;      // https: CA bundle the DMS certificate must chain to; "" = system CAs
  bool allow_http = false;  // plain http to a non-loopback host
};

// The signature header value for one request: "sha256=<hex>".
std::string webhookSignature(std::string_view secret, std::string_view timestamp,
                             std::string_view delivery_id, std::string_view body);

// What a receiving DMS does: checks the signature header and that the timestamp is within
// `tolerance` of `now`. Unauthorized with the reason otherwise.
Result<void> verifyWebhook(std::string_view secret, std::string_view timestamp,
                           std::string_view delivery_id, std::string_view body,
                           std::string_view signature_header,
                           std::chrono::system_clock::time_point now,
                           std::chrono::seconds tolerance = std::chrono::seconds(300));

// How an HTTP status from a DMS or an axis is read: 2xx delivered, 408/425/429/5xx retry later,
// anything else permanent.
DeliveryResult::Kind classifyHttpStatus(int status);

class WebhookAdapter final : public Adapter {
 public:
  // Config when the URL or the secret is unusable.
  static Result<std::unique_ptr<WebhookAdapter>> create(WebhookSettings settings,
                                                        Clock clock = systemClock());

  std::string_view kind() const override { return "webhook"; }
  DeliveryResult deliver(const Delivery& delivery) override;
  Result<std::vector<Inbound>> poll(std::size_t max_items) override;
  Result<void> settle(const std::string& ref, const Verdict& verdict) override;

  struct Impl;
  ~WebhookAdapter() override;

 private:
  explicit WebhookAdapter(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace lienthong::adapters
