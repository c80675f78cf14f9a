// Metrics to alert on (issue 19): a node with its peer down is scraped twice; the pending age
// and the retry queue rise; the alert rules in packaging/prometheus pass promtool and, evaluated
// by promtool on series made from the scraped text, fire when that peer stays down; every
// metric the Grafana dashboard in packaging/grafana asks for is one the node exposes.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <catch2/catch.hpp>

#include <array>
#include <cstdio>
#include <fstream>
#include <regex>
#include <set>

#include <sys/wait.h>

#include "gateway/gateway_fixture.h"

using namespace lienthong;
using namespace lienthong::gateway;
using namespace lienthong::gateway::testing;

namespace {

struct Scrape {
  std::map<std::string, double> samples;  // "name{labels}" -> value
  std::set<std::string> families;         // names of "# TYPE" lines
  std::string text;
  std::int64_t at_ms = 0;
  double value(const std::string& series) const {
    auto it = samples.find(series);
    return it == samples.end() ? -1 : it->second;
  }
};

Scrape scrape(HttpsClient& c) {
  auto r = c.request("GET", "/metrics");
  REQUIRE(r);
  REQUIRE(r->status == 200);
  Scrape s;
  s.text = r->body;
  s.at_ms = nowMs();
  std::istringstream in(r->body);
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("# TYPE ")) {
      s.families.insert(line.substr(7, line.find(' ', 7) - 7));
      continue;
    }
    if (line.empty() || line[0] == '#') continue;
    const auto space = line.rfind(' ');
    s.samples[line.substr(0, space)] = std::stod(line.substr(space + 1));
  }
  return s;
}

std::pair<int, std::string> run(const std::string& command) {
  FILE* p = popen((command + " 2>&1").c_str(), "r");
  std::string out;
  std::array<char, 4096> buf{};
  for (std::size_t n; (n = fread(buf.data(), 1, buf.size(), p)) > 0;) out.append(buf.data(), n);
  const int rc = pclose(p);
  return {WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, out};
}

// `name{a="b"}` with instance and job added, as Prometheus would store the scraped sample.
std::string withTarget(const std::string& series) {
  const auto brace = series.find('{');
  if (brace == std::string::npos) return series + "{instance=\"node\",job=\"lienthong\"}";
  return series.substr(0, brace + 1) + "instance=\"node\",job=\"lienthong\"," + series.substr(brace + 1);
}

}  // namespace

