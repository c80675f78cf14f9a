// Hierarchical routing over the directory: a recipient at home is delivered locally; one whose
// home node lies below this node goes to the child node on the way; anything else goes to the
// parent node; a unit with the paper channel is a paper delivery. Reads the node's live directory
// (one snapshot per call), so a reloaded directory routes the next message. Thread-safe.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "lienthong/gateway/store/clock.h"
#include "lienthong/schemas/live_directory.h"
#include "lienthong/gateway/store/store.h"
#include "lienthong/schemas/directory.h"

namespace lienthong::gateway {

struct RouteDecision {
  RouteKind kind = RouteKind::Local;
  std::string next_node;  // for RouteKind::Peer
};

class RoutingTable {
 public:
  RoutingTable(std::shared_ptr<const schemas::LiveDirectory> directory, std::string self);

  // UnknownUnit when the directory does not know the code; Config when the unit lies outside
  // this node's tree and there is no parent to hand it to.
  Result<RouteDecision> route(std::string_view organ_id) const;
  // True when `a` and `b` name the same unit today (current or legacy code, successors followed).
  bool sameUnit(std::string_view a, std::string_view b) const;
  // The end date (yyyy-mm-dd) of the unit with this code when it is closed today, else "".
  std::string closedOn(std::string_view code) const;
  // Whether a credential for unit `credential` may read what is for `unit`: the same unit
  // today; a closed unit's credential only its own unit (its past documents), never its
  // successor's.
  bool mayRead(std::string_view credential, std::string_view unit) const;

  const std::string& self() const { return self_; }
  // The directory as it is now (a snapshot that stays valid through a reload).
  std::shared_ptr<const schemas::Directory> directory() const { return directory_->current(); }

 private:
  std::shared_ptr<const schemas::LiveDirectory> directory_;
  std::string self_;
};

}  // namespace lienthong::gateway
