#include "lienthong/gateway/node/routing.h"


namespace lienthong::gateway {

RoutingTable::RoutingTable(std::shared_ptr<const schemas::LiveDirectory> directory, std::string self)
    : directory_(std::move(directory)), self_(std::move(self)) {}

Result<RouteDecision> RoutingTable::route(std::string_view organ_id) const {
  const auto dir = directory_->current();
  auto unit = dir->resolve(organ_id, todayVn());
  if (!unit) return std::unexpected(unit.error());
  const schemas::Unit* u = *unit;
  if (u->channel == schemas::Channel::Paper) return RouteDecision{RouteKind::Paper, {}};
  if (u->home_node == self_) return RouteDecision{RouteKind::Local, {}};
  // Walk up from the unit's home node: meeting this node means the unit is in a child subtree,
  // and the node met just before is the child to hand it to.
  std::string child;
  const schemas::NodeInfo* n = dir->node(u->home_node);
  for (int guard = 0; n != nullptr && guard < 64; ++guard) {
    if (n->name == self_) return RouteDecision{RouteKind::Peer, child};
    child = n->name;
    n = n->parent.empty() ? nullptr : dir->node(n->parent);
  }
  const schemas::NodeInfo* me = dir->node(self_);
  if (me == nullptr) {
    return fail(ErrorCode::Config, "this node '" + self_ + "' is not in the directory");
  }
  if (me->parent.empty()) {
    return fail(ErrorCode::UnknownUnit, "no route to " + std::string(organ_id) + " (home node '" +
                                            u->home_node + "' is not below this top node)");
  }
  return RouteDecision{RouteKind::Peer, me->parent};
}

bool RoutingTable::sameUnit(std::string_view a, std::string_view b) const {
  const std::string today = todayVn();
  const auto dir = directory_->current();
  auto ua = dir->resolve(a, today);
  auto ub = dir->resolve(b, today);
  if (!ua || !ub) return false;
  return *ua == *ub;
}

}  // namespace lienthong::gateway

namespace lienthong::gateway {

std::string RoutingTable::closedOn(std::string_view code) const {
  const auto dir = directory_->current();
  const schemas::Unit* u = dir->find(code);
  return u != nullptr && u->closedOn(todayVn()) ? u->valid_to : std::string();
}

bool RoutingTable::mayRead(std::string_view credential, std::string_view unit) const {
  if (closedOn(credential).empty()) return sameUnit(credential, unit);
  const auto dir = directory_->current();
  const schemas::Unit* a = dir->find(credential);
  return a != nullptr && a == dir->find(unit);
}

}  // namespace lienthong::gateway
