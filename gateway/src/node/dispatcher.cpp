#include "lienthong/gateway/node/dispatcher.h"

#include <algorithm>
#include <chrono>
#include <random>
#include <set>
#include <sstream>

#include "lienthong/gateway/node/routing.h"

namespace lienthong::gateway {

namespace {

// "7 days", "36 hours", "90 s": the horizon as the sender reads it.
std::string spanText(std::int64_t ms) {
  if (ms >= kDayMs && ms % kDayMs == 0) return std::to_string(ms / kDayMs) + " day(s)";
  if (ms >= 3600000 && ms % 3600000 == 0) return std::to_string(ms / 3600000) + " hour(s)";
  if (ms >= 1000) return std::to_string(ms / 1000) + " s";
  return std::to_string(ms) + " ms";
}

}  // namespace

std::string hopKey(const Delivery& d) {
  return d.route == RouteKind::Peer ? "node:" + d.next_node : "unit:" + d.recipient;
}

std::string renderBacklog(const std::vector<Backlog>& backlog, const std::vector<HopHealth>& hops,
                          std::int64_t now_ms) {
  std::ostringstream o;
  o << "# HELP lienthong_backlog Pending deliveries per next hop (peer node, or local unit).\n"
    << "# TYPE lienthong_backlog gauge\n";
  for (const auto& b : backlog) {
    o << "lienthong_backlog{route=\"" << routeName(b.route) << "\",hop=\"" << b.hop << "\"} "
      << b.pending << "\n";
  }
  o << "# HELP lienthong_backlog_oldest_seconds Age of the oldest pending delivery per next hop.\n"
    << "# TYPE lienthong_backlog_oldest_seconds gauge\n";
  for (const auto& b : backlog) {
    o << "lienthong_backlog_oldest_seconds{route=\"" << routeName(b.route) << "\",hop=\"" << b.hop
      << "\"} " << static_cast<double>(std::max<std::int64_t>(0, now_ms - b.oldest_created_ms)) / 1000.0
      << "\n";
  }
  o << "# HELP lienthong_hop_failures Failed hand-overs in a row per next hop.\n"
    << "# TYPE lienthong_hop_failures gauge\n";
  for (const auto& h : hops) o << "lienthong_hop_failures{hop=\"" << h.hop << "\"} " << h.failures << "\n";
  o << "# HELP lienthong_hop_resting 1 while a next hop's circuit is open (nothing is tried).\n"
    << "# TYPE lienthong_hop_resting gauge\n";
  for (const auto& h : hops) o << "lienthong_hop_resting{hop=\"" << h.hop << "\"} " << (h.open ? 1 : 0) << "\n";
  o << "# HELP lienthong_hop_probe_in_seconds Time until a resting hop is probed again.\n"
    << "# TYPE lienthong_hop_probe_in_seconds gauge\n";
  for (const auto& h : hops) {
    o << "lienthong_hop_probe_in_seconds{hop=\"" << h.hop << "\"} "
      << static_cast<double>(h.probe_in_ms) / 1000.0 << "\n";
  }
  return o.str();
}

Dispatcher::Dispatcher(DispatcherConfig config, std::string self, Store& store,
                       std::shared_ptr<const schemas::LiveDirectory> directory, PeerPool& peers, Metrics& metrics,
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
  // Claims this node held when it stopped (or was killed) are over: one process serves a node.
  // A store that cannot write now leaves them to run out (claimMs), counted as a store failure.
  if (auto r = store_.releaseClaims(self_, {}); !r) metrics_.storeFailed();
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

int Dispatcher::perHopLimit() const {
  return config_.per_peer > 0 ? config_.per_peer : std::max(1, config_.workers / 2);
}

std::int64_t Dispatcher::backoff(int attempts) const {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  const double base = static_cast<double>(config_.backoff_ms) *
                      static_cast<double>(1ull << std::clamp(attempts - 1, 0, 30));
  const double capped = std::min(base, static_cast<double>(config_.backoff_max_ms));
  // Half fixed, half random: peers coming back are not hit by every node at the same instant.
  std::uniform_real_distribution<double> jitter(0.5, 1.0);
  return static_cast<std::int64_t>(capped * jitter(rng));
}

void Dispatcher::work() {
  const int limit = perHopLimit();
  while (true) {
    std::vector<Delivery> batch;
    std::string hop;
    {
      std::unique_lock lock(mu_);
      if (stopping_) return;
      const std::uint64_t seen = wakeups_;
      const std::int64_t now = nowMs();
      // A hop is skipped while it holds its share of workers, while it rests, and while one
      // worker probes it after its rest.
      const auto blocked = [&](const Hop& h) {
        return h.in_flight >= limit || h.open_until_ms > now ||
               (h.open_until_ms != 0 && h.in_flight > 0);
      };
      std::vector<std::int64_t> busy;  // held: listed by the store, not to be taken yet
      std::int64_t held_ends = 0;  // the earliest end of a hold, when some delivery is held
      for (auto it = held_.begin(); it != held_.end();) {
        if (it->second <= now) { it = held_.erase(it); continue; }
        busy.push_back(it->first);
        if (held_ends == 0 || it->second < held_ends) held_ends = it->second;
        ++it;
      }
      std::vector<std::string> skip_nodes, skip_units;
      std::int64_t rest_ends = 0;  // the earliest end of a rest, when some hop rests
      for (const auto& [key, h] : hops_) {
        if (!blocked(h)) continue;
        if (key.starts_with("node:")) skip_nodes.push_back(key.substr(5));
        else skip_units.push_back(key.substr(5));
        if (h.open_until_ms > now && (rest_ends == 0 || h.open_until_ms < rest_ends)) rest_ends = h.open_until_ms;
      }
      const bool sweep = now - last_sweep_ms_ >= std::min<std::int64_t>(60000, config_.retry_horizon_ms / 4 + 1);
      if (sweep) last_sweep_ms_ = now;
      lock.unlock();
      if (sweep) expireOverdue();
      auto due = store_.dueDeliveries(now, config_.batch, busy, skip_nodes, skip_units);
      lock.lock();
      if (stopping_) return;
      bool probe = false;
      if (due) {
        for (auto& d : *due) {
          const std::string key = hopKey(d);
          if (hop.empty()) {
            Hop& h = hops_[key];
            if (blocked(h)) continue;
            hop = key;
            ++h.in_flight;
            probe = h.open_until_ms != 0;  // its rest is over: one delivery tests it
          }
          if (key != hop) continue;
          batch.push_back(std::move(d));
          if (probe) break;
        }
      }
      if (!batch.empty()) {
        lock.unlock();
        const bool claimed = claim(batch);
        lock.lock();
        if (claimed && batch.empty()) {
          // Another worker claimed them between the list and the claim: list again.
          --hops_[hop].in_flight;
          continue;
        }
      }
      if (batch.empty()) {
        if (!hop.empty()) --hops_[hop].in_flight;
        std::int64_t wait_ms = 1000;
        lock.unlock();
        if (auto next = store_.nextDue(); next && *next) {
          // Due work that is skipped (its hop busy or resting) waits for a worker to finish
          // (notified) or for the earliest rest to end.
          if (**next > now || (skip_nodes.empty() && skip_units.empty())) {
            wait_ms = std::clamp<std::int64_t>(**next - now, 5, 1000);
          } else if (rest_ends != 0) {
            wait_ms = std::clamp<std::int64_t>(rest_ends - now, 5, 1000);
          }
          // Nothing was picked: what is due is held, busy or resting; a hold's end is the next
          // time a held delivery can go (new work and finished workers notify sooner).
          if (held_ends != 0 && **next <= now) {
            wait_ms = std::max(wait_ms, std::clamp<std::int64_t>(held_ends - now, 5, 1000));
          }
        }
        lock.lock();
        cv_.wait_for(lock, std::chrono::milliseconds(wait_ms),
                     [&] { return stopping_ || wakeups_ != seen; });
        continue;
      }
    }
    std::size_t i = 0;
    for (; i < batch.size(); ++i) {
      {
        std::lock_guard lock(mu_);
        if (stopping_) break;
        // The hop started resting (failures in a row): leave the rest of the batch to its probe.
        if (i > 0 && hops_[hop].open_until_ms != 0) break;
      }
      handle(batch[i], hop);
    }
    if (i < batch.size()) {
      // Stopping, or the hop began to rest: the rest of the batch goes back at once (or, when
      // the store cannot say so now, when the claims run out).
      std::vector<std::int64_t> rest;
      for (; i < batch.size(); ++i) rest.push_back(batch[i].id);
      if (auto r = store_.releaseClaims(self_, rest); !r) metrics_.storeFailed();
    }
    {
      std::lock_guard lock(mu_);
      --hops_[hop].in_flight;
      ++wakeups_;
    }
    cv_.notify_all();
  }
}

std::int64_t Dispatcher::claimMs() const {
  // Longer than a hand-over takes: each of its network steps has the peers' deadline (seconds).
  // A claim that runs out while its worker still works lets the delivery be tried again, which
  // the receiver answers with its first receipt.
  return std::max<std::int64_t>(120000, config_.probe_max_ms);
}

bool Dispatcher::claim(std::vector<Delivery>& batch) {
  std::vector<std::int64_t> ids;
  ids.reserve(batch.size());
  for (const auto& d : batch) ids.push_back(d.id);
  const std::int64_t now = nowMs();
  auto claimed = store_.claimDeliveries(ids, self_, now, now + claimMs());
  if (!claimed) {
    metrics_.storeFailed();
    batch.clear();
    return false;
  }
  const std::set<std::int64_t> mine(claimed->begin(), claimed->end());
  std::erase_if(batch, [&](const Delivery& d) { return !mine.contains(d.id); });
  return true;
}

void Dispatcher::reachable(const std::string& hop, const Delivery* d) {
  bool poke = false;
  {
    std::lock_guard lock(mu_);
    Hop& h = hops_[hop];
    poke = h.maybe_waiting || h.failures > 0 || h.open_until_ms != 0;
    h.failures = 0;
    h.open_until_ms = 0;
    h.maybe_waiting = false;
  }
  if (poke && d != nullptr && d->route == RouteKind::Peer) {
    if (auto n = store_.retryNow(d->next_node, nowMs()); n && *n > 0) wake();
  }
}

void Dispatcher::peerSeen(const std::string& node) {
  const std::string key = "node:" + node;
  const std::int64_t now = nowMs();
  {
    std::lock_guard lock(mu_);
    Hop& h = hops_[key];
    if (!h.maybe_waiting && h.failures == 0 && h.open_until_ms == 0) return;
    if (now - h.last_poke_ms < 1000) return;  // many messages from a peer coming back: one poke
    h.last_poke_ms = now;
    h.failures = 0;
    h.open_until_ms = 0;
    h.maybe_waiting = false;
  }
  (void)store_.retryNow(node, now);
  wake();
}

std::vector<HopHealth> Dispatcher::health() const {
  std::lock_guard lock(mu_);
  const std::int64_t now = nowMs();
  std::vector<HopHealth> out;
  for (const auto& [key, h] : hops_) {
    if (h.failures == 0 && h.in_flight == 0 && h.open_until_ms == 0) continue;
    out.push_back(HopHealth{key, h.failures, h.open_until_ms > now,
                            h.open_until_ms > now ? h.open_until_ms - now : 0, h.in_flight});
  }
  return out;
}

void Dispatcher::fail(const Delivery& d, const StoredMessage* m, const std::string& reason,
                      std::int64_t now) {
  if (auto r = store_.finishDelivery(d.id, DeliveryState::Failed, now, reason); !r) return;  // retried later
  metrics_.failed();
  if (m != nullptr && on_failed_) on_failed_(d, *m, reason);
}

void Dispatcher::expireOverdue() {
  const std::int64_t now = nowMs();
  auto overdue = store_.pendingCreatedBefore(now - config_.retry_horizon_ms, 64);
  if (!overdue) return;
  for (const auto& listed : *overdue) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
    }
    // A worker handing it over now holds the claim: that worker settles it.
    std::vector<Delivery> one{listed};
    if (!claim(one) || one.empty()) continue;
    auto current = store_.delivery(listed.id);
    if (current && current->state == DeliveryState::Pending) {
      auto m = store_.message(current->message_id);
      fail(*current, m ? &*m : nullptr,
           "not handed over within the retry horizon (" + spanText(config_.retry_horizon_ms) +
               ", " + std::to_string(current->attempts) + " attempts); last error: " +
               current->last_error,
           now);
    } else if (auto r = store_.releaseClaims(self_, {listed.id}); !r) {
      metrics_.storeFailed();
    }
  }
}

