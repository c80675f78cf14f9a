// Counters and a latency histogram for /metrics (Prometheus text format 0.0.4). Thread-safe:
// every value is an atomic (warning counts by code under a mutex); the queue depth is read from a callback at render time.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>
#include <functional>
#include <string>

namespace lienthong::gateway {

class Metrics {
 public:
  enum class IntakeResult { Accepted, Duplicate, Refused };
  static constexpr std::array<double, 12> kLatencyBuckets = {
      0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};

  void intake(IntakeResult r, int http_status);
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
};

}  // namespace lienthong::gateway
