#include "lienthong/gateway/node/metrics.h"

#include <sstream>

namespace lienthong::gateway {

void Metrics::intake(IntakeResult r, int http_status, std::string_view code) {
  constexpr auto kRelaxed = std::memory_order_relaxed;
  switch (r) {
    case IntakeResult::Accepted: accepted_.fetch_add(1, kRelaxed); return;
    case IntakeResult::Duplicate: duplicate_.fetch_add(1, kRelaxed); return;
    case IntakeResult::Refused: break;
  }
  if (!code.empty()) {
    std::lock_guard lock(warnings_mutex_);
    ++refused_codes_[std::string(code)];
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

void Metrics::request(const std::string& method, const std::string& route, int status, double seconds) {
  const std::string cls = status >= 100 && status < 600 ? std::to_string(status / 100) + "xx" : "other";
  std::lock_guard lock(requests_mutex_);
  auto& h = requests_[{method, route.empty() ? "unmatched" : route, cls}];
  for (std::size_t i = 0; i < kLatencyBuckets.size(); ++i) {
    if (seconds <= kLatencyBuckets[i]) ++h.buckets[i];
  }
  ++h.count;
  h.sum += seconds;
}

namespace {

// A label value as the text format writes it: backslash, quote and newline escaped.
std::string label(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

}  // namespace

std::string renderNodeGauges(const NodeGauges& g) {
  std::ostringstream o;
  o << "# HELP lienthong_deliveries Deliveries in the store by state.\n"
    << "# TYPE lienthong_deliveries gauge\n"
    << "lienthong_deliveries{state=\"pending\"} " << g.pending << "\n"
    << "lienthong_deliveries{state=\"delivered\"} " << g.delivered << "\n"
    << "lienthong_deliveries{state=\"paper\"} " << g.paper << "\n"
    << "lienthong_deliveries{state=\"failed\"} " << g.failed << "\n"
    << "# HELP lienthong_retry_queue_depth Pending deliveries already tried at least once.\n"
    << "# TYPE lienthong_retry_queue_depth gauge\n"
    << "lienthong_retry_queue_depth " << g.retrying << "\n"
    << "# HELP lienthong_pending_oldest_seconds Age of the oldest pending delivery (0: none).\n"
    << "# TYPE lienthong_pending_oldest_seconds gauge\n"
    << "lienthong_pending_oldest_seconds " << g.oldest_pending_seconds << "\n"
    << "# HELP lienthong_audit_records Records in the audit log.\n"
    << "# TYPE lienthong_audit_records gauge\n"
    << "lienthong_audit_records " << g.audit_records << "\n";
  if (g.checkpoint_age_seconds >= 0) {
    o << "# HELP lienthong_audit_checkpoint_age_seconds Time since the last signed audit checkpoint.\n"
      << "# TYPE lienthong_audit_checkpoint_age_seconds gauge\n"
      << "lienthong_audit_checkpoint_age_seconds " << g.checkpoint_age_seconds << "\n";
  }
  o << "# HELP lienthong_directory_info The directory version the node routes by.\n"
    << "# TYPE lienthong_directory_info gauge\n"
    << "lienthong_directory_info{version=\"" << label(g.directory_version) << "\"} 1\n"
    << "# HELP lienthong_certificate_expiry_seconds Seconds until each of the node's certificates ends "
       "(negative: expired).\n"
    << "# TYPE lienthong_certificate_expiry_seconds gauge\n";
  for (const auto& c : g.certificates) {
    o << "lienthong_certificate_expiry_seconds{kind=\"" << label(c.kind) << "\",fingerprint=\"" << label(c.fingerprint)
      << "\"} " << (c.not_after - g.now) << "\n";
  }
  return o.str();
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
  {
    std::lock_guard lock(warnings_mutex_);
    o << "# HELP lienthong_intake_refused_total Messages intake refused, by error code.\n"
      << "# TYPE lienthong_intake_refused_total counter\n";
    for (const auto& [code, n] : refused_codes_) {
      o << "lienthong_intake_refused_total{code=\"" << label(code) << "\"} " << n << "\n";
    }
  }
  {
    std::lock_guard lock(requests_mutex_);
    o << "# HELP lienthong_http_request_seconds Time to answer HTTP requests, by method, route and status class.\n"
      << "# TYPE lienthong_http_request_seconds histogram\n";
    for (const auto& [key, h] : requests_) {
      const auto& [method, route, cls] = key;
      const std::string labels =
          "method=\"" + label(method) + "\",route=\"" + label(route) + "\",status=\"" + cls + "\"";
      for (std::size_t i = 0; i < kLatencyBuckets.size(); ++i) {
        o << "lienthong_http_request_seconds_bucket{" << labels << ",le=\"" << kLatencyBuckets[i] << "\"} "
          << h.buckets[i] << "\n";
      }
      o << "lienthong_http_request_seconds_bucket{" << labels << ",le=\"+Inf\"} " << h.count << "\n"
        << "lienthong_http_request_seconds_sum{" << labels << "} " << h.sum << "\n"
        << "lienthong_http_request_seconds_count{" << labels << "} " << h.count << "\n";
    }
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
