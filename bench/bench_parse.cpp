// Parse benchmark: safe parse + schema check + model of 4 KB and 1 MB edXML packages per second
// on one core, and the peak memory of parsing a 50 MB-attachment package. Prints its figures.
// usage: bench_parse [seconds-per-case]   (default 3)
#include <malloc.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "lienthong/schemas/edxml.h"
#include "lienthong/schemas/sample.h"
#include "lienthong/schemas/schema_set.h"

using namespace lienthong::schemas;
using Clock = std::chrono::steady_clock;

namespace {

// Current and peak resident memory in KiB, from /proc/self/status.
long statusKiB(const char* key) {
  FILE* f = std::fopen("/proc/self/status", "r");
  if (!f) return -1;
  char line[256];
  long value = -1;
  const std::size_t len = std::strlen(key);
  while (std::fgets(line, sizeof line, f)) {
    if (std::strncmp(line, key, len) == 0) value = std::atol(line + len);
  }
  std::fclose(f);
  return value;
}

// Resets the peak (VmHWM) to the current RSS, so the next peak belongs to what follows.
void resetPeak() {
  malloc_trim(0);
  if (FILE* f = std::fopen("/proc/self/clear_refs", "w")) {
    std::fputs("5", f);
    std::fclose(f);
  }
}

std::string packageOfSize(std::size_t target) {
  sample::PackageSpec spec;
  spec.zipped_appendix = false;
  spec.pdf_bytes = 0;
  const std::size_t base = sample::package(spec).serialize().size();
  spec.pdf_bytes = target > base ? (target - base) * 3 / 4 : 0;
  return sample::package(spec).serialize();
}

void run(const char* label, const std::string& bytes, const SchemaSet& schemas, double seconds) {
  std::size_t n = 0;
  const auto start = Clock::now();
  double elapsed = 0;
  do {
    for (int i = 0; i < 16; ++i) {
      auto p = Package::parse(bytes, &schemas);
      if (!p) {
        std::fprintf(stderr, "parse failed: %s\n", p.error().describe().c_str());
        std::exit(1);
      }
      ++n;
    }
    elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  } while (elapsed < seconds);
  std::printf("%-10s %9zu bytes  %10.0f parses/s  %8.1f MB/s  %7.3f ms/parse\n", label,
              bytes.size(), n / elapsed, n * bytes.size() / elapsed / 1e6, elapsed * 1e3 / n);
}

}  // namespace

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 3.0;
  auto schemas = SchemaSet::load();
  if (!schemas) {
    std::fprintf(stderr, "%s\n", schemas.error().describe().c_str());
    return 1;
  }
  std::printf("bench_parse: safe parse + XSD + model, one thread, %.1f s per case\n", seconds);
  run("4 KB", packageOfSize(4096), **schemas, seconds);
  run("1 MB", packageOfSize(1 << 20), **schemas, seconds);

  const std::string big = packageOfSize(50u << 20);
  resetPeak();
  const long before = statusKiB("VmRSS:");
  {
    auto p = Package::parse(big, schemas->get());
    if (!p) return 1;
    std::size_t decoded = 0;
    auto r = p->attachments[0].decodeTo([&](std::string_view c) -> lienthong::Result<void> {
      decoded += c.size();
      return {};
    });
    if (!r) return 1;
    const long after = statusKiB("VmHWM:");
    std::printf("50 MB      %9zu bytes  peak RSS above the input: %.1f MiB "
                "(%.2fx the package) to parse, check and decode %.1f MiB in 48 KiB chunks\n",
                big.size(), (after - before) / 1024.0, (after - before) * 1024.0 / big.size(),
                decoded / 1048576.0);
  }
  return 0;
}
