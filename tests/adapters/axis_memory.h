// The gateway's side of the VXP endpoint, in memory, for the axis tests (plain HTTP and HTTPS):
// one system (kAxisClient/kAxisSecret) serving kAxisProvince; what a store would keep.
#pragma once

#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "lienthong/adapters/axis_endpoint.h"
#include "lienthong/adapters/hmac.h"

namespace adapters_test {

inline constexpr const char* kAxisClient = "vxp.saas.41";
inline constexpr const char* kAxisSecret = "axis-shared-secret-0123";
inline constexpr const char* kAxisProvince = "000.00.00.H41";

class MemoryAxisBackend final : public lienthong::adapters::AxisBackend {
  using AxisCaller = lienthong::adapters::AxisCaller;
  using AxisSystem = lienthong::adapters::AxisSystem;
  using AxisListItem = lienthong::adapters::AxisListItem;
  using AxisReceipt = lienthong::adapters::AxisReceipt;
  using MessageKind = lienthong::schemas::MessageKind;
  using ErrorCode = lienthong::ErrorCode;
  template <typename T>
  using Result = lienthong::Result<T>;

 public:
  struct Entry {
    std::string id, from, to, bytes;
    MessageKind kind = MessageKind::Document;
    std::string receipt;  // "", "done", "fail", "processing"
    std::string reason;
  };

  std::mutex mu;  // guards everything below
  std::vector<Entry> entries;
  int sends = 0;
  std::vector<std::string> sources;  // the system's allowed source addresses

  Result<AxisSystem> system(std::string_view id) override {
    if (id != kAxisClient) return lienthong::fail(ErrorCode::NotFound, "unknown system");
    std::lock_guard lock(mu);
    return AxisSystem{kAxisClient, kAxisSecret, {kAxisProvince}, sources};
  }
  bool serves(const std::vector<std::string>& units, std::string_view organ) override {
    return std::find(units.begin(), units.end(), organ) != units.end();
  }
  Result<std::string> send(std::string_view bytes, std::string_view from,
                           std::optional<MessageKind> kind, const AxisCaller&) override {
    std::lock_guard lock(mu);
    ++sends;
    for (const auto& e : entries) {
      if (e.bytes == bytes) return e.id;  // a repeat: the first DocId
    }
    entries.push_back({"D" + std::to_string(entries.size() + 1), std::string(from), "G22",
                       std::string(bytes), kind.value_or(MessageKind::Document), "", ""});
    return entries.back().id;
  }
  Result<std::vector<AxisListItem>> listReceived(const AxisCaller& caller,
                                                 std::optional<MessageKind> kind) override {
    std::lock_guard lock(mu);
    std::vector<AxisListItem> out;
    for (const auto& e : entries) {
      if (!serves(caller.units, e.to) || (e.receipt != "" && e.receipt != "processing")) continue;
      if (kind && *kind != e.kind) continue;
      out.push_back({e.id, e.from, e.to, e.kind, "2026-11-20T08:00:00+07:00",
                     "2026-11-20T08:00:00+07:00", e.receipt.empty() ? "initial" : e.receipt, ""});
    }
    return out;
  }
  Result<std::string> get(std::string_view id, const AxisCaller& caller) override {
    std::lock_guard lock(mu);
    for (const auto& e : entries) {
      if (e.id == id && serves(caller.units, e.to)) return e.bytes;
    }
    return lienthong::fail(ErrorCode::NotFound, "no document " + std::string(id));
  }
  Result<void> updateStatus(std::string_view id, AxisReceipt receipt, std::string_view reason,
                            const AxisCaller& caller) override {
    std::lock_guard lock(mu);
    for (auto& e : entries) {
      if (e.id == id && serves(caller.units, e.to)) {
        e.receipt = receipt == AxisReceipt::Done   ? "done"
                    : receipt == AxisReceipt::Fail ? "fail"
                                                   : "processing";
        e.reason = std::string(reason);
        return {};
      }
    }
    return lienthong::fail(ErrorCode::NotFound, "no document " + std::string(id));
  }
  Result<std::vector<lienthong::adapters::AxisSentItem>> listSent(std::string_view id,
                                                                  const AxisCaller&) override {
    std::lock_guard lock(mu);
    for (const auto& e : entries) {
      if (e.id == id) {
        lienthong::adapters::AxisSentItem s;
        s.sender_doc_id = e.id;
        s.from_code = e.from;
        s.to_code = e.to;
        s.send_status = "delivered";
        return std::vector{s};
      }
    }
    return lienthong::fail(ErrorCode::NotFound, "no message " + std::string(id));
  }
  Result<std::vector<lienthong::adapters::AxisAgency>> agencies() override {
    lienthong::adapters::AxisAgency a;
    a.id = a.code = "H41";
    a.code102 = kAxisProvince;
    a.name = "Ủy ban nhân dân tỉnh Nghệ An";
    a.level = 1;
    a.center_code = kAxisClient;
    return std::vector{a};
  }
  void addIncoming(std::string id, std::string bytes, MessageKind kind, std::string from = "G22") {
    std::lock_guard lock(mu);
    entries.push_back({std::move(id), std::move(from), kAxisProvince, std::move(bytes), kind, "", ""});
  }
  std::vector<Entry> snapshot() {
    std::lock_guard lock(mu);
    return entries;
  }
  Entry entry(const std::string& id) {
    std::lock_guard lock(mu);
    for (const auto& e : entries) {
      if (e.id == id) return e;
    }
    return {};
  }
};

}  // namespace adapters_test
