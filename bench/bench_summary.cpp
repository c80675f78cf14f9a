// Summaries up the tree on a province-sized register (issue 17): one node holds the register of
// U units with N outgoing lines over a year (a province whose districts were retired into it
// carries about 700,000 a year), imported as a DMS's history. Then, on that node, the time of:
// the summariser's first full pass (every unit-day computed, signed and stored for the parent),
// a second pass with nothing changed, a pass after 1,000 new lines with a 30-day window, and
// the issuance report of the whole year; and the peak memory. The limits: a pass must take well
// under the default interval between passes (evidence.summary_seconds = 300): a tenth of it.
// usage: bench_summary [--lines N (default 700000)] [--units U (default 500)]
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "lienthong/gateway/app/dev_pki.h"
#include "lienthong/gateway/evidence/register.h"
#include "lienthong/gateway/evidence/report.h"
#include "lienthong/gateway/evidence/report_routes.h"
#include "lienthong/gateway/evidence/summary.h"
#include "lienthong/gateway/node/signature.h"
#include "lienthong/gateway/store/clock.h"
#include "lienthong/gateway/store/store.h"
#include "lienthong/schemas/live_directory.h"

using namespace lienthong;
using namespace lienthong::gateway;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

double secondsSince(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

long peakRssMb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss / 1024;
}

std::string two(int n, int width = 2) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%0*d", width, n);
  return buf;
}

// yyyy-mm-dd of day `d` (0..364) of the year that ends today (Vietnam time).
std::string dayOf(int d) {
  const std::string t = timestampVn(nowMs() - static_cast<std::int64_t>(364 - d) * 86400000);
  return t.substr(0, 4) + "-" + t.substr(5, 2) + "-" + t.substr(8, 2);
}

const char* verdict(double v, double limit) { return v <= limit ? "met" : "NOT MET"; }

}  // namespace

