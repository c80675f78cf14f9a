// The client side of the VXP protocol (axis_protocol.h), as an Adapter: the channel of a unit
// reached through a national-style axis (the real VXP axis, or another node's /axis endpoint).
// It speaks as the vendor's SDK does: the same XroadVnpt-* headers, the sign-header JSON and its
// HMAC, the SDK's timestamp pattern and hash-file, POST for every call.
//   deliver: sendEdoc with the original bytes (application/octet-stream); from = the delivery's
//            sender, messagetype edoc/status, hash-file. OK delivered; a FAIL with one of the
//            refusal codes of axis_protocol.h (1x-4x) is permanent, with the axis's ErrorCode and
//            ErrorDesc; no answer, HTTP 5xx, or any other FAIL (5x, or a code another axis uses)
//            retry later, until the dispatcher's attempts run out.
//   poll:    getReceivedEdocList for edoc then status, keeping the items whose `from` is this
//            unit (organ_ids); getEdoc for each item not already open in this instance (the
//            file is base64 in `data`). An item that is not well-formed edXML passing the schema
//            is refused at once (updateStatus fail with the reason) and not returned.
//   settle:  updateStatus done (accepted) or fail with the reason as description (refused).
// Thread-safe; a new connection per request.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "lienthong/adapters/adapter.h"
#include "lienthong/schemas/schema_set.h"

namespace lienthong::adapters {

struct AxisClientSettings {
  std::string url;        // the SDK's service.endpoint, e.g. https://axis.example/axis
  std::string client_id;  // the systemid this node has at the axis
  std::string secret;     // the shared HMAC key, at least 16 characters
  // The unit(s) this channel stands for: polled items are kept when their `from` is one of them.
  // Empty: every item the axis lists for the system.
  std::vector<std::string> organ_ids;
  int timeout_ms = 10000;
  std::string ca_file;    // https: CA bundle the axis certificate must chain to; "" = system CAs
  bool allow_http = false;
  std::size_t max_bytes = 100u << 20;  // largest document fetched
};

class AxisClient final : public Adapter {
 public:
  static Result<std::unique_ptr<AxisClient>> create(
      AxisClientSettings settings, std::shared_ptr<const schemas::SchemaSet> schemas,
      Clock clock = systemClock());

  std::string_view kind() const override { return "axis"; }
  DeliveryResult deliver(const Delivery& delivery) override;
  Result<std::vector<Inbound>> poll(std::size_t max_items) override;
  Result<void> settle(const std::string& ref, const Verdict& verdict) override;

  struct Impl;
  ~AxisClient() override;

 private:
  explicit AxisClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace lienthong::adapters
