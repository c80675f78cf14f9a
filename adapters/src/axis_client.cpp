#include "lienthong/adapters/axis_client.h"

#include <Poco/Dynamic/Var.h>
#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <mutex>
#include <set>

#include "http_call.h"
#include "inbound_check.h"
#include "lienthong/adapters/axis_protocol.h"
#include "lienthong/adapters/webhook_adapter.h"

namespace lienthong::adapters {

struct AxisClient::Impl {
  AxisClientSettings settings;
  detail::HttpUrl url;
  std::shared_ptr<const schemas::SchemaSet> schemas;
  Clock clock;

  std::mutex mu;               // guards open
  std::set<std::string> open;  // DocIds returned by poll and not settled yet

  // One signed request; the reply whatever its status.
  Result<detail::HttpReply> call(const std::string& method, std::string_view op,
                                 axis::Headers headers, std::string_view body,
                                 const std::string& content_type, std::size_t max_reply) {
    headers[std::string(axis::kServiceType)] = std::string(axis::kServiceEdoc);
    const std::string path = url.path + std::string(op);
    axis::signRequest(headers, method, path, body, settings.client_id, settings.secret, clock());
    detail::HttpOptions options;
    options.timeout_ms = settings.timeout_ms;
    options.ca_file = settings.ca_file;
    options.max_reply_bytes = max_reply;
    return detail::httpCall(url, method, std::string(op), headers, body, content_type, options);
  }

  // The error a non-2xx reply stands for, with the axis's own words.
  Error replyError(const std::string& what, const detail::HttpReply& reply) const {
    std::string desc = reply.body.substr(0, 300);
    try {
      Poco::JSON::Parser parser;
      auto object = parser.parse(reply.body).extract<Poco::JSON::Object::Ptr>();
      if (object && object->has("ErrorDesc")) desc = object->getValue<std::string>("ErrorDesc");
    } catch (const std::exception&) {
      // Not JSON: keep the raw text.
    }
    return {ErrorCode::Network, what + " " + url.text + ": the axis answered " +
                                    std::to_string(reply.status) +
                                    (desc.empty() ? "" : ": " + desc), 0, {}};
  }

