// The outbox: worker threads take pending deliveries from the store and hand each over: to a
// peer node (edXML over HTTPS with mutual TLS, connections reused) or to the local mailbox
// (through a callback the node provides). Failures are retried with exponential backoff and
// jitter; after the last try the delivery is failed and the node is told (to inform the sender).
// Everything it knows is in the store, so a restarted node carries on where it stopped.
// Thread-safe; start() once, stop() joins the workers.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "lienthong/gateway/https_client.h"
#include "lienthong/gateway/live_directory.h"
#include "lienthong/gateway/metrics.h"
#include "lienthong/gateway/store.h"
#include "lienthong/schemas/directory.h"

namespace lienthong::gateway {

struct DispatcherConfig {
  int workers = 2;
  int batch = 16;           // deliveries a worker takes at once
  int max_attempts = 8;     // after this many failed tries the delivery is failed
  int backoff_ms = 500;     // first retry delay; doubles each time
  int backoff_max_ms = 60000;
};

// What a hand-over achieved: Ok, a failure worth retrying, or one that retrying cannot cure.
struct HandOver {
  enum class Kind { Ok, Retry, Permanent } kind = Kind::Ok;
  std::string error;
};

class Dispatcher {
 public:
  using LocalDelivery = std::function<HandOver(const Delivery&, const StoredMessage&)>;
  using FailureNotice = std::function<void(const Delivery&, const StoredMessage&)>;

  Dispatcher(DispatcherConfig config, std::string self, Store& store,
             std::shared_ptr<const LiveDirectory> directory, PeerPool& peers, Metrics& metrics,
             LocalDelivery local, FailureNotice on_failed);
  ~Dispatcher();
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  void start();
  void stop();
  // New work was stored: look now instead of at the next timer.
  void wake();

 private:
  void work();
  void handle(const Delivery& d);
  HandOver toPeer(const Delivery& d, const StoredMessage& m);
  std::int64_t backoff(int attempts);

  DispatcherConfig config_;
  std::string self_;
  Store& store_;
  std::shared_ptr<const LiveDirectory> directory_;  // peers' URLs, as of each hand-over
  PeerPool& peers_;
  Metrics& metrics_;
  LocalDelivery local_;
  FailureNotice on_failed_;

  std::mutex mu_;  // guards busy_, stopping_, wakeups_
  std::condition_variable cv_;
  std::set<std::int64_t> busy_;  // deliveries a worker is handling now
  bool stopping_ = false;
  std::uint64_t wakeups_ = 0;
  std::vector<std::thread> threads_;
};

}  // namespace lienthong::gateway
