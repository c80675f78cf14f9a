// The gateway's side of the axis-style endpoint, in memory, for the axis tests (plain HTTP and
// HTTPS): one client (kAxisClient/kAxisSecret) acting for kAxisProvince; what a store would keep.
#pragma once

#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "lienthong/adapters/axis_endpoint.h"
#include "lienthong/adapters/hmac.h"

namespace adapters_test {

inline constexpr const char* kAxisClient = "province-h41";
inline constexpr const char* kAxisSecret = "axis-shared-secret-0123";
inline constexpr const char* kAxisProvince = "000.00.00.H41";

class MemoryAxisBackend final : public lienthong::adapters::AxisBackend {
  using AxisCaller = lienthong::adapters::AxisCaller;
  using AxisCredential = lienthong::adapters::AxisCredential;
  using AxisListItem = lienthong::adapters::AxisListItem;
  using AxisReceipt = lienthong::adapters::AxisReceipt;
  using ErrorCode = lienthong::ErrorCode;
  template <typename T>
  using Result = lienthong::Result<T>;

 public:
  struct Entry {
    std::string id, from, to, bytes, delivery;
    lienthong::schemas::MessageKind kind = lienthong::schemas::MessageKind::Document;
    std::string receipt;  // "", "done", "fail"
    std::string reason;
  };

  std::mutex mu;  // guards everything below
  std::vector<Entry> entries;
  int sends = 0;

  Result<AxisCredential> credential(std::string_view client_id) override {
    if (client_id != kAxisClient) return lienthong::fail(ErrorCode::NotFound, "unknown client");
    return AxisCredential{kAxisSecret, false, {kAxisProvince}};
  }
  Result<std::string> send(std::string_view bytes, const AxisCaller& caller) override {
    std::lock_guard lock(mu);
    ++sends;
    for (const auto& e : entries) {
      if (!caller.delivery.empty() && e.delivery == caller.delivery) return e.id;
    }
    entries.push_back({"D" + std::to_string(entries.size() + 1), caller.organ_id, "G22",
                       std::string(bytes), caller.delivery, lienthong::schemas::MessageKind::Document, "", ""});
    return entries.back().id;
  }
  Result<std::vector<AxisListItem>> listReceived(const AxisCaller& caller) override {
    std::lock_guard lock(mu);
    std::vector<AxisListItem> out;
    for (const auto& e : entries) {
      if (e.to == caller.organ_id && e.receipt.empty()) {
        out.push_back({e.id, e.from, e.to, e.kind, "2026-11-20T08:00:00Z", lienthong::adapters::sha256Hex(e.bytes)});
      }
    }
    return out;
  }
  Result<std::string> get(std::string_view id, const AxisCaller& caller) override {
    std::lock_guard lock(mu);
    for (const auto& e : entries) {
      if (e.id == id && e.to == caller.organ_id) return e.bytes;
    }
    return lienthong::fail(ErrorCode::NotFound, "no document " + std::string(id));
  }
  Result<void> updateStatus(std::string_view id, AxisReceipt receipt, std::string_view reason,
                            const AxisCaller& caller) override {
    std::lock_guard lock(mu);
    for (auto& e : entries) {
      if (e.id == id && e.to == caller.organ_id) {
        e.receipt = receipt == AxisReceipt::Done ? "done" : "fail";
        e.reason = std::string(reason);
        return {};
      }
    }
    return lienthong::fail(ErrorCode::NotFound, "no document " + std::string(id));
  }
  void addIncoming(std::string id, std::string bytes, lienthong::schemas::MessageKind kind) {
    std::lock_guard lock(mu);
    entries.push_back({std::move(id), "G22", kAxisProvince, std::move(bytes), "", kind, "", ""});
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
