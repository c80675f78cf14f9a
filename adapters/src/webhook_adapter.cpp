#include "lienthong/adapters/webhook_adapter.h"

#include "http_call.h"
#include "lienthong/adapters/hmac.h"

namespace lienthong::adapters {

std::string_view deliveryKindName(DeliveryResult::Kind kind) {
  switch (kind) {
    case DeliveryResult::Kind::Delivered: return "delivered";
    case DeliveryResult::Kind::RetryLater: return "retry";
    case DeliveryResult::Kind::Permanent: return "permanent";
  }
  return "unknown";
}

std::string webhookSignature(std::string_view secret, std::string_view timestamp,
                             std::string_view delivery_id, std::string_view body) {
  std::string canonical;
  canonical.reserve(timestamp.size() + delivery_id.size() + body.size() + 2);
  canonical.append(timestamp).append(".").append(delivery_id).append(".").append(body);
  return "sha256=" + hmacSha256Hex(secret, canonical);
}

Result<void> verifyWebhook(std::string_view secret, std::string_view timestamp,
                           std::string_view delivery_id, std::string_view body,
                           std::string_view signature_header,
                           std::chrono::system_clock::time_point now,
                           std::chrono::seconds tolerance) {
  long long seconds = 0;
  try {
    std::size_t used = 0;
    seconds = std::stoll(std::string(timestamp), &used);
    if (used != timestamp.size()) throw std::invalid_argument("trailing text");
  } catch (const std::exception&) {
    return fail(ErrorCode::Unauthorized, "webhook: timestamp '" + std::string(timestamp) +
                                             "' is not a number of seconds");
  }
  const auto sent = std::chrono::system_clock::time_point(std::chrono::seconds(seconds));
  if (sent < now - tolerance || sent > now + tolerance) {
    return fail(ErrorCode::Unauthorized, "webhook: timestamp outside the allowed window");
  }
  if (!constantTimeEqual(webhookSignature(secret, timestamp, delivery_id, body),
                         signature_header)) {
    return fail(ErrorCode::Unauthorized, "webhook: signature does not match");
  }
  return {};
}

DeliveryResult::Kind classifyHttpStatus(int status) {
  if (status >= 200 && status < 300) return DeliveryResult::Kind::Delivered;
  if (status == 408 || status == 425 || status == 429 || status >= 500) {
    return DeliveryResult::Kind::RetryLater;
  }
  return DeliveryResult::Kind::Permanent;
}

struct WebhookAdapter::Impl {
  WebhookSettings settings;
  detail::HttpUrl url;
  Clock clock;
};

WebhookAdapter::WebhookAdapter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
WebhookAdapter::~WebhookAdapter() = default;

Result<std::unique_ptr<WebhookAdapter>> WebhookAdapter::create(WebhookSettings settings,
                                                               Clock clock) {
  auto url = detail::parseHttpUrl(settings.url, settings.allow_http);
  if (!url) return std::unexpected(url.error());
  if (settings.secret.size() < 16) {
    return fail(ErrorCode::Config, "webhook secret must be at least 16 characters");
  }
  if (settings.timeout_ms <= 0) return fail(ErrorCode::Config, "webhook timeout_ms must be > 0");
  auto impl = std::make_unique<Impl>(Impl{std::move(settings), std::move(*url), std::move(clock)});
  return std::unique_ptr<WebhookAdapter>(new WebhookAdapter(std::move(impl)));
}

DeliveryResult WebhookAdapter::deliver(const Delivery& delivery) {
  const std::string id = std::to_string(delivery.id);
  const std::string timestamp = std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                                   impl_->clock().time_since_epoch())
                                                   .count());
  const std::map<std::string, std::string> headers = {
      {std::string(kHeaderDelivery), id},
      {std::string(kHeaderKind),
       delivery.kind == schemas::MessageKind::Status ? "status" : "document"},
      {std::string(kHeaderRecipient), delivery.recipient},
      {std::string(kHeaderTimestamp), timestamp},
      {std::string(kHeaderSignature),
       webhookSignature(impl_->settings.secret, timestamp, id, delivery.bytes)},
  };
  detail::HttpOptions options;
  options.timeout_ms = impl_->settings.timeout_ms;
  options.ca_file = impl_->settings.ca_file;
  options.max_reply_bytes = 64u << 10;
  auto reply = detail::httpCall(impl_->url, "POST", "", headers, delivery.bytes,
                                "application/xml", options);
  if (!reply) return DeliveryResult::retryLater(reply.error());
  const auto kind = classifyHttpStatus(reply->status);
  if (kind == DeliveryResult::Kind::Delivered) return DeliveryResult::delivered();
  std::string detail = reply->body.substr(0, 300);
  Error error{ErrorCode::Network, "POST " + impl_->url.text + ": the DMS answered " +
                                      std::to_string(reply->status) +
                                      (detail.empty() ? "" : ": " + detail), 0, {}};
  return kind == DeliveryResult::Kind::RetryLater ? DeliveryResult::retryLater(std::move(error))
                                                   : DeliveryResult::permanent(std::move(error));
}

Result<std::vector<Inbound>> WebhookAdapter::poll(std::size_t) {
  return std::vector<Inbound>{};
}

Result<void> WebhookAdapter::settle(const std::string& ref, const Verdict&) {
  return fail(ErrorCode::NotFound, "webhook adapter has no polled item '" + ref +
                                       "': its DMS posts through the node's API");
}

}  // namespace lienthong::adapters