void Dispatcher::handle(const Delivery& listed, const std::string& hop) {
  // The list was read before this worker claimed the delivery: another may have settled it in
  // between (a claim is only taken on a pending delivery, but the row read here is the truth).
  auto current = store_.delivery(listed.id);
  if (!current) {
    if (auto r = store_.releaseClaims(self_, {listed.id}); !r) metrics_.storeFailed();
    return;
  }
  if (current->state != DeliveryState::Pending) return;
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
    if (auto r = store_.finishDelivery(d.id, DeliveryState::Delivered, now, d.route == RouteKind::Peer ? "to node " + d.next_node : "mailbox"); !r) {
      // Stays pending: retried after a pause; the receiver answers a repeat with its first
      // receipt.
      hold(d.id, now + backoff(d.attempts + 1));
      return;
    }
    metrics_.delivered(static_cast<double>(now - (m ? m->received_ms : d.created_ms)) / 1000.0);
    reachable(hop, &d);
    return;
  }
  if (result.kind == HandOver::Kind::Permanent) {
    if (m) reachable(hop, nullptr);  // it answered: it is up, it refuses this one
    fail(d, m ? &*m : nullptr, "refused: " + result.error, now);
    return;
  }
  const int attempts = d.attempts + 1;
  std::int64_t rest_ends = 0;
  {
    std::lock_guard lock(mu_);
    Hop& h = hops_[hop];
    ++h.failures;
    h.maybe_waiting = true;
    if (h.failures >= config_.breaker_failures) {
      h.open_until_ms = now + std::min<std::int64_t>(backoff(h.failures - config_.breaker_failures + 1),
                                                     std::max(config_.probe_max_ms, 1));
      rest_ends = h.open_until_ms;
    }
  }
  if (config_.max_attempts > 0 && attempts >= config_.max_attempts) {
    fail(d, m ? &*m : nullptr, "after " + std::to_string(attempts) + " attempts: " + result.error, now);
    return;
  }
  if (now - d.created_ms >= config_.retry_horizon_ms) {
    fail(d, m ? &*m : nullptr,
         "not handed over within the retry horizon (" + spanText(config_.retry_horizon_ms) + ", " +
             std::to_string(attempts) + " attempts): " + result.error,
         now);
    return;
  }
  metrics_.retried();
  // While the hop rests, this delivery is the one that probes it when the rest ends.
  std::int64_t next = now + backoff(attempts);
  if (rest_ends != 0) next = std::min(next, rest_ends);
  if (!store_.scheduleRetry(d.id, attempts, next, result.error)) hold(d.id, next);
}

void Dispatcher::hold(std::int64_t id, std::int64_t until_ms) {
  metrics_.storeFailed();
  std::lock_guard lock(mu_);
  held_[id] = until_ms;
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
  const bool summary = m.kind == MessageKind::Summary;
  const std::string path = summary                          ? "/api/v1/summaries"
                           : m.kind == MessageKind::Document ? "/api/v1/documents"
                                                             : "/api/v1/statuses";
  std::string hops = m.hops;
  if (!hops.empty()) hops += ";";
  hops += self_ + "@" + timestampVn(nowMs());
  auto resp = (*client)->request("POST", path, m.bytes, summary ? "application/json" : "application/xml",
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
