// The one interface every connector to an office's document-management system (DMS) implements:
// `deliver` hands one delivery to the DMS, `poll` collects what the DMS has put out for the node,
// `settle` tells the adapter what the gateway decided about a polled item so it can clean up its
// side (remove, move to rejected/, mark as taken on the axis).
//
// Adapters hold no business state: idempotency on DocumentId, retries and backoff live in the
// gateway (store + dispatcher). What an adapter does guarantee:
//   - a redelivery (the same Delivery::id handed over again) is recognisable by the receiver
//     (the delivery id travels in a header or in the output file name);
//   - an item returned by poll() is not returned again by the same adapter instance until it is
//     settled (the folder adapter never returns the same in/ file twice at all).
// Cheap to build: the gateway rebuilds an adapter whenever the directory entry of its unit changes.
// Implementations are thread-safe: deliver() may run on several dispatcher workers at once while
// one poller thread calls poll() and settle().
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "lienthong/schemas/edxml.h"
#include "lienthong/schemas/error.h"

namespace lienthong::adapters {

// Wall-clock source, injected so tests can move time (HMAC timestamps, the folder quiet period).
using Clock = std::function<std::chrono::system_clock::time_point()>;
inline Clock systemClock() {
  return [] { return std::chrono::system_clock::now(); };
}

// One delivery as the dispatcher hands it over. `bytes` are the original signed bytes, exactly as
// received; they are passed on unchanged.
struct Delivery {
  std::int64_t id = 0;      // the gateway's delivery id: the same on every retry
  std::string recipient;    // To/OrganId the delivery is for
  std::string sender;       // From/OrganId (for a status: the reporting unit)
  std::string document_id;  // the document, or for a status the document it is about
  schemas::MessageKind kind = schemas::MessageKind::Document;
  std::string_view bytes;   // valid for the duration of the deliver() call
};

// What a hand-over achieved. Delivered: the DMS has it. RetryLater: a transient fault (network
// down, 5xx, 429, disk full); the dispatcher retries with backoff. Permanent: retrying cannot cure
// it (the DMS refused the package with a 4xx). `error` says why for the last two.
struct DeliveryResult {
  enum class Kind { Delivered, RetryLater, Permanent } kind = Kind::Delivered;
  Error error;

  static DeliveryResult delivered() { return {}; }
  static DeliveryResult retryLater(Error e) { return {Kind::RetryLater, std::move(e)}; }
  static DeliveryResult permanent(Error e) { return {Kind::Permanent, std::move(e)}; }
  bool ok() const { return kind == Kind::Delivered; }
};
std::string_view deliveryKindName(DeliveryResult::Kind kind);  // "delivered", "retry", "permanent"

// One item the DMS put out for the node: a package or a status message, already checked to be
// well-formed edXML that passes the schema (items that do not are refused by the adapter itself,
// see each adapter). The gateway runs its intake on `bytes`, then calls settle(ref, ...).
struct Inbound {
  std::string ref;  // opaque handle for settle(); unique per polled item
  schemas::MessageKind kind = schemas::MessageKind::Document;
  std::string bytes;         // exactly as the DMS wrote them
  std::string content_hash;  // SHA-256 of `bytes`, lower-case hex
  std::string document_id;   // Package::documentId(), or for a status ResponseFor/DocumentId
  std::string sender;        // From/OrganId
  std::string origin;        // where it came from, for logs ("folder /x/in/a.edxml")
};

// The gateway's decision about a polled item.
struct Verdict {
  bool accepted = true;
  Error reason;  // why it was refused (written to .error.json / sent to the axis)

  static Verdict accept() { return {}; }
  static Verdict refuse(Error e) { return {false, std::move(e)}; }
};

class Adapter {
 public:
  virtual ~Adapter() = default;

  // "webhook", "folder", "axis".
  virtual std::string_view kind() const = 0;
  // Hands one delivery over. Never throws.
  virtual DeliveryResult deliver(const Delivery& delivery) = 0;
  // Up to `max_items` new items from the DMS side, oldest first. An adapter whose DMS pushes
  // through the node's API (webhook) returns none. Network/Io errors when the source cannot be
  // read at all; one bad item never fails the whole poll.
  virtual Result<std::vector<Inbound>> poll(std::size_t max_items) = 0;
  // Closes a polled item: accepted -> removed from the source; refused -> moved aside with the
  // reason. NotFound when `ref` is not an open item of this adapter.
  virtual Result<void> settle(const std::string& ref, const Verdict& verdict) = 0;
};

}  // namespace lienthong::adapters
