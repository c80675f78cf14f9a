// The gateway side of the VXP endpoint (adapters/axis_endpoint.h) over a node's store and intake,
// mounted at /axis on the node's HTTPS server (and, with axis.http_listen, on a loopback plain
// HTTP listener): a system (a DMS speaking the vendor SDK, or a peer node's axis channel) sends
// documents and statuses into intake as one of its units and lists, fetches and settles what
// was delivered to its units. Systems come from axis.clients (config.h). Thread-safe: holds
// immutable state and thread-safe collaborators; the store, intake and routing outlive it.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "lienthong/adapters/axis_endpoint.h"
#include "lienthong/gateway/node/config.h"
#include "lienthong/gateway/http/http_server.h"
#include "lienthong/gateway/node/intake.h"
#include "lienthong/gateway/node/routing.h"
#include "lienthong/gateway/store/store.h"

namespace lienthong::gateway {


class StoreAxisBackend final : public adapters::AxisBackend {
 public:
  StoreAxisBackend(std::map<std::string, adapters::AxisSystem> systems, Store& store,
                   Intake& intake, std::shared_ptr<const RoutingTable> routing);

  Result<adapters::AxisSystem> system(std::string_view system_id) override;
  bool serves(const std::vector<std::string>& units, std::string_view organ_id) override;
  Result<std::string> send(std::string_view bytes, std::string_view from,
                           std::optional<schemas::MessageKind> kind,
                           const adapters::AxisCaller& caller) override;
  Result<std::vector<adapters::AxisListItem>> listReceived(
      const adapters::AxisCaller& caller, std::optional<schemas::MessageKind> kind) override;
  Result<std::string> get(std::string_view id, const adapters::AxisCaller& caller) override;
  Result<void> updateStatus(std::string_view id, adapters::AxisReceipt receipt,
                            std::string_view reason, const adapters::AxisCaller& caller) override;
  Result<std::vector<adapters::AxisSentItem>> listSent(std::string_view id,
                                                       const adapters::AxisCaller& caller) override;
  Result<std::vector<adapters::AxisAgency>> agencies() override;

 private:
  Result<Delivery> ownDelivery(std::string_view id, const adapters::AxisCaller& caller);
  // Every code the caller's units are written with (both forms), without repeats.
  std::vector<std::string> codesOf(const adapters::AxisCaller& caller) const;

  const std::map<std::string, adapters::AxisSystem> systems_;
  Store& store_;
  Intake& intake_;
  std::shared_ptr<const RoutingTable> routing_;  // and through it the live directory
};

// Reads each system's secret file; Config naming axis.clients and the system when one cannot be
// read or is shorter than 16 characters.
Result<std::map<std::string, adapters::AxisSystem>> loadAxisSystems(const NodeConfig& config);

// GET and POST prefix routes under `prefix` (e.g. "/axis/") that hand every request to the
// endpoint (which authenticates it with the VXP signature, so the routes admit anyone).
std::vector<HttpRoute> axisRoutes(std::shared_ptr<const adapters::AxisEndpoint> endpoint,
                                  const std::string& prefix);

}  // namespace lienthong::gateway
