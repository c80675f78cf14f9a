#include "lienthong/adapters/axis_client.h"

#include <Poco/Base64Decoder.h>
#include <Poco/Dynamic/Var.h>
#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <mutex>
#include <set>
#include <sstream>

#include "http_call.h"
#include "inbound_check.h"
#include "lienthong/adapters/axis_protocol.h"

namespace lienthong::adapters {
namespace {

// A VXP answer: status, ErrorCode, ErrorDesc and the object itself.
struct Answer {
  bool ok = false;
  std::string code;
  std::string desc;
  Poco::JSON::Object::Ptr object;
};

std::optional<Answer> readAnswer(const std::string& body) {
  try {
    Poco::JSON::Parser parser;
    auto object = parser.parse(body).extract<Poco::JSON::Object::Ptr>();
    if (!object || !object->has("status")) return std::nullopt;
    Answer a;
    a.object = object;
    a.code = object->has("ErrorCode") ? object->get("ErrorCode").convert<std::string>() : "";
    a.desc = object->has("ErrorDesc") ? object->get("ErrorDesc").convert<std::string>() : "";
    a.ok = object->getValue<std::string>("status") == "OK" && (a.code.empty() || a.code == "0");
    return a;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// Header values stay ASCII (a Java server reads headers as ISO-8859-1): other bytes and '%'
// are percent-encoded.
std::string asciiHeaderText(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (c >= 0x20 && c < 0x7f && c != '%') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0x0f]);
    }
  }
  return out;
}

}  // namespace

struct AxisClient::Impl {
  AxisClientSettings settings;
  detail::HttpUrl url;
  std::shared_ptr<const schemas::SchemaSet> schemas;
  Clock clock;

  std::mutex mu;               // guards open
  std::set<std::string> open;  // docIds returned by poll and not settled yet

  // One signed POST, as the SDK sends it; the reply whatever its status.
  Result<detail::HttpReply> call(std::string_view op, axis::Fields fields, std::string_view body,
                                 const std::string& content_type, std::size_t max_reply) {
    fields.insert(fields.begin(), {"Content-Type", content_type});
    fields.emplace_back(std::string(axis::kSystemId), settings.client_id);
    fields.emplace_back(std::string(axis::kTimestamp), axis::formatTimestamp(clock()));
    std::map<std::string, std::string> headers;
    for (auto& [name, value] : axis::signedHeaders(fields, settings.secret)) headers[name] = value;
    headers["User-Agent"] = "Lienthong-VXP/1.0 XRoad/VPCP";
    detail::HttpOptions options;
    options.timeout_ms = settings.timeout_ms;
    options.ca_file = settings.ca_file;
    options.max_reply_bytes = max_reply;
    return detail::httpCall(url, "POST", std::string(op), headers, body, content_type, options);
  }

  Error answerError(std::string_view op, const detail::HttpReply& reply,
                    const std::optional<Answer>& a) const {
    std::string what = std::string(op.substr(1)) + " " + url.text + ": ";
    if (!a) {
      return {ErrorCode::Network, what + "the axis answered " + std::to_string(reply.status) +
                                      " without a VXP answer: " + reply.body.substr(0, 200), 0, {}};
    }
    return {ErrorCode::Network, what + "the axis answered FAIL, ErrorCode " + a->code + ": " +
                                    a->desc, 0, {}};
  }

  // A call whose answer must be OK; the answer.
  Result<Answer> expectOk(std::string_view op, axis::Fields fields, std::size_t max_reply) {
    auto reply = call(op, std::move(fields), "{}", "application/json", max_reply);
    if (!reply) return std::unexpected(reply.error());
    auto a = readAnswer(reply->body);
    if (!a || !a->ok) return std::unexpected(answerError(op, *reply, a));
    return *a;
  }

  Result<void> updateStatus(const std::string& id, std::string_view status,
                            std::string_view reason) {
    axis::Fields fields = {{std::string(axis::kServiceType), std::string(axis::kServiceEdoc)},
                           {std::string(axis::kDocId), id},
                           {std::string(axis::kStatus), std::string(status)}};
    if (!reason.empty()) {
      fields.emplace_back(std::string(axis::kDescription), asciiHeaderText(reason.substr(0, 1000)));
    }
    auto a = expectOk(axis::kUpdateStatusPath, std::move(fields), 64u << 10);
    if (!a) return std::unexpected(a.error());
    return {};
  }

