// The client side of the axis-style protocol (axis_protocol.h), as an Adapter: a province node
// forwards upward to a national-style axis (or to another node's AxisEndpoint) and collects what
// the axis holds for it.
//   deliver: POST sendEdoc with the original bytes; `from` = the delivery's sender, messagetype
//            edoc/status, x-lienthong-delivery = the delivery id (the axis answers the first DocId
//            for a repeat). 2xx delivered; 408/425/429/5xx and transport failures retry later;
//            other statuses permanent (a 409 Conflict: same DocumentId, different bytes).
//   poll:    GET getReceivedEdocList for `organ_id`, then getEdoc for each item not already open
//            in this instance. An item that is not well-formed edXML passing the schema is refused
//            at once (updateStatus fail with the reason) and not returned.
//   settle:  updateStatus done (accepted) or fail with the reason (refused).
// Thread-safe; a new connection per request.
#pragma once

#include <memory>
#include <string>

#include "lienthong/adapters/adapter.h"
#include "lienthong/schemas/schema_set.h"

namespace lienthong::adapters {

struct AxisClientSettings {
  std::string url;        // base URL, e.g. https://axis.example/axis
  std::string client_id;  // identifies this node to the axis
  std::string secret;     // shared HMAC key, at least 16 characters
  std::string organ_id;   // the unit this node receives for at the axis ("" = client_id)
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
