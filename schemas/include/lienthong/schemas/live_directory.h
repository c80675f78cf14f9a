// The directory a running node works from, replaceable while it runs: an administrator edits the
// directory file (a unit moves from the mailbox to a webhook, a commune is added) and the node
// takes the new version without a restart (Node::reloadDirectory, SIGHUP in `lienthong serve`,
// POST /api/v1/directory/reload). Readers take a snapshot with current() and work on that one
// version to the end of their operation, so a lookup never mixes two versions and a snapshot
// stays valid while a reload replaces it. Thread-safe.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "lienthong/schemas/directory.h"

namespace lienthong::schemas {

class LiveDirectory {
 public:
  explicit LiveDirectory(std::shared_ptr<const Directory> initial);
  static std::shared_ptr<LiveDirectory> make(std::shared_ptr<const Directory> initial) {
    return std::make_shared<LiveDirectory>(std::move(initial));
  }

  std::shared_ptr<const Directory> current() const;
  void replace(std::shared_ptr<const Directory> next);

 private:
  mutable std::mutex mu_;  // guards current_
  std::shared_ptr<const Directory> current_;
};

// What differs between two versions of the directory, one line a change, for the reload answer
// and the audit log: "added 000.01.02.H41 (UBND xã A)", "000.01.01.H41: channel mailbox ->
// webhook", "000.01.01.H41: webhook settings changed" (values are never printed: they may hold
// secrets), "node 'district': url https://a -> https://b".
std::vector<std::string> directoryChanges(const Directory& before,
                                          const Directory& after);

}  // namespace lienthong::schemas
