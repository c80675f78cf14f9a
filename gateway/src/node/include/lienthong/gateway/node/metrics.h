// Counters and a latency histogram for /metrics (Prometheus text format 0.0.4). Thread-safe:
// every value is an atomic (warning counts by code under a mutex); the queue depth is read from a callback at render time.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <functional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace lienthong::gateway {

class Metrics {
 public:
  enum class IntakeResult { Accepted, Duplicate, Refused };
  static constexpr std::array<double, 12> kLatencyBuckets = {
      0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};

  // `code`: the refusal's error code name (errorCodeName), "" otherwise.
  void intake(IntakeResult r, int http_status, std::string_view code = {});
  // One answered HTTP request (HttpServer's RequestObserver): by method, route and status class.
  void request(const std::string& method, const std::string& route, int status, double seconds);
  void delivered(double seconds);  // from intake to the next hop or the mailbox
  void retried() { retries_.fetch_add(1, std::memory_order_relaxed); }
  void failed() { failures_.fetch_add(1, std::memory_order_relaxed); }
  // The store would not take a delivery's outcome (its retry or its hand-over).
  void storeFailed() { store_failures_.fetch_add(1, std::memory_order_relaxed); }
  std::uint64_t storeFailures() const { return store_failures_.load(std::memory_order_relaxed); }
  void paper() { paper_.fetch_add(1, std::memory_order_relaxed); }
  // An accepted message with tolerated oddities: one per warning, by warning code.
  void warnings(const std::vector<std::string>& codes);

  // `queue_depth` gives the number of deliveries waiting (pending) when called.
  std::string render(const std::function<std::int64_t()>& queue_depth) const;

  std::uint64_t deliveredCount() const { return delivered_.load(); }
  std::uint64_t retryCount() const { return retries_.load(); }
  std::uint64_t failureCount() const { return failures_.load(); }

 private:
  std::atomic<std::uint64_t> accepted_{0}, duplicate_{0};
  // Refusals by HTTP status class, the ones intake can answer.
  std::atomic<std::uint64_t> refused_400_{0}, refused_401_{0}, refused_403_{0}, refused_404_{0},
      refused_409_{0}, refused_413_{0}, refused_422_{0}, refused_other_{0};
  std::atomic<std::uint64_t> delivered_{0}, retries_{0}, failures_{0}, paper_{0},
      store_failures_{0};
  std::array<std::atomic<std::uint64_t>, kLatencyBuckets.size()> buckets_{};
  std::atomic<std::uint64_t> latency_sum_us_{0};
  std::atomic<std::uint64_t> with_warnings_{0};
  mutable std::mutex warnings_mutex_;
  std::map<std::string, std::uint64_t> warnings_;  // by warning code (a small, fixed set)
  std::map<std::string, std::uint64_t> refused_codes_;  // by error code, under warnings_mutex_
  struct RequestHistogram {
    std::array<std::uint64_t, 12> buckets{};
    std::uint64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex requests_mutex_;
  // (method, route, status class "2xx") -> histogram; routes are the node's own (bounded)
  std::map<std::tuple<std::string, std::string, std::string>, RequestHistogram> requests_;
};

// What a node's /metrics says of its state, read when it is scraped.
struct NodeGauges {
  std::int64_t pending = 0, delivered = 0, paper = 0, failed = 0, retrying = 0;
  double oldest_pending_seconds = 0;    // 0 when nothing is pending
  double checkpoint_age_seconds = -1;   // since the last audit checkpoint; -1: none yet
  std::int64_t audit_records = 0;
  std::string directory_version;
  struct Certificate {
    std::string kind;  // "tls", "tls_ca", "seal", "trust"
    std::string fingerprint;     // the first 16 hex digits of its SHA-256 (/metrics is public: no names)
    std::int64_t not_after = 0;  // seconds since the epoch
  };
  std::vector<Certificate> certificates;
  std::int64_t now = 0;  // seconds since the epoch
};
std::string renderNodeGauges(const NodeGauges& g);

}  // namespace lienthong::gateway
