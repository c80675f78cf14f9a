// The gateway side of the axis-style API (adapters/axis_endpoint.h) over a node's store and
// intake, mounted under /axis/ on the node's HTTPS server: a DMS (or a peer speaking the axis
// protocol) sends documents into intake as its unit and collects, fetches and settles what was
// delivered to its unit's mailbox. Clients come from axis.clients (config.h). Thread-safe: holds
// immutable state and thread-safe collaborators; the store, intake and routing outlive it.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "lienthong/adapters/axis_endpoint.h"
#include "lienthong/gateway/config.h"
#include "lienthong/gateway/http_server.h"
#include "lienthong/gateway/intake.h"
#include "lienthong/gateway/routing.h"
#include "lienthong/gateway/store.h"

namespace lienthong::gateway {

struct AxisClientEntry {
  std::string organ_id;
  std::string secret;
};

class StoreAxisBackend final : public adapters::AxisBackend {
 public:
  StoreAxisBackend(std::map<std::string, AxisClientEntry> clients, Store& store, Intake& intake,
                   std::shared_ptr<const RoutingTable> routing);

  Result<adapters::AxisCredential> credential(std::string_view client_id) override;
  Result<std::string> send(std::string_view bytes, const adapters::AxisCaller& caller) override;
  Result<std::vector<adapters::AxisListItem>> listReceived(
      const adapters::AxisCaller& caller) override;
  Result<std::string> get(std::string_view id, const adapters::AxisCaller& caller) override;
  Result<void> updateStatus(std::string_view id, adapters::AxisReceipt receipt,
                            std::string_view reason, const adapters::AxisCaller& caller) override;

 private:
  Result<Delivery> ownDelivery(std::string_view id, const adapters::AxisCaller& caller);

  const std::map<std::string, AxisClientEntry> clients_;
  Store& store_;
  Intake& intake_;
  std::shared_ptr<const RoutingTable> routing_;  // and through it the live directory
};

// Reads each client's secret file; Config naming axis.clients and the client when one cannot be
// read or is shorter than 16 characters.
Result<std::map<std::string, AxisClientEntry>> loadAxisClients(const NodeConfig& config);

// GET and POST prefix routes under `prefix` (e.g. "/axis/") that hand every request to the
// endpoint (which authenticates it with the x-axis-* signature, so the routes admit anyone).
std::vector<HttpRoute> axisRoutes(std::shared_ptr<const adapters::AxisEndpoint> endpoint,
                                  const std::string& prefix);

}  // namespace lienthong::gateway
