// Directory reload benchmark: a province directory of about N units (one node per district,
// 99 communes each) is written as XML; then, on a running province node, the time to load it
// (safe parse + XSD + index), to list what changed against the previous version, and a whole
// Node::reloadDirectory (read the file, check, build the adapters, audit, switch), median of
// the rounds; and routing lookups per second on two threads with and without a reload every
// 10 ms running beside them (the cost of reading through the live directory).
// usage: bench_directory [--units N (default 10000, at most about 9,900)] [--rounds R (default 7)]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "lienthong/gateway/node/config.h"
#include "lienthong/schemas/live_directory.h"
#include "lienthong/gateway/node/node.h"
#include "lienthong/gateway/node/routing.h"
#include "lienthong/schemas/schema_set.h"

using namespace lienthong;
using namespace lienthong::gateway;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

double msSince(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

std::string two(int n) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%02d", n);
  return buf;
}

// `version`; every `paper_every`-th commune on paper (0: none).
schemas::Directory provinceDirectory(int units, const std::string& version, int paper_every) {
  using schemas::Channel;
  const int districts = std::clamp(units / 100, 1, 99);
  std::vector<schemas::NodeInfo> nodes{{"province", "", ""}};
  std::vector<schemas::Unit> list{
      {"000.00.00.H41", "", "UBND tỉnh", "", 1, "", "", "", "province", Channel::Mailbox, {}}};
  int commune_count = 0;
  for (int d = 1; d <= districts; ++d) {
    const std::string node = "district-" + two(d);
    const std::string dcode = "000.00." + two(d) + ".H41";
    nodes.push_back({node, "province", "https://10.0." + std::to_string(d) + ".1:8443"});
    list.push_back({dcode, "", "UBND huyện " + two(d), "000.00.00.H41", 2, "", "", "", node,
                    Channel::Mailbox, {}});
    for (int c = 1; c <= 99 && static_cast<int>(list.size()) < units; ++c) {
      ++commune_count;
      const bool paper = paper_every > 0 && commune_count % paper_every == 0;
      list.push_back({"000." + two(c) + "." + two(d) + ".H41", "", "UBND xã " + two(c) + "/" + two(d),
                      dcode, 3, "", "", "", node, paper ? Channel::Paper : Channel::Mailbox, {}});
    }
  }
  auto dir = schemas::Directory::fromUnits(version, std::move(nodes), std::move(list));
  if (!dir) {
    std::fprintf(stderr, "bench_directory: %s\n", dir.error().message.c_str());
    std::exit(1);
  }
  return std::move(*dir);
}

void writeText(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
}

// Routing lookups per second on two threads for `ms` milliseconds.
double lookupsPerSecond(const RoutingTable& routing, const std::vector<std::string>& codes, int ms) {
  std::atomic<bool> stop{false};
  std::atomic<long> done{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] {
      long n = 0;
      for (std::size_t i = static_cast<std::size_t>(t); !stop.load(std::memory_order_relaxed); i += 7) {
        auto r = routing.route(codes[i % codes.size()]);
        if (!r) std::abort();
        ++n;
      }
      done += n;
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  stop = true;
  for (auto& t : threads) t.join();
  return static_cast<double>(done.load()) * 1000.0 / ms;
}

}  // namespace

int main(int argc, char** argv) {
  int units = 10000, rounds = 7;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--units")) units = std::max(2, std::atoi(argv[i + 1]));
    if (!std::strcmp(argv[i], "--rounds")) rounds = std::max(1, std::atoi(argv[i + 1]));
  }
  const fs::path dir = fs::temp_directory_path() / ("lienthong-bench-directory-" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  auto schemas = schemas::SchemaSet::load();
  if (!schemas) return 1;

  const auto v1 = provinceDirectory(units, "bench-1", 0);
  const auto v2 = provinceDirectory(units, "bench-2", 100);  // 1% of the communes move to paper
  const std::string xml1 = v1.toXml(), xml2 = v2.toXml();
  std::printf("directory: %zu units, %zu nodes, %.1f MB of XML\n", v1.units().size(), v1.nodes().size(),
              static_cast<double>(xml1.size()) / 1e6);

  const fs::path file = dir / "directory.xml";
  std::vector<double> load_ms, diff_ms, reload_ms;
  std::size_t changes = 0;
  for (int r = 0; r < rounds; ++r) {
    writeText(file, xml1);
    auto t = Clock::now();
    auto loaded = schemas::Directory::loadFile(file.string(), **schemas);
    load_ms.push_back(msSince(t));
    if (!loaded) return 1;
    t = Clock::now();
    changes = schemas::directoryChanges(*loaded, v2).size();
    diff_ms.push_back(msSince(t));
  }
  std::printf("load (parse + XSD + index): median %.1f ms\n", median(load_ms));
  std::printf("changes listed (%zu): median %.1f ms\n", changes, median(diff_ms));

  NodeConfig config = defaultConfig((dir / "node").string());
  config.name = "province";
  config.directory_file = file.string();
  config.http.port = 0;
  writeText(file, xml1);
  auto node = Node::start(config);
  if (!node) {
    std::fprintf(stderr, "bench_directory: %s\n", node.error().describe().c_str());
    return 1;
  }
  for (int r = 0; r < rounds; ++r) {
    writeText(file, r % 2 == 0 ? xml2 : xml1);
    const auto t = Clock::now();
    auto done = (*node)->reloadDirectory();
    reload_ms.push_back(msSince(t));
    if (!done) {
      std::fprintf(stderr, "bench_directory: %s\n", done.error().message.c_str());
      return 1;
    }
  }
  std::printf("Node::reloadDirectory (read, check, adapters, audit, switch): median %.1f ms, max %.1f ms\n",
              median(reload_ms), *std::max_element(reload_ms.begin(), reload_ms.end()));
  (*node)->stop();

  auto live = schemas::LiveDirectory::make(std::make_shared<const schemas::Directory>(v1));
  RoutingTable routing(live, "province");
  std::vector<std::string> codes;
  for (const auto& u : v1.units()) codes.push_back(u.code);
  const double quiet = lookupsPerSecond(routing, codes, 1500);
  std::atomic<bool> stop{false};
  std::atomic<int> swaps{0};
  auto a = std::make_shared<const schemas::Directory>(v1);
  auto b = std::make_shared<const schemas::Directory>(v2);
  std::thread reloader([&] {
    while (!stop) {
      live->replace(swaps % 2 == 0 ? b : a);
      ++swaps;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  });
  const double busy = lookupsPerSecond(routing, codes, 1500);
  stop = true;
  reloader.join();
  std::printf("routing lookups, 2 threads: %.0f/s; with a reload every 10 ms (%d swaps): %.0f/s\n", quiet,
              swaps.load(), busy);
  fs::remove_all(dir);
  return 0;
}
