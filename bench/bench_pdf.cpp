// PAdES signing and verification of 1 MB and 20 MB PDFs: wall time and peak memory of each step.
// Each step runs in a fresh child process (this program re-executed), so its peak resident set
// (wait4 ru_maxrss) is that step's alone; an "idle" child that only loads the keys and the trust
// store gives the fixed cost of the process. Target: peak above idle below 3x the file size.
//
//   bench_pdf [SIZE_MB ...]      default: 1 20
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "lienthong/signing/ca.h"
#include "lienthong/signing/pdf_sample.h"
#include "lienthong/signing/pdf_signer.h"
#include "lienthong/signing/pdf_verifier.h"

using namespace lienthong;
using namespace lienthong::signing;
namespace fs = std::filesystem;

namespace {

constexpr const char* kPass = "bench-pass-123";

// Reads a file into a string of exactly its size (no stream buffer growth).
std::string slurp(const fs::path& p) {
  std::string out(static_cast<std::size_t>(fs::file_size(p)), '\0');
  std::ifstream in(p, std::ios::binary);
  in.read(out.data(), static_cast<std::streamsize>(out.size()));
  return out;
}

void spill(const fs::path& p, std::string_view bytes) {
  std::ofstream out(p, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

template <typename T>
T orDie(Result<T> r, const char* what) {
  if (!r) {
    std::cerr << "bench_pdf: " << what << ": " << r.error().describe() << "\n";
    std::exit(1);
  }
  return std::move(*r);
}

PdfVerifier verifierFrom(const fs::path& trust_dir) {
  TrustStore trust = orDie(TrustStore::load(trust_dir), "trust store");
  trust.setHttpFetch([](const HttpRequest& r) -> Result<std::string> {
    return fail(ErrorCode::Network, "bench: offline " + r.url);
  });
  ValidationPolicy policy;
  policy.revocation.use_ocsp = false;
  policy.revocation.check_intermediates = false;
  return PdfVerifier(std::move(trust), policy);
}

// Child: one step; prints its wall time in milliseconds.
int child(const std::vector<std::string>& a) {
  const std::string& step = a[0];
  PdfVerifier verifier = verifierFrom(a[1]);
  const auto start = std::chrono::steady_clock::now();
  if (step == "sign") {
    SigningKey key = orDie(SigningKey::fromPkcs12File(a[2], kPass), "key");
    std::string in = slurp(a[3]);
    std::string out = orDie(PdfSigner(key, verifier).sign(in), "sign");
    in = std::string();
    spill(a[4], out);
  } else if (step == "verify") {
    std::string in = slurp(a[2]);
    auto v = orDie(verifier.verify(in), "verify");
    if (!v.valid()) {
      std::cerr << "bench_pdf: not valid: " << v.reason << "\n";
      return 1;
    }
  } else if (step != "idle") {
    return 2;
  }
  const auto ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start);
  std::printf("%.1f\n", ms.count());
  return 0;
}

struct Measure {
  double ms = 0;
  long peak_kib = 0;
};

Measure runChild(const std::vector<std::string>& args) {
  int fds[2];
  if (pipe(fds) != 0) std::exit(1);
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], 1);
    close(fds[0]);
    close(fds[1]);
    std::vector<std::string> all = {"/proc/self/exe", "--child"};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& s : all) argv.push_back(s.data());
    argv.push_back(nullptr);
    execv("/proc/self/exe", argv.data());
    _exit(127);
  }
  close(fds[1]);
  std::string text;
  char buf[256];
  for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;)
    text.append(buf, static_cast<std::size_t>(n));
  close(fds[0]);
  int status = 0;
  rusage usage{};
  wait4(pid, &status, 0, &usage);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::cerr << "bench_pdf: step " << args[0] << " failed\n";
    std::exit(1);
  }
  return Measure{std::atof(text.c_str()), usage.ru_maxrss};
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && args[0] == "--child") return child({args.begin() + 1, args.end()});
  std::vector<double> sizes_mb;
  for (const auto& a : args) sizes_mb.push_back(std::atof(a.c_str()));
  if (sizes_mb.empty()) sizes_mb = {1, 20};

  const fs::path dir =
      fs::temp_directory_path() / ("lienthong-bench-pdf-" + std::to_string(getpid()));
  fs::create_directories(dir / "trust");
  CaSettings settings;
  settings.province_name = "UBND tinh Lao Cai";
  settings.organ_id = "000.00.00.H41";
  settings.crl_url = "http://127.0.0.1:9/crl";
  settings.ocsp_url = "http://127.0.0.1:9/ocsp";
  settings.ca_key_type = KeyType::P256;
  const std::string ca_pass = "bench-ca-passphrase";
  CaBundle bundle = orDie(createCa(settings, ca_pass), "CA");
  CertificateAuthority ca = orDie(CertificateAuthority::load(settings, bundle, ca_pass), "CA load");
  spill(dir / "trust" / "root.pem", ca.rootCertPem());
  spill(dir / "trust" / "issuing.pem", ca.issuingCertPem());
  const auto now =
      std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
  spill(dir / "trust" / "ca.crl",
        orDie(ca.makeCrl({}, 1, now - std::chrono::hours(1), now + std::chrono::hours(48)), "CRL"));
  SubjectFields person;
  person.common_name = "Nguyễn Văn An";
  person.organization = "UBND tỉnh Lào Cai";
  person.organ_id = "000.00.00.H41";
  person.title = "Chủ tịch";
  person.personal_id = "CCCD:001099000123";
  SubjectFields agency;
  agency.common_name = "Ủy ban nhân dân tỉnh Lào Cai";
  agency.organization = "UBND tỉnh Lào Cai";
  agency.organ_id = "000.00.00.H41";
  spill(dir / "personal.p12",
        orDie(ca.generate(CertProfile::PersonalSigner, person, KeyType::P256, kPass), "personal")
            .pkcs12);
  spill(dir / "agency.p12",
        orDie(ca.generate(CertProfile::AgencySeal, agency, KeyType::P256, kPass), "agency").pkcs12);
  const std::string trust = (dir / "trust").string();

  const Measure idle = runChild({"idle", trust});
  std::printf("PAdES sign/verify (P-256 keys, offline CRL); idle process peak %ld KiB\n",
              idle.peak_kib);
  std::printf("%-8s %-26s %10s %12s %14s\n", "file", "step", "time ms", "peak KiB",
              "(peak-idle)/size");
  for (double mb : sizes_mb) {
    SamplePdfOptions o;
    o.target_size = static_cast<std::size_t>(mb * 1024 * 1024);
    const std::string pdf = orDie(makeSamplePdf(o), "sample");
    const std::string name = std::to_string(static_cast<int>(mb)) + "MB";
    const fs::path in = dir / (name + ".pdf");
    const fs::path p1 = dir / (name + "-personal.pdf");
    const fs::path p2 = dir / (name + "-both.pdf");
    spill(in, pdf);
    const double size_kib = static_cast<double>(pdf.size()) / 1024.0;
    auto row = [&](const char* step, const Measure& m) {
      std::printf("%-8s %-26s %10.1f %12ld %14.2f\n", name.c_str(), step, m.ms, m.peak_kib,
                  static_cast<double>(m.peak_kib - idle.peak_kib) / size_kib);
    };
    row("sign personal",
        runChild({"sign", trust, (dir / "personal.p12").string(), in.string(), p1.string()}));
    row("sign agency (verifies 1st)",
        runChild({"sign", trust, (dir / "agency.p12").string(), p1.string(), p2.string()}));
    row("verify both", runChild({"verify", trust, p2.string()}));
  }
  fs::remove_all(dir);
  return 0;
}