  bool mine(const std::string& from) const {
    if (settings.organ_ids.empty()) return true;
    return std::find(settings.organ_ids.begin(), settings.organ_ids.end(), from) !=
           settings.organ_ids.end();
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
  auto impl = std::make_unique<Impl>();
  impl->settings = std::move(settings);
  impl->url = std::move(*url);
  impl->schemas = std::move(schemas);
  impl->clock = std::move(clock);
  return std::unique_ptr<AxisClient>(new AxisClient(std::move(impl)));
}

DeliveryResult AxisClient::deliver(const Delivery& delivery) {
  const axis::Fields fields = {
      {std::string(axis::kFrom), delivery.sender},
      {std::string(axis::kServiceType), std::string(axis::kServiceEdoc)},
      {std::string(axis::kMessageType),
       std::string(delivery.kind == schemas::MessageKind::Status ? axis::kTypeStatus
                                                                 : axis::kTypeEdoc)},
      {std::string(axis::kHashFile), axis::sdkHashFile(delivery.bytes)}};
  auto reply = impl_->call(axis::kSendPath, fields, delivery.bytes, "application/octet-stream",
                           64u << 10);
  if (!reply) return DeliveryResult::retryLater(reply.error());
  const auto a = readAnswer(reply->body);
  if (a && a->ok) return DeliveryResult::delivered();
  Error error = impl_->answerError(axis::kSendPath, *reply, a);
  if (!a) {
    return reply->status >= 500 || reply->status == 408 || reply->status == 429
               ? DeliveryResult::retryLater(std::move(error))
               : DeliveryResult::permanent(std::move(error));
  }
  return axis::permanent(a->code) ? DeliveryResult::permanent(std::move(error))
                                  : DeliveryResult::retryLater(std::move(error));
}

Result<std::vector<Inbound>> AxisClient::poll(std::size_t max_items) {
  std::vector<std::string> ids;
  for (const auto type : {axis::kTypeEdoc, axis::kTypeStatus}) {
    auto a = impl_->expectOk(axis::kListPath,
                             {{std::string(axis::kServiceType), std::string(axis::kServiceEdoc)},
                              {std::string(axis::kMessageType), std::string(type)}},
                             16u << 20);
    if (!a) return std::unexpected(a.error());
    try {
      auto data = a->object->getArray("data");
      if (!data) throw Poco::DataFormatException("no 'data' array");
      for (std::size_t i = 0; i < data->size(); ++i) {
        auto entry = data->getObject(static_cast<unsigned int>(i));
        if (!entry || !entry->has("docId")) continue;
        const std::string from = entry->has("from") ? entry->get("from").convert<std::string>() : "";
        if (!impl_->mine(from)) continue;
        ids.push_back(entry->get("docId").convert<std::string>());
      }
    } catch (const std::exception& e) {
      return fail(ErrorCode::Network, "getReceivedEdocList " + impl_->url.text +
                                          ": the axis answered something that is not the list (" +
                                          e.what() + ")");
    }
  }

  std::vector<Inbound> items;
  for (const auto& id : ids) {
    if (items.size() >= max_items) break;
    {
      std::lock_guard lock(impl_->mu);
      if (impl_->open.contains(id)) continue;
    }
    auto got = impl_->expectOk(axis::kGetPath, {{std::string(axis::kDocId), id}},
                               impl_->settings.max_bytes / 3 * 4 + (64u << 10));
    if (!got) return std::unexpected(got.error());
    std::string bytes;
    try {
      std::istringstream in(got->object->getValue<std::string>("data"));
      Poco::Base64Decoder decoder(in);
      std::ostringstream out;
      out << decoder.rdbuf();
      bytes = out.str();
    } catch (const std::exception& e) {
      return fail(ErrorCode::Network, "getEdoc " + impl_->url.text + " docId " + id +
                                          ": 'data' is not base64 (" + e.what() + ")");
    }
    auto item = detail::inspectInbound(std::move(bytes), *impl_->schemas);
    if (!item) {
      auto refused = impl_->updateStatus(id, axis::kStatusFail,
                                         std::string(errorCodeName(item.error().code)) + ": " +
                                             item.error().describe());
      if (!refused) return std::unexpected(refused.error());
      continue;
    }
    item->ref = id;
    item->origin = "axis " + impl_->url.text + " docId " + id;
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
