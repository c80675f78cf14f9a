#include "lienthong/gateway/node/metrics.h"

#include <sstream>

namespace lienthong::gateway {

void Metrics::intake(IntakeResult r, int http_status) {
  constexpr auto kRelaxed = std::memory_order_relaxed;
  switch (r) {
    case IntakeResult::Accepted: accepted_.fetch_add(1, kRelaxed); return;
    case IntakeResult::Duplicate: duplicate_.fetch_add(1, kRelaxed); return;
    case IntakeResult::Refused: break;
  }
  switch (http_status) {
    case 400: refused_400_.fetch_add(1, kRelaxed); break;
    case 401: refused_401_.fetch_add(1, kRelaxed); break;
    case 403: refused_403_.fetch_add(1, kRelaxed); break;
    case 404: refused_404_.fetch_add(1, kRelaxed); break;
    case 409: refused_409_.fetch_add(1, kRelaxed); break;
    case 413: refused_413_.fetch_add(1, kRelaxed); break;
    case 422: refused_422_.fetch_add(1, kRelaxed); break;
    default: refused_other_.fetch_add(1, kRelaxed); break;
  }
}

void Metrics::warnings(const std::vector<std::string>& codes) {
  if (codes.empty()) return;
  with_warnings_.fetch_add(1, std::memory_order_relaxed);
  std::lock_guard lock(warnings_mutex_);
  for (const auto& c : codes) ++warnings_[c];
}

void Metrics::delivered(double seconds) {
  delivered_.fetch_add(1, std::memory_order_relaxed);
  latency_sum_us_.fetch_add(static_cast<std::uint64_t>(seconds * 1e6), std::memory_order_relaxed);
  for (std::size_t i = 0; i < kLatencyBuckets.size(); ++i) {
    if (seconds <= kLatencyBuckets[i]) {
      buckets_[i].fetch_add(1, std::memory_order_relaxed);
      break;
    }
  }
}

std::string Metrics::render(const std::function<std::int64_t()>& queue_depth) const {
  std::ostringstream o;
  o << "# HELP lienthong_intake_total Messages offered to intake, by result.\n"
    << "# TYPE lienthong_intake_total counter\n"
    << "lienthong_intake_total{result=\"accepted\"} " << accepted_.load() << "\n"
    << "lienthong_intake_total{result=\"duplicate\"} " << duplicate_.load() << "\n";
  const std::pair<const char*, const std::atomic<std::uint64_t>*> refused[] = {
      {"400", &refused_400_}, {"401", &refused_401_}, {"403", &refused_403_},
      {"404", &refused_404_}, {"409", &refused_409_}, {"413", &refused_413_},
      {"422", &refused_422_}, {"other", &refused_other_}};
  for (const auto& [status, value] : refused) {
    o << "lienthong_intake_total{result=\"refused\",status=\"" << status << "\"} "
      << value->load() << "\n";
  }
  o << "# HELP lienthong_intake_with_warnings_total Accepted messages with tolerated oddities.\n"
    << "# TYPE lienthong_intake_with_warnings_total counter\n"
    << "lienthong_intake_with_warnings_total " << with_warnings_.load() << "\n"
    << "# HELP lienthong_intake_warnings_total Warnings of accepted messages, by code.\n"
    << "# TYPE lienthong_intake_warnings_total counter\n";
  {
    std::lock_guard lock(warnings_mutex_);
    for (const auto& [code, n] : warnings_) {
      o << "lienthong_intake_warnings_total{code=\"" << code << "\"} " << n << "\n";
    }
  }
  o << "# HELP lienthong_queue_depth Deliveries waiting for the dispatcher.\n"
    << "# TYPE lienthong_queue_depth gauge\n"
    << "lienthong_queue_depth " << (queue_depth ? queue_depth() : 0) << "\n"
    << "# HELP lienthong_delivery_seconds Time from intake to hand-over (next node or mailbox).\n"
    << "# TYPE lienthong_delivery_seconds histogram\n";
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < kLatencyBuckets.size(); ++i) {
    cumulative += buckets_[i].load();
    o << "lienthong_delivery_seconds_bucket{le=\"" << kLatencyBuckets[i] << "\"} " << cumulative
      << "\n";
  }
  o << "lienthong_delivery_seconds_bucket{le=\"+Inf\"} " << delivered_.load() << "\n"
    << "lienthong_delivery_seconds_sum " << static_cast<double>(latency_sum_us_.load()) / 1e6
    << "\n"
    << "lienthong_delivery_seconds_count " << delivered_.load() << "\n"
    << "# HELP lienthong_delivery_retries_total Delivery attempts that will be retried.\n"
    << "# TYPE lienthong_delivery_retries_total counter\n"
    << "lienthong_delivery_retries_total " << retries_.load() << "\n"
    << "# HELP lienthong_delivery_failures_total Deliveries failed after the last try.\n"
    << "# TYPE lienthong_delivery_failures_total counter\n"
    << "lienthong_delivery_failures_total " << failures_.load() << "\n"
    << "# HELP lienthong_delivery_store_failures_total Delivery outcomes and claims the store would "
       "not take (held, retried later; a claim runs out).\n"
    << "# TYPE lienthong_delivery_store_failures_total counter\n"
    << "lienthong_delivery_store_failures_total " << store_failures_.load() << "\n"
    << "# HELP lienthong_paper_deliveries_total Recipients recorded as paper deliveries.\n"
    << "# TYPE lienthong_paper_deliveries_total counter\n"
    << "lienthong_paper_deliveries_total " << paper_.load() << "\n";
  return o.str();
}

}  // namespace lienthong::gateway