int main(int argc, char** argv) {
  int lines = 700000, units = 500;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--lines") == 0) lines = std::max(1, std::atoi(argv[i + 1]));
    if (std::strcmp(argv[i], "--units") == 0) units = std::clamp(std::atoi(argv[i + 1]), 1, 9000);
  }
  const fs::path dir = fs::temp_directory_path() / ("lienthong-bench-summary-" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string store_file = (dir / "store.sqlite").string();

  // One node "merged" under "province" homing the province People's Committee's successor and
  // U communes.
  using schemas::Channel;
  std::vector<schemas::Unit> list{{"H41", "000.00.00.H41", "UBND tỉnh", "", 1, "", "", "", "province", Channel::Mailbox, {}},
                                  {"H41.01", "000.00.01.H41", "UBND xã 0", "H41", 3, "", "", "", "merged", Channel::Mailbox, {}}};
  for (int u = 1; u < units; ++u) {
    const std::string code = "000." + two(u % 100) + "." + two(2 + u / 100) + ".H41";
    list.push_back({code, "", "UBND xã " + std::to_string(u), "H41", 3, "", "", "", "merged", Channel::Mailbox, {}});
  }
  auto directory = schemas::Directory::fromUnits("bench", {{"province", "", ""}, {"merged", "province", ""}}, list);
  if (!directory) {
    std::fprintf(stderr, "directory: %s\n", directory.error().message.c_str());
    return 1;
  }
  auto live = schemas::LiveDirectory::make(std::make_shared<const schemas::Directory>(std::move(*directory)));
  auto store = openSqliteStore(store_file);
  if (!store) {
    std::fprintf(stderr, "store: %s\n", store.error().message.c_str());
    return 1;
  }
  auto pki = DevPki::open((dir / "pki").string());
  auto seal = pki->issueSeal("000.00.01.H41", "Gateway node merged", "seal-merged");
  auto signer = makeCmsSigner(seal->key, "", seal->cert);
  if (!signer) {
    std::fprintf(stderr, "seal: %s\n", signer.error().message.c_str());
    return 1;
  }
  EvidenceOptions o;
  o.store_file = store_file;
  o.directory = live;
  o.node_name = "merged";
  o.summary_signer = *signer;
  o.summary_interval_ms = 0;
  auto ev = openEvidence(o);
  if (!ev) {
    std::fprintf(stderr, "evidence: %s\n", ev.error().message.c_str());
    return 1;
  }
  ev->audit->attach(store->get());

  // The register: N lines spread over the units and the year's days, 93% electronic.
  auto t = Clock::now();
  const auto& all = (*live).current()->units();
  const auto fill = [&](int from, int count, int day_from, int days) {
    std::vector<PaperRecord> batch;
    for (int i = from; i < from + count; ++i) {
      const auto& u = all[1 + static_cast<std::size_t>(i) % (all.size() - 1)];
      PaperRecord r;
      r.unit = u.code;
      r.number = std::to_string(i + 1);
      r.notation = "UBND";
      r.date = dayOf(day_from + (i / static_cast<int>(all.size() - 1)) % days);
      r.recipients = {"000.00.00.H41"};
      r.channel = i % 100 < 93 ? "electronic" : i % 100 < 95 ? "both" : i % 100 < 99 ? "paper" : "not_issued";
      if (r.channel != "not_issued") r.dispatch_date = r.date;
      batch.push_back(std::move(r));
      if (batch.size() == 20000) {
        if (auto ok = ev->book->recordPaperBatch(batch, "bench"); !ok) return ok.error().message;
        batch.clear();
      }
    }
    if (!batch.empty()) {
      if (auto ok = ev->book->recordPaperBatch(batch, "bench"); !ok) return ok.error().message;
    }
    return std::string();
  };
  if (auto e = fill(0, lines, 0, 365); !e.empty()) {
    std::fprintf(stderr, "fill: %s\n", e.c_str());
    return 1;
  }
  const double fill_s = secondsSince(t);

  // The default (every pass recomputes every day), and evidence.summary_window_days = 30 (after
  // its first full pass, only the last 30 days), on the same outbox.
  const auto make = [&](int window) {
    Summariser::Options so;
    so.interval_ms = 0;
    so.window_days = window;
    return std::make_unique<Summariser>(ev->reporter,
                                        std::shared_ptr<SummaryStore>(ev->summaries, &ev->summaries->store()),
                                        ev->audit, *signer, so);
  };
  auto full = make(0);
  auto windowed = make(30);
  t = Clock::now();
  auto first = full->run();
  const double first_s = secondsSince(t);
  if (!first) {
    std::fprintf(stderr, "summariser: %s\n", first.error().message.c_str());
    return 1;
  }
  t = Clock::now();
  auto second = full->run();
  const double second_s = secondsSince(t);
  (void)windowed->run();  // its own first pass is a full one
  // 1,000 new lines in the last 30 days: the window pass.
  if (auto e = fill(lines, 1000, 335, 30); !e.empty()) {
    std::fprintf(stderr, "fill: %s\n", e.c_str());
    return 1;
  }
  t = Clock::now();
  auto third = windowed->run();
  const double third_s = secondsSince(t);
  t = Clock::now();
  auto report = ev->reporter->issuance(*Scope::parse("subtree:H41.01"), *Period::parse(dayOf(364).substr(0, 4)));
  Scope level;
  level.kind = Scope::Kind::Level;
  level.level = 3;
  auto year = ev->reporter->issuance(level, *Period::parse(dayOf(364).substr(0, 4)));
  const double report_s = secondsSince(t);
  if (!second || !third || !report || !year) {
    std::fprintf(stderr, "a run failed\n");
    return 1;
  }
  const double limit = 30.0;  // a tenth of the default 300 s between passes
  std::printf("register: %d lines, %d units, one year (filled in %.1f s, %.0f lines/s)\n", lines, units, fill_s,
              lines / fill_s);
  std::printf("first full pass:   %.2f s, %d unit-days in %d signed messages   (limit %.0f s: %s)\n", first_s,
              first->rows, first->messages, limit, verdict(first_s, limit));
  std::printf("nothing changed:   %.2f s, %d unit-days recomputed and unchanged, %d sent  (limit %.0f s: %s)\n", second_s,
              second->unchanged, second->rows, limit, verdict(second_s, limit));
  std::printf("30-day window:     %.2f s after 1,000 new lines, %d unit-days sent, %d unchanged   (limit %.0f s: %s)\n",
              third_s, third->rows, third->unchanged, limit, verdict(third_s, limit));
  std::printf("this year's report (level 3, %zu units): %.2f s, %lld outgoing\n", year->units.size(), report_s,
              static_cast<long long>(year->total.outgoing.total));
  std::printf("peak memory: %ld MB\n", peakRssMb());
  ev->audit->attach(nullptr);
  fs::remove_all(dir);
  return 0;
}
