#include "adapter_hub.h"

#include <chrono>
#include <utility>

#include "lienthong/adapters/factory.h"

namespace lienthong::gateway {

AdapterHub::AdapterHub(std::string node_name, std::shared_ptr<const schemas::SchemaSet> schemas,
                       adapters::Clock clock)
    : node_name_(std::move(node_name)), schemas_(std::move(schemas)), clock_(std::move(clock)) {}

AdapterHub::~AdapterHub() { stop(); }

Result<AdapterHub::Set> AdapterHub::prepare(const schemas::Directory& directory) const {
  Set set;
  for (const auto& u : directory.units()) {
    if (u.home_node != node_name_) continue;
    if (u.channel != schemas::Channel::Webhook && u.channel != schemas::Channel::Folder &&
        u.channel != schemas::Channel::Axis) {
      continue;
    }
    auto a = adapters::makeAdapter(u, adapters::AdapterContext{schemas_, clock_});
    if (!a) return fail(ErrorCode::Config, a.error().message);
    std::shared_ptr<adapters::Adapter> adapter = std::move(*a);
    set.by_code[u.code] = adapter;
    if (!u.legacy_code.empty()) set.by_code[u.legacy_code] = adapter;
    set.units.push_back({u.legacy_code.empty() ? u.code : u.legacy_code, adapter});
  }
  return set;
}

void AdapterHub::install(Set set) {
  Set old;
  {
    std::lock_guard lock(mu_);
    old = std::exchange(set_, std::move(set));
  }
  // `old` is released here, outside the lock: a folder or HTTP adapter may take time to close.
}

Result<void> AdapterHub::reload(const schemas::Directory& directory) {
  auto set = prepare(directory);
  if (!set) return std::unexpected(set.error());
  install(std::move(*set));
  return {};
}

std::shared_ptr<adapters::Adapter> AdapterHub::find(const std::string& organ_id) const {
  std::lock_guard lock(mu_);
  auto it = set_.by_code.find(organ_id);
  return it == set_.by_code.end() ? nullptr : it->second;
}

std::size_t AdapterHub::size() const {
  std::lock_guard lock(mu_);
  return set_.units.size();
}

void AdapterHub::start(Submit submit, Log log, int poll_ms, std::size_t batch) {
  if (poller_.joinable()) return;
  submit_ = std::move(submit);
  log_ = std::move(log);
  batch_ = batch;
  const auto every = std::chrono::milliseconds(std::max(poll_ms, 10));
  poller_ = std::thread([this, every] {
    std::unique_lock lock(poll_mu_);
    while (!stop_) {
      lock.unlock();
      (void)pollOnce();
      lock.lock();
      poll_cv_.wait_for(lock, every, [this] { return stop_; });
    }
  });
}

void AdapterHub::stop() {
  {
    std::lock_guard lock(poll_mu_);
    stop_ = true;
  }
  poll_cv_.notify_all();
  if (poller_.joinable()) poller_.join();
}

int AdapterHub::pollOnce() {
  if (!submit_) return 0;
  std::vector<Entry> units;
  {
    std::lock_guard lock(mu_);
    units = set_.units;
  }
  int settled = 0;
  const auto note = [this](const std::string& event, const std::string& doc, const std::string& detail) {
    if (log_) log_(event, doc, detail);
  };
  for (const auto& unit : units) {
    auto items = unit.adapter->poll(batch_);
    if (!items) {
      note("adapter poll failed", "", unit.organ_id + " (" + std::string(unit.adapter->kind()) +
                                          "): " + items.error().describe());
      continue;
    }
    for (const auto& item : *items) {
      const MessageKind kind = item.kind == schemas::MessageKind::Status ? MessageKind::Status
                                                                         : MessageKind::Document;
      const Credential who{Role::Office, unit.organ_id, std::string(unit.adapter->kind())};
      auto r = submit_(item.bytes, who, kind);
      adapters::Verdict verdict = adapters::Verdict::accept();
      if (!r) {
        if (r.error().error.code == ErrorCode::Storage) {
          note("adapter item kept", item.document_id, item.origin + ": " + r.error().error.describe());
          continue;  // not settled: tried again once the store is back (after a restart)
        }
        verdict = adapters::Verdict::refuse(r.error().error);
        note("refused", item.document_id, item.origin + ": " + r.error().error.describe());
      } else {
        note(r->duplicate ? "duplicate" : "accepted", r->document_id,
             item.origin + ", id " + std::to_string(r->id));
      }
      if (auto s = unit.adapter->settle(item.ref, verdict); !s) {
        note("adapter settle failed", item.document_id, item.origin + ": " + s.error().describe());
        continue;
      }
      ++settled;
    }
  }
  return settled;
}

}  // namespace lienthong::gateway