TEST_CASE("metrics: with a peer down the pending age and retry queue rise, the alert rules fire on the scraped series, the dashboard's metrics exist") {
  TempDir tmp;
  DevPki pki = *DevPki::open((tmp.path() / "pki").string());
  OfficeSigners signers(pki);
  std::map<std::string, int> ports{{"province", freePort()}, {"district-a", freePort()}};
  auto directory = threeNodeDirectory(ports);
  NodeConfig c = testNodeConfig(tmp.path(), pki, "province", ports.at("province"));
  c.dispatch.max_attempts = 100000;  // district-a stays down: its deliveries wait and are retried
  c.audit_checkpoint_every = 3;
  NodeOptions o;
  o.directory = schemas::LiveDirectory::make(directory);
  auto node = Node::start(c, std::move(o));
  REQUIRE(node);
  auto office = officeClient(pki, kProvince, (*node)->url());
  for (int i = 0; i < 5; ++i) {
    auto r = office->request("POST", "/api/v1/documents",
                             signers.sign(kProvince, testPackage(kProvince, {kDistrictA}, 300 + i).serialize()));
    REQUIRE(r);
    REQUIRE(r->status == 202);
  }
  auto bad = office->request("POST", "/api/v1/documents", "<edXML");
  REQUIRE(bad);
  CHECK(bad->status == 400);
  auto scraper = anonymousClient(pki, (*node)->url());
  const Scrape first = scrape(*scraper);
  Scrape second;
  REQUIRE(waitFor([&] {
    second = scrape(*scraper);
    return second.value("lienthong_retry_queue_depth") >= 5 &&
           second.value("lienthong_pending_oldest_seconds") >= first.value("lienthong_pending_oldest_seconds") + 1.0 &&
           second.value("lienthong_audit_checkpoint_age_seconds") >= 0;
  }, std::chrono::seconds(30)));
  INFO(second.text);
  CHECK(second.value("lienthong_deliveries{state=\"pending\"}") == 5);
  CHECK(second.value("lienthong_retry_queue_depth") > first.value("lienthong_retry_queue_depth"));
  CHECK(second.value("lienthong_pending_oldest_seconds") > first.value("lienthong_pending_oldest_seconds"));
  CHECK(second.value("lienthong_intake_refused_total{code=\"malformed_xml\"}") == 1);
  CHECK(second.value("lienthong_http_request_seconds_count{method=\"POST\",route=\"/api/v1/documents\",status=\"2xx\"}") == 5);
  CHECK(second.value("lienthong_http_request_seconds_count{method=\"POST\",route=\"/api/v1/documents\",status=\"4xx\"}") == 1);
  CHECK(second.value("lienthong_directory_info{version=\"test-1\"}") == 1);
  int certificates = 0;
  for (const auto& [series, v] : second.samples) {
    if (!series.starts_with("lienthong_certificate_expiry_seconds{")) continue;
    ++certificates;
    CHECK(v > 86400);  // the dev PKI's certificates are valid for a while
  }
  CHECK(certificates >= 4);  // tls, tls_ca, trust, seal

  // The rules pass promtool. Evaluated on the scraped series over the next 3 hours as they go
  // while the peer stays down (the ages of what waits grow with the clock, as they did between
  // the scrapes; counts and counters stay), the pending alert fires and the others do not.
  const std::string rules = std::string(LIENTHONG_SOURCE_DIR) + "/packaging/prometheus/lienthong-alerts.yml";
  auto check = run("promtool check rules " + rules);
  INFO(check.second);
  REQUIRE(check.first == 0);
  const double dt = static_cast<double>(second.at_ms - first.at_ms) / 1000.0;
  std::ostringstream test;
  test << "rule_files:\n  - " << rules << "\nevaluation_interval: 1m\ntests:\n  - interval: 1m\n    input_series:\n";
  for (const auto& [series, v] : second.samples) {
    const bool age = series.find("oldest_seconds") != std::string::npos;
    if (age) {
      const double before = first.samples.contains(series) ? first.samples.at(series) : 0.0;
      CHECK(v - before >= 0.5 * dt);  // it did grow with the clock
    }
    const double per_minute = age ? 60.0 : 0.0;
    std::string name = withTarget(series);
    std::string quoted;
    for (char ch : name) quoted += ch == '\'' ? std::string("''") : std::string(1, ch);
    test << "      - series: '" << quoted << "'\n        values: '" << v << (per_minute >= 0 ? "+" : "") << per_minute
         << "x180'\n";
  }
  test << "      - series: 'up{instance=\"node\",job=\"lienthong\"}'\n        values: '1x180'\n"
       << "    alert_rule_test:\n"
       << "      - eval_time: 2h\n        alertname: LienthongPendingDeliveryOld\n        exp_alerts:\n"
       << "          - exp_labels: {severity: warning, instance: node, job: lienthong}\n"
       << "            exp_annotations:\n"
       << "              summary: \"A delivery has waited more than an hour at node\"\n"
       << "              description: \"Văn bản chờ chuyển quá 1 giờ. lienthong_backlog_oldest_seconds names the next hop; "
          "lienthong doctor checks the peers.\"\n"
       << "      - eval_time: 2h\n        alertname: LienthongCertificateExpired\n        exp_alerts: []\n"
       << "      - eval_time: 2h\n        alertname: LienthongDown\n        exp_alerts: []\n"
       << "      - eval_time: 2h\n        alertname: LienthongRetryQueueGrowing\n        exp_alerts: []\n";
  const std::string test_file = (tmp.path() / "rules-test.yml").string();
  std::ofstream(test_file) << test.str();
  auto evaluated = run("promtool test rules " + test_file);
  INFO(evaluated.second);
  CHECK(evaluated.first == 0);
  CHECK(evaluated.second.find("SUCCESS") != std::string::npos);

  // Every metric the dashboard asks for is a family the node exposes.
  std::ifstream board(std::string(LIENTHONG_SOURCE_DIR) + "/packaging/grafana/lienthong-dashboard.json");
  const std::string json((std::istreambuf_iterator<char>(board)), {});
  Poco::JSON::Parser parser;
  auto dash = parser.parse(json).extract<Poco::JSON::Object::Ptr>();
  auto panels = dash->getArray("panels");
  REQUIRE(panels);
  const std::regex metric("lienthong_[a-z_]+");
  int exprs = 0;
  for (std::size_t i = 0; i < panels->size(); ++i) {
    auto targets = panels->getObject(static_cast<unsigned>(i))->getArray("targets");
    for (std::size_t t = 0; targets && t < targets->size(); ++t) {
      const std::string expr = targets->getObject(static_cast<unsigned>(t))->getValue<std::string>("expr");
      ++exprs;
      for (std::sregex_iterator m(expr.begin(), expr.end(), metric), end; m != end; ++m) {
        std::string name = m->str();
        for (const char* suffix : {"_bucket", "_sum", "_count"}) {
          if (name.ends_with(suffix) && !second.families.contains(name)) name.resize(name.size() - std::strlen(suffix));
        }
        INFO(expr);
        CHECK(second.families.contains(name));
      }
    }
  }
  CHECK(exprs >= 10);
  (*node)->stop();
}
