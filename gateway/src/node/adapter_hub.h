// The adapters of the units homed at this node whose channel is webhook, folder or axis
// (adapters/factory.h), and the one thread that polls them and runs intake on what they collect.
// Built at start-up (a bad setting stops the node naming the unit and the setting) and rebuilt
// when the directory is reloaded: prepare() makes every adapter of the new version, install()
// swaps them in at once; an adapter still delivering keeps itself alive until it returns.
// Thread-safe: deliver() runs on dispatcher workers through find(); poll() and settle() run on
// the poller thread only.
#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "lienthong/adapters/adapter.h"
#include "lienthong/gateway/http/auth.h"
#include "lienthong/gateway/node/intake.h"
#include "lienthong/schemas/directory.h"
#include "lienthong/schemas/schema_set.h"

namespace lienthong::gateway {

class AdapterHub {
 public:
  using Submit = std::function<std::expected<IntakeOutcome, IntakeRefusal>(
      const std::string& bytes, const Credential& who, MessageKind kind)>;
  using Log = std::function<void(const std::string& event, const std::string& document_id,
                                 const std::string& detail)>;

  AdapterHub(std::string node_name, std::shared_ptr<const schemas::SchemaSet> schemas,
             adapters::Clock clock = adapters::systemClock());
  ~AdapterHub();
  AdapterHub(const AdapterHub&) = delete;
  AdapterHub& operator=(const AdapterHub&) = delete;

  struct Entry {
    std::string organ_id;  // the unit's code as intake's credential
    std::shared_ptr<adapters::Adapter> adapter;
  };
  struct Set {
    std::map<std::string, std::shared_ptr<adapters::Adapter>> by_code;  // code and legacy code
    std::vector<Entry> units;                                           // one per unit
  };
  // Makes the adapters of the directory's units homed at this node, touching nothing in use;
  // Config "unit <code> (<channel>): setting '<name>' ..." on the first bad setting.
  Result<Set> prepare(const schemas::Directory& directory) const;
  void install(Set set);
  // prepare() then install().
  Result<void> reload(const schemas::Directory& directory);
  // The adapter of a unit (either form of its code); null for mailbox and paper units.
  std::shared_ptr<adapters::Adapter> find(const std::string& organ_id) const;
  std::size_t size() const;

  // Starts the poller: every `poll_ms` each adapter's poll(batch), intake through `submit` as
  // the unit's office, then settle (not settled on a Storage error: the item is tried again
  // after a restart). stop() joins it; the destructor stops.
  // Does nothing when already started.
  void start(Submit submit, Log log, int poll_ms, std::size_t batch = 32);
  void stop();
  // One round of polling now, on the calling thread; the items settled.
  int pollOnce();

 private:
  std::string node_name_;
  std::shared_ptr<const schemas::SchemaSet> schemas_;
  adapters::Clock clock_;
  Submit submit_;
  Log log_;
  std::size_t batch_ = 32;

  mutable std::mutex mu_;  // guards set_
  Set set_;

  std::mutex poll_mu_;  // guards stop_ (and serializes pollOnce)
  std::condition_variable poll_cv_;
  bool stop_ = false;
  std::thread poller_;
};

}  // namespace lienthong::gateway