  Result<void> updateStatus(const std::string& id, std::string_view status,
                            std::string_view reason) {
    axis::Headers headers = {{std::string(axis::kFrom), settings.organ_id},
                             {std::string(axis::kDocId), id},
                             {std::string(axis::kStatus), std::string(status)}};
    auto reply = call("POST", axis::kUpdateStatusPath, headers, reason, "text/plain; charset=utf-8",
                      64u << 10);
    if (!reply) return std::unexpected(reply.error());
    if (reply->status != 200) return std::unexpected(replyError("updateStatus", *reply));
    return {};
  }
};

AxisClient::AxisClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
AxisClient::~AxisClient() = default;

Result<std::unique_ptr<AxisClient>> AxisClient::create(
    AxisClientSettings settings, std::shared_ptr<const schemas::SchemaSet> schemas, Clock clock) {
  if (!schemas) return fail(ErrorCode::InvalidArgument, "axis client needs the schema set");
  auto url = detail::parseHttpUrl(settings.url, settings.allow_http);
  if (!url) return std::unexpected(url.error());
  if (settings.client_id.empty()) return fail(ErrorCode::Config, "axis client_id is empty");
  if (settings.secret.size() < 16) {
    return fail(ErrorCode::Config, "axis secret must be at least 16 characters");
  }
  if (settings.timeout_ms <= 0) return fail(ErrorCode::Config, "axis timeout_ms must be > 0");
  if (settings.organ_id.empty()) settings.organ_id = settings.client_id;
  auto impl = std::make_unique<Impl>();
  impl->settings = std::move(settings);
  impl->url = std::move(*url);
  impl->schemas = std::move(schemas);
  impl->clock = std::move(clock);
  return std::unique_ptr<AxisClient>(new AxisClient(std::move(impl)));
}

DeliveryResult AxisClient::deliver(const Delivery& delivery) {
  axis::Headers headers = {
      {std::string(axis::kFrom), delivery.sender},
      {std::string(axis::kMessageType),
       std::string(delivery.kind == schemas::MessageKind::Status ? axis::kTypeStatus
                                                                 : axis::kTypeEdoc)},
      {std::string(axis::kDelivery), std::to_string(delivery.id)}};
  auto reply = impl_->call("POST", axis::kSendPath, headers, delivery.bytes, "application/xml",
                           64u << 10);
  if (!reply) return DeliveryResult::retryLater(reply.error());
  const auto kind = classifyHttpStatus(reply->status);
  if (kind == DeliveryResult::Kind::Delivered) return DeliveryResult::delivered();
  Error error = impl_->replyError("sendEdoc", *reply);
  return kind == DeliveryResult::Kind::RetryLater ? DeliveryResult::retryLater(std::move(error))
                                                   : DeliveryResult::permanent(std::move(error));
}

Result<std::vector<Inbound>> AxisClient::poll(std::size_t max_items) {
  const axis::Headers list_headers = {{std::string(axis::kFrom), impl_->settings.organ_id}};
  auto reply = impl_->call("GET", axis::kListPath, list_headers, "", "", 16u << 20);
  if (!reply) return std::unexpected(reply.error());
  if (reply->status != 200) return std::unexpected(impl_->replyError("getReceivedEdocList", *reply));

  std::vector<std::string> ids;
  try {
    Poco::JSON::Parser parser;
    auto object = parser.parse(reply->body).extract<Poco::JSON::Object::Ptr>();
    auto data = object ? object->getArray("data") : nullptr;
    if (!data) throw Poco::DataFormatException("no 'data' array");
    for (std::size_t i = 0; i < data->size(); ++i) {
      auto entry = data->getObject(static_cast<unsigned int>(i));
      if (entry && entry->has("DocId")) ids.push_back(entry->getValue<std::string>("DocId"));
    }
  } catch (const std::exception& e) {
    return fail(ErrorCode::Network, "getReceivedEdocList " + impl_->url.text +
                                        ": the axis answered something that is not the list (" +
                                        e.what() + ")");
  }

  std::vector<Inbound> items;
  for (const auto& id : ids) {
    if (items.size() >= max_items) break;
    {
      std::lock_guard lock(impl_->mu);
      if (impl_->open.contains(id)) continue;
    }
    const axis::Headers get_headers = {{std::string(axis::kFrom), impl_->settings.organ_id},
                                       {std::string(axis::kDocId), id}};
    auto got = impl_->call("GET", axis::kGetPath, get_headers, "", "",
                           impl_->settings.max_bytes);
    if (!got) return std::unexpected(got.error());
    if (got->status != 200) return std::unexpected(impl_->replyError("getEdoc", *got));
    auto item = detail::inspectInbound(std::move(got->body), *impl_->schemas);
    if (!item) {
      auto refused = impl_->updateStatus(id, axis::kStatusFail,
                                         std::string(errorCodeName(item.error().code)) + ": " +
                                             item.error().describe());
      if (!refused) return std::unexpected(refused.error());
      continue;
    }
    item->ref = id;
    item->origin = "axis " + impl_->url.text + " DocId " + id;
    {
      std::lock_guard lock(impl_->mu);
      impl_->open.insert(id);
    }
    items.push_back(std::move(*item));
  }
  return items;
}

Result<void> AxisClient::settle(const std::string& ref, const Verdict& verdict) {
  {
    std::lock_guard lock(impl_->mu);
    if (!impl_->open.contains(ref)) {
      return fail(ErrorCode::NotFound, "axis client has no open item '" + ref + "'");
    }
  }
  auto done = verdict.accepted
                  ? impl_->updateStatus(ref, axis::kStatusDone, "")
                  : impl_->updateStatus(ref, axis::kStatusFail,
                                        std::string(errorCodeName(verdict.reason.code)) + ": " +
                                            verdict.reason.message);
  if (!done) return done;
  std::lock_guard lock(impl_->mu);
  impl_->open.erase(ref);
  return {};
}

}  // namespace lienthong::adapters
