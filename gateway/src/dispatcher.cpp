#include "lienthong/gateway/dispatcher.h"

#include <algorithm>
#include <chrono>
#include <random>

#include "lienthong/gateway/routing.h"

namespace lienthong::gateway {

Dispatcher::Dispatcher(DispatcherConfig config, std::string self, Store& store,
                       std::shared_ptr<const LiveDirectory> directory, PeerPool& peers, Metrics& metrics,
                       LocalDelivery local, FailureNotice on_failed)
    : config_(config),
      self_(std::move(self)),
      store_(store),
      directory_(std::move(directory)),
      peers_(peers),
      metrics_(metrics),
      local_(std::move(local)),
      on_failed_(std::move(on_failed)) {}

Dispatcher::~Dispatcher() { stop(); }

void Dispatcher::start() {
  std::lock_guard lock(mu_);
  stopping_ = false;
  for (int i = 0; i < std::max(1, config_.workers); ++i) threads_.emplace_back([this] { work(); });
}

void Dispatcher::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

void Dispatcher::wake() {
  {
    std::lock_guard lock(mu_);
    ++wakeups_;
  }
  cv_.notify_all();
}

std::int64_t Dispatcher::backoff(int attempts) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  const double base = static_cast<double>(config_.backoff_ms) *
                      static_cast<double>(1ull << std::min(attempts - 1, 30));
  const double capped = std::min(base, static_cast<double>(config_.backoff_max_ms));
  // Half fixed, half random: peers coming back are not hit by every node at the same instant.
  std::uniform_real_distribution<double> jitter(0.5, 1.0);
  return static_cast<std::int64_t>(capped * jitter(rng));
}

void Dispatcher::work() {
  std::uint64_t seen = 0;
  while (true) {
    std::vector<Delivery> batch;
    {
      std::unique_lock lock(mu_);
      if (stopping_) return;
      std::vector<std::int64_t> busy(busy_.begin(), busy_.end());
      seen = wakeups_;
      lock.unlock();
      auto due = store_.dueDeliveries(nowMs(), config_.batch, busy);
      lock.lock();
      if (due) {
        for (auto& d : *due) {
          if (busy_.insert(d.id).second) batch.push_back(std::move(d));
        }
      }
      if (batch.empty()) {
        if (stopping_) return;
        std::int64_t wait_ms = 1000;
        lock.unlock();
        if (auto next = store_.nextDue(); next && *next) {
          wait_ms = std::clamp<std::int64_t>(**next - nowMs(), 5, 1000);
        }
        lock.lock();
        cv_.wait_for(lock, std::chrono::milliseconds(wait_ms),
                     [&] { return stopping_ || wakeups_ != seen; });
        continue;
      }
    }
    for (const auto& d : batch) {
      handle(d);
      std::lock_guard lock(mu_);
      busy_.erase(d.id);
    }
  }
}

void Dispatcher::handle(const Delivery& listed) {
  // The list was read before this worker marked the delivery busy: another worker may have
  // finished it in between. Its state now (committed before that worker let go of it) decides.
  auto current = store_.delivery(listed.id);
  if (!current || current->state != kPending) return;
  const Delivery& d = *current;
  auto m = store_.message(d.message_id);
  HandOver result;
  if (!m) {
    result = {HandOver::Kind::Retry, m.error().message};
  } else if (d.route == RouteKind::Peer) {
    result = toPeer(d, *m);
  } else {
    result = local_(d, *m);
  }
  const auto now = nowMs();
  if (result.kind == HandOver::Kind::Ok) {
    if (auto r = store_.finishDelivery(d.id, kDelivered, now, d.route == RouteKind::Peer ? "to node " + d.next_node : "mailbox"); !r) {
      return;  // stays pending: retried; the receiver answers a repeat with its first receipt
    }
    metrics_.delivered(static_cast<double>(now - (m ? m->received_ms : d.created_ms)) / 1000.0);
    return;
  }
  const int attempts = d.attempts + 1;
  if (result.kind == HandOver::Kind::Permanent || attempts >= config_.max_attempts) {
    (void)store_.finishDelivery(d.id, kFailed, now,
                                "after " + std::to_string(attempts) + " attempts: " + result.error);
    metrics_.failed();
    if (m && on_failed_) on_failed_(d, *m);
    return;
  }
  metrics_.retried();
  (void)store_.scheduleRetry(d.id, attempts, now + backoff(attempts), result.error);
}

HandOver Dispatcher::toPeer(const Delivery& d, const StoredMessage& m) {
  const auto directory = directory_->current();
  const schemas::NodeInfo* node = directory->node(d.next_node);
  if (node == nullptr || node->url.empty()) {
    return {HandOver::Kind::Permanent, "node '" + d.next_node + "' has no URL in the directory " +
                                           directory->version()};
  }
  auto client = peers_.acquire(node->url);
  if (!client) return {HandOver::Kind::Retry, client.error().message};
  const std::string path =
      m.kind == MessageKind::Document ? "/api/v1/documents" : "/api/v1/statuses";
  std::string hops = m.hops;
  if (!hops.empty()) hops += ";";
  hops += self_ + "@" + timestampVn(nowMs());
  auto resp = (*client)->request("POST", path, m.bytes, "application/xml",
                                 {{"X-Lienthong-Hops", hops}});
  if (!resp) return {HandOver::Kind::Retry, resp.error().message};
  peers_.release(node->url, std::move(*client));
  if (resp->status == 202 || resp->status == 200) return {};
  const std::string why = "node " + d.next_node + " answered " + std::to_string(resp->status) +
                          ": " + resp->body.substr(0, 300);
  // Refusals of the content will not change on a retry; overload and outages will.
  if (resp->status == 400 || resp->status == 403 || resp->status == 409 ||
      resp->status == 413 || resp->status == 422) {
    return {HandOver::Kind::Permanent, why};
  }
  return {HandOver::Kind::Retry, why};
}

}  // namespace lienthong::gateway
