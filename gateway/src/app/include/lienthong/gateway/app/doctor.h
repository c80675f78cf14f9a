// `lienthong doctor` (issue 19, item 5): what an operator checks before and while a node runs,
// each check with what it found and what to do. Configuration and directory; the expiry of the
// node's TLS certificate, its CA file, its seal and its trust anchors; the store (quick check,
// and its audit log against the head kept outside it); every peer node (reachable over mutual
// TLS, /healthz answering) and the clock skew against it.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "lienthong/gateway/node/config.h"

namespace lienthong::gateway {

enum class DoctorLevel { Ok, Warn, Fail };
std::string_view doctorLevelName(DoctorLevel l);  // "ok", "WARN", "FAIL"

struct DoctorCheck {
  std::string name;   // "configuration", "certificate tls.cert", "peer district-a", ...
  DoctorLevel level = DoctorLevel::Ok;
  std::string found;  // what was found
  std::string advice;   // what to do, when not ok (English, then Vietnamese)
};

struct DoctorOptions {
  int warn_days = 30;                 // certificates ending within this many days: WARN
  std::int64_t max_skew_ms = 60000;   // clock skew against a peer beyond this: WARN
  int peer_timeout_ms = 5000;
};

// Runs every check of the node `config` describes (loaded already: a configuration error is the
// caller's first check). Never stops at a failed check.
std::vector<DoctorCheck> runDoctor(const NodeConfig& config, const DoctorOptions& options = {});

}  // namespace lienthong::gateway
