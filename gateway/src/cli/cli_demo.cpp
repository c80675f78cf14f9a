#include "cli_demo.h"

#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <openssl/rand.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "lienthong/gateway/http/auth.h"
#include "lienthong/gateway/ca/ca_api.h"
#include "lienthong/gateway/ca/ca_publish.h"
#include "lienthong/gateway/app/dev_pki.h"
#include "lienthong/gateway/http/https_client.h"
#include "lienthong/gateway/node/node.h"
#include "lienthong/gateway/app/node_ca.h"
#include "lienthong/gateway/node/routing.h"
#include "lienthong/gateway/app/serve.h"
#include "lienthong/gateway/evidence/summary.h"
#include "lienthong/gateway/store/clock.h"
#include "lienthong/schemas/sample.h"
#include "lienthong/signing/ca.h"
#include "lienthong/signing/signing_key.h"
#include "lienthong/signing/xml_signer.h"

namespace lienthong::gateway::cli {

namespace {

namespace fs = std::filesystem;
using schemas::Channel;
using schemas::StatusCode;

constexpr const char* kMarker = ".lienthong-demo";
constexpr const char* kSealPass = "demo-seal-passphrase";

struct Office {
  std::string organ;
  std::string name;
  std::string home;
};

// The offices that send today (two tiers since 1 July 2025: the province and the communes).
const std::vector<Office>& offices() {
  static const std::vector<Office> kOffices = {
      {"000.00.00.H41", "Ủy ban nhân dân tỉnh Nghệ An", "province"},
      {"000.00.50.H41", "Ủy ban nhân dân xã Quỳnh Lưu", "district-a"},
      {"000.00.51.H41", "Ủy ban nhân dân xã Diễn Châu", "district-b"},
  };
  return kOffices;
}

const Office& office(const std::string& organ) {
  for (const auto& o : offices()) {
    if (o.organ == organ) return o;
  }
  return offices().front();
}

// Who sends to whom, in turn: up, down to both communes and a paper-only commune, commune to
// commune through three nodes both ways, province to both communes.
struct Pattern {
  std::string from;
  std::vector<std::string> to;
  std::string notation;
};
const std::vector<Pattern>& patterns() {
  static const std::vector<Pattern> kPatterns = {
      {"000.00.50.H41", {"000.00.00.H41"}, "BC-UBND"},
      {"000.00.00.H41", {"000.00.50.H41", "000.00.51.H41", "000.00.52.H41"}, "QĐ-UBND"},
      {"000.00.51.H41", {"000.00.50.H41"}, "CV-UBND"},
      {"000.00.50.H41", {"000.00.51.H41"}, "GM-UBND"},
      {"000.00.00.H41", {"000.00.50.H41", "000.00.51.H41"}, "KH-UBND"},
  };
  return kPatterns;
}

// A loopback port for one of the demo's servers, free now. Chosen below the kernel's ephemeral
// range (which a port-0 bind would hand back, and which any outgoing connection may take before
// the server binds it), starting at a random place so that demos running side by side differ;
// `next` walks on from one call to the next.
int freePort(int& next) {
  constexpr int kLowest = 10000;
  int ephemeral_low = 32768;
  if (std::ifstream range("/proc/sys/net/ipv4/ip_local_port_range"); range) range >> ephemeral_low;
  const int span = std::max(1, ephemeral_low - kLowest);
  if (next < 0) {
    unsigned char r[2] = {0, 0};
    RAND_bytes(r, sizeof r);
    next = (r[0] << 8 | r[1]) % span;
  }
  for (int tries = 0; tries < span; ++tries) {
    const int port = kLowest + next++ % span;
    try {
      Poco::Net::ServerSocket s;
      s.bind(Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(port)), false, false);
      s.close();
      return port;
    } catch (const Poco::Exception&) {
      // taken: try the next one
    }
  }
  Poco::Net::ServerSocket s(Poco::Net::SocketAddress("127.0.0.1", 0));  // none below: the kernel's choice
  return s.address().port();
}

std::string randomHex(int bytes) {
  std::vector<unsigned char> b(static_cast<std::size_t>(bytes));
  RAND_bytes(b.data(), bytes);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : b) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

// What one sent document became.
struct Sent {
  schemas::Package package;
  std::vector<std::string> electronic;  // recipients reached electronically
  int paper = 0;
};

class Demo {
 public:
  Demo(fs::path dir, std::ostream& out, std::ostream& err) : dir_(std::move(dir)), out_(out), err_(err) {}
  ~Demo() { stop(); }

  void stop() {
    for (auto& [name, n] : nodes_) n->stop();
    if (ca_) ca_->audit->attach(nullptr);
    for (auto& [name, ev] : evidence_) ev.audit->attach(nullptr);
    nodes_.clear();
    if (publish_) publish_->stop();
  }

  Result<void> prepare() {
    // The earlier sample-files demo left only these behind: treat such a folder as the demo's.
    const auto madeByDemo = [&] {
      if (fs::exists(dir_ / kMarker)) return true;
      for (const auto& e : fs::directory_iterator(dir_)) {
        const auto name = e.path().filename().string();
        if (name != "directory.xml" && name != "packages") return false;
      }
      return true;
    };
    if (fs::exists(dir_) && !fs::is_empty(dir_) && !madeByDemo()) {
      return fail(ErrorCode::InvalidArgument,
                  "'" + dir_.string() + "' holds files the demo did not make; give an empty or new folder with --data DIR");
    }
    std::error_code ec;
    for (const char* sub : {"province", "district-a", "district-b", "pki", "seals", "trust"}) {
      fs::remove_all(dir_ / sub, ec);
    }
    fs::create_directories(dir_, ec);
    if (ec) return fail(ErrorCode::Io, "cannot create '" + dir_.string() + "': " + ec.message());
    std::ofstream(dir_ / kMarker) << "made by lienthong demo; the demo replaces this folder's contents\n";
    for (const char* sub : {"province", "district-a", "district-b", "seals", "trust"}) {
      fs::create_directories(dir_ / sub, ec);
    }
    int next = -1;
    ports_ = {{"province", freePort(next)}, {"district-a", freePort(next)}, {"district-b", freePort(next)}};
    ca_port_ = freePort(next);
    directory_ = std::make_shared<const schemas::Directory>(
        demoDirectory(ports_["province"], ports_["district-a"], ports_["district-b"]));
    if (auto r = writeFileAtomic(dir_ / "directory.xml", directory_->toXml()); !r) return r;
    out_ << "[1/6] Directory: a province with 2 districts and 4 communes until 30 June 2025, the province and "
            "3 merged communes since (one paper-only), written to "
         << (dir_ / "directory.xml").string() << "\n";
    return {};
  }

  Result<void> makePki() {
    auto pki = DevPki::open((dir_ / "pki").string());
    if (!pki) return std::unexpected(pki.error());
    pki_ = std::make_unique<DevPki>(std::move(*pki));
    // The province CA, kept in the province node's store.
    const std::string store_file = (dir_ / "province" / "store.sqlite").string();
    auto ca_store = CaStore::open(store_file);
    if (!ca_store) return std::unexpected(ca_store.error());
    signing::CaSettings s;
    s.province_name = "Ủy ban nhân dân tỉnh Nghệ An";
    s.organ_id = "000.00.00.H41";
    s.crl_url = "http://127.0.0.1:" + std::to_string(ca_port_) + "/crl";
    s.ocsp_url = "http://127.0.0.1:" + std::to_string(ca_port_) + "/ocsp";
    s.ca_key_type = signing::KeyType::P256;
    const std::string pass = randomHex(16);
    if (auto w = writeFileAtomic(dir_ / "ca-passphrase.txt", pass + "\n"); !w) return w;
    fs::permissions(dir_ / "ca-passphrase.txt", fs::perms::owner_read | fs::perms::owner_write);
    {
      auto init = CaService::init(std::shared_ptr<CaStore>(std::move(*ca_store)), s, pass,
                                  "demo", [](const std::string&, const std::string&, const std::string&) {
                                    return Result<void>{};
                                  });
      if (!init) return std::unexpected(init.error());
    }
    auto ca = openNodeCa(store_file, pass);
    if (!ca) return std::unexpected(ca.error());
    ca_ = std::make_unique<NodeCa>(std::move(*ca));
    auto keys = ca_->store->keys();
    if (!keys) return std::unexpected(keys.error());
    for (const char* name : {"root", "issuing"}) {
      if (auto w = writeFileAtomic(dir_ / "trust" / (std::string(name) + ".pem"), keys->at(name).first); !w) {
        return w;
      }
    }
    // Seals: one per office and one per node (the unit each node signs its statuses as).
    std::vector<std::pair<std::string, std::string>> seals;  // file name, OrganId
    for (const auto& o : offices()) seals.emplace_back(o.organ, o.organ);
    // A node acts as its top unit still open (Directory::topUnitOf): since July 2025 the commune
    // that took over the dissolved district's seat.
    for (const auto& [node, unit] : std::vector<std::pair<std::string, std::string>>{
             {"province", "000.00.00.H41"}, {"district-a", "000.00.50.H41"}, {"district-b", "000.00.51.H41"}}) {
      seals.emplace_back("node-" + node, unit);
    }
    for (const auto& [file, organ] : seals) {
      signing::SubjectFields subject;
      subject.common_name = file.starts_with("node-") ? "Lienthong " + file : office(organ).name;
      subject.organization = office(organ).name;
      subject.organ_id = organ;
      auto cred = ca_->service->generate("demo", signing::CertProfile::AgencySeal, subject,
                                         signing::KeyType::P256, kSealPass);
      if (!cred) return std::unexpected(cred.error());
      if (auto w = writeFileAtomic(dir_ / "seals" / (file + ".p12"), cred->pkcs12); !w) return w;
      if (auto w = writeFileAtomic(dir_ / "seals" / (file + ".pem"), cred->certificate.cert_pem); !w) return w;
    }
    for (const auto& o : offices()) {
      auto key = signing::SigningKey::fromPkcs12File(dir_ / "seals" / (o.organ + ".p12"), kSealPass);
      if (!key) return std::unexpected(key.error());
      signers_.emplace(o.organ, std::make_unique<signing::XmlSigner>(std::move(*key)));
    }
    // Bearer tokens: one DMS client per office, and one auditor, each with its own key.
    for (const auto& o : offices()) token_clients_.push_back(TokenClient{"dms-" + o.organ, Role::Office, o.organ, randomHex(24)});
    token_clients_.push_back(TokenClient{"kiem-toan-demo", Role::Auditor, "kiem-toan-demo", randomHex(24)});
    out_ << "[2/6] Keys and certificates: a province CA (root, issuing CA, OCSP responder) in "
         << (dir_ / "province" / "store.sqlite").string() << ", " << seals.size()
         << " seal certificates (" << (dir_ / "seals").string() << "/*.p12, passphrase '" << kSealPass
         << "'), node and office TLS certificates in " << (dir_ / "pki").string() << "\n";
    return {};
  }

  Result<void> startNodes() {
    auto publish = CaPublishServer::start(ca_->service, "127.0.0.1", ca_port_);
    if (!publish) return std::unexpected(publish.error());
    publish_ = std::move(*publish);
    for (const std::string name : {"province", "district-a", "district-b"}) {
      NodeConfig c;
      c.name = name;
      c.source = "demo";
      c.data_dir = (dir_ / name).string();
      c.directory_file = (dir_ / "directory.xml").string();
      auto tls = pki_->issue(name, Role::Node, "node-" + name);
      if (!tls) return std::unexpected(tls.error());
      c.http.cert_file = tls->cert;
      c.http.key_file = tls->key;
      c.http.ca_file = tls->ca;
      c.http.port = ports_[name];
      c.http.token_clients = token_clients_;
      c.http.certificate_rules = DevPki::certificateRules();  // roles by the dev PKI's policy OIDs
      c.trust = (dir_ / "trust").string();
      c.signing_key = (dir_ / "seals" / ("node-" + name + ".p12")).string();
      c.signing_passphrase = kSealPass;
      c.dispatch.backoff_ms = 100;
      c.dispatch.backoff_max_ms = 2000;
      c.dispatch.max_attempts = 20;
      c.audit_checkpoint_every = 100;
      c.summary_seconds = 5;  // summaries climb to the province within seconds
      NodeOptions o;
      o.directory = schemas::LiveDirectory::make(directory_);
      ServeExtras extras;
      if (name == "province") {
        o.extra_routes = caRoutes(ca_->service);
        o.extra_metrics = [svc = ca_->service] { return caMetrics(*svc); };
        extras.coverage = coverageOf(ca_->service);
      }
      // Every node keeps its register; the districts send theirs up as signed summaries.
      auto ev = prepareEvidence(c, o, std::move(extras));
      if (!ev) return fail(ev.error().code, "node " + name + ": " + ev.error().message);
      auto n = Node::start(c, std::move(o));
      if (!n) return fail(n.error().code, "node " + name + ": " + n.error().message);
      if (name == "province") ca_->audit->attach(&(*n)->store());
      ev->audit->attach(&(*n)->store());
      evidence_[name] = std::move(*ev);
      nodes_[name] = std::move(*n);
    }
    out_ << "[3/6] Nodes running on loopback with mutual TLS: province " << nodes_["province"]->url()
         << ", district-a " << nodes_["district-a"]->url() << ", district-b "
         << nodes_["district-b"]->url() << "; the CA answers OCSP at http://127.0.0.1:" << ca_port_
         << "/ocsp\n";
    return {};
  }

  // The registers the units' DMSs kept before their documents went through the gateway, imported
  // at each unit's home node as its DMS's own history (register import with a channel): every
  // quarter from 2022 to the last one before today, on the tree of its time (three tiers until
  // 2025-Q2, two since), the electronic share growing year by year. 2022-Q3 at the Quỳnh Lưu
  // district and its communes are the figures of the seed report: the district 3,087 outgoing,
  // 95.01% electronic and 4.28% on paper; its communes 1,801, 74.46% and 27.15%.
  Result<void> history() {
    struct Mix {
      int electronic = 0, both = 0, paper = 0, not_issued = 0;
    };
    const std::map<std::string, Mix> seed = {
        {"H41.31", {2933, 0, 132, 22}}, {"H41.31.01", {730, 16, 254, 0}}, {"H41.31.02", {582, 13, 206, 0}}};
    const std::string today = todayVn();
    std::map<std::string, std::vector<PaperRecord>> by_node;
    std::map<std::string, int> number;  // per unit, running
    std::size_t lines = 0;
    std::string last_quarter;
    for (int y = 2022;; ++y) {
      bool done = false;
      for (unsigned q = 1; q <= 4 && !done; ++q) {
        using namespace std::chrono;
        const sys_days start = year_month_day(year(y), month(3 * q - 2), day(1));
        const sys_days end = sys_days(year_month_day(year(y), month(3 * q - 2), day(1)) + months(3)) - days(1);
        const auto iso = [](sys_days d) {
          const year_month_day ymd(d);
          char buf[16];
          std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                        static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
          return std::string(buf);
        };
        if (iso(end) >= today) {
          done = true;
          break;
        }
        last_quarter = std::to_string(y) + "-Q" + std::to_string(q);
        const int span = static_cast<int>((end - start).count());
        for (const auto& u : directory_->units()) {
          if (u.valid_from > iso(end) || (!u.valid_to.empty() && u.valid_to < iso(start))) continue;
          Mix mix;
          if (auto it = seed.find(u.code); y == 2022 && q == 3 && it != seed.end()) {
            mix = it->second;
          } else {
            const int spread = static_cast<int>(std::hash<std::string>{}(u.code) % 7) - 3;
            const int n = (u.level == 1 ? 90 : u.level == 2 ? 120 : 45) + (spread + 3) * 3;
            const int share = std::min(99, (y == 2022 ? 78 : y == 2023 ? 86 : y == 2024 ? 92 : y == 2025 ? 95 : 97) + spread);
            const int electronic = u.channel == Channel::Paper ? 0 : n * share / 100;
            mix.both = electronic * 2 / 100;
            mix.electronic = electronic - mix.both;
            mix.not_issued = n / 100;
            mix.paper = n - electronic - mix.not_issued;
          }
          const schemas::Unit* parent = u.parent.empty() ? nullptr : directory_->find(u.parent);
          const std::string to = parent ? parent->legacy_code : (iso(start) < "2025-07-01" ? "000.00.31.H41" : "000.00.50.H41");
          const int n = mix.electronic + mix.both + mix.paper + mix.not_issued;
          for (int i = 0; i < n; ++i) {
            PaperRecord r;
            r.unit = u.legacy_code;
            r.number = std::to_string(++number[u.code]);
            r.notation = "UBND";
            r.date = iso(start + days(static_cast<long>(i) * span / std::max(1, n)));
            r.type = "Công văn";
            r.subject = "Văn bản trong phần mềm quản lý văn bản (trước khi qua cổng liên thông)";
            r.recipients = {to};
            r.channel = i < mix.electronic ? "electronic"
                        : i < mix.electronic + mix.both ? "both"
                        : i < mix.electronic + mix.both + mix.paper ? "paper"
                                                                    : "not_issued";
            if (r.channel != "not_issued") r.dispatch_date = r.date;
            by_node[u.home_node].push_back(std::move(r));
            ++lines;
          }
        }
      }
      if (done) break;
    }
    for (auto& [node, records] : by_node) {
      auto n = evidence_.at(node).book->recordPaperBatch(records, "demo:history");
      if (!n) return fail(n.error().code, "node " + node + ": history: " + n.error().message);
    }
    out_ << "[+] History: " << lines << " register lines the units' DMSs kept from 2022-Q1 to " << last_quarter
         << ", imported at their home nodes (three tiers until 2025-Q2, two since)\n";
    return {};
  }

  HttpsClient* client(const std::string& organ) {
    auto it = clients_.find(organ);
    if (it != clients_.end()) return it->second.get();
    const Office& o = office(organ);
    auto files = pki_->issue(organ, Role::Office);
    if (!files) return nullptr;
    auto c = HttpsClient::open(nodes_[o.home]->url(), *files, 15000);
    if (!c) return nullptr;
    return clients_.emplace(organ, std::move(*c)).first->second.get();
  }

  void send(int docs) {
    out_ << "[4/6] Sending " << docs << " signed documents across every level\n";
    for (int i = 0; i < docs; ++i) {
      const Pattern& p = patterns()[static_cast<std::size_t>(i) % patterns().size()];
      schemas::sample::PackageSpec spec;
      spec.from = p.from;
      spec.from_name = office(p.from).name;
      spec.to = p.to;
      spec.number = 100 + i;
      spec.notation = p.notation;
      spec.pdf_bytes = 1500;
      spec.zipped_appendix = false;
      auto pkg = schemas::sample::package(spec);
      auto bytes = signers_.at(p.from)->sign(pkg.serialize());
      HttpsClient* c = client(p.from);
      Result<ClientResponse> r = !bytes ? Result<ClientResponse>(std::unexpected(bytes.error()))
                                 : c == nullptr ? fail(ErrorCode::Network, "no client for " + p.from)
                                                : c->request("POST", "/api/v1/documents", *bytes);
      if (!r || r->status != 202) {
        ++refused_;
        err_ << "  refused: " << pkg.documentId() << ": "
             << (r ? std::to_string(r->status) + " " + r->body.substr(0, 300) : r.error().message) << "\n";
      } else {
        Sent s{pkg, {}, 0};
        for (const auto& to : p.to) {
          const schemas::Unit* u = directory_->find(to);
          if (u != nullptr && u->channel == Channel::Paper) {
            ++s.paper;
          } else {
            s.electronic.push_back(to);
          }
        }
        sent_.push_back(std::move(s));
      }
      if ((i + 1) % 10 == 0 || i + 1 == docs) {
        out_ << "  sent " << (i + 1) << "/" << docs << " (" << sent_.size() << " accepted)\n" << std::flush;
      }
    }
  }

  int expectedElectronic() const {
    int n = 0;
    for (const auto& s : sent_) n += static_cast<int>(s.electronic.size());
    return n;
  }

  // Electronic deliveries found in the recipients' mailboxes.
  int delivered() {
    int n = 0;
    std::map<std::string, std::set<std::string>> boxes;
    for (const auto& s : sent_) {
      for (const auto& to : s.electronic) {
        if (!boxes.contains(to)) {
          auto m = nodes_[office(to).home]->store().mailbox(to, {});
          auto& ids = boxes[to];
          if (m) {
            for (const auto& e : *m) ids.insert(e.sender + "|" + e.document_id);
          }
        }
        if (boxes[to].contains(s.package.header.from.organ_id + "|" + s.package.documentId())) ++n;
      }
    }
    return n;
  }

  void waitDeliveries() {
    const int want = expectedElectronic();
    out_ << "[5/6] Delivering: " << want << " electronic deliveries\n";
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    int last = -1;
    while (std::chrono::steady_clock::now() < end) {
      const int n = delivered();
      if (n != last) {
        out_ << "  delivered " << n << "/" << want << "\n" << std::flush;
        last = n;
      }
      if (n >= want) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }

  // Status codes recorded at each sender's home for its documents.
  std::map<int, int> statusesBack() {
    std::map<int, int> by_code;
    for (const auto& s : sent_) {
      const std::string& from = s.package.header.from.organ_id;
      auto h = nodes_[office(from).home]->store().statusHistory(from, s.package.documentId());
      if (!h) continue;
      for (const auto& r : *h) by_code[r.code] += 1;
    }
    return by_code;
  }

  void answer() {
    const int want = expectedElectronic();
    out_ << "[6/6] Recipients answer: 03 (accepted and registered) then 06 (completed)\n";
    int k = 0;
    for (const auto& s : sent_) {
      for (const auto& to : s.electronic) {
        for (StatusCode code : {StatusCode::Accepted, StatusCode::Completed}) {
          auto st = schemas::sample::status(s.package, to, code);
          st.timestamp = timestampVn(nowMs() + ++k);
          auto bytes = signers_.at(to)->sign(st.serialize(false));
          HttpsClient* c = client(to);
          auto r = !bytes || c == nullptr ? Result<ClientResponse>(fail(ErrorCode::Network, "cannot sign or connect"))
                                          : c->request("POST", "/api/v1/statuses", *bytes);
          if (!r || r->status != 202) {
            ++status_refused_;
            err_ << "  status refused: " << (r ? r->body.substr(0, 300) : r.error().message) << "\n";
          }
        }
      }
    }
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    int last = -1;
    while (std::chrono::steady_clock::now() < end) {
      auto back = statusesBack();
      const int n = back[1] + back[3] + back[6];
      if (n != last) {
        out_ << "  statuses back at the senders: " << n << "/" << 3 * want << "\n" << std::flush;
        last = n;
      }
      if (n >= 3 * want) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }

  // The vendor SDK's business types on earlier documents: an update of the first, a replacement
  // of the second, a revocation of the third (every package the demo sends also carries the SDK's
  // OtherInfo/Direction and edXMLManifest@version). Counts the earlier copies they acted on.
  void businessActs() {
    if (sent_.size() < 3) return;
    out_ << "[+] An update, a replacement and a revocation of earlier documents, as the vendor SDK writes them\n";
    const std::pair<schemas::BusinessDocType, DeliveryState> acts[] = {
        {schemas::BusinessDocType::Update, DeliveryState::Updated},
        {schemas::BusinessDocType::Replace, DeliveryState::Replaced},
        {schemas::BusinessDocType::Revoke, DeliveryState::Revoked}};
    int accepted = 0;
    for (std::size_t i = 0; i < 3; ++i) {
      const Sent& target = sent_[i];
      auto pkg = schemas::sample::actOn(target.package, acts[i].first, 900 + static_cast<int>(i));
      const std::string& from = pkg.header.from.organ_id;
      auto bytes = signers_.at(from)->sign(pkg.serialize());
      HttpsClient* c = client(from);
      auto r = !bytes || c == nullptr ? Result<ClientResponse>(fail(ErrorCode::Network, "cannot sign or connect"))
                                      : c->request("POST", "/api/v1/documents", *bytes);
      if (!r || r->status != 202) {
        err_ << "  refused: " << schemas::businessLabel(acts[i].first) << " of " << target.package.documentId()
             << ": " << (r ? r->body.substr(0, 300) : r.error().message) << "\n";
        continue;
      }
      ++accepted;
    }
    auto acted = [&] {
      int n = 0;
      for (std::size_t i = 0; i < 3; ++i) {
        const Sent& target = sent_[i];
        for (const auto& to : target.electronic) {
          auto m = nodes_[office(to).home]->store().mailbox(to, {acts[i].second});
          if (!m) continue;
          for (const auto& e : *m) {
            if (e.document_id == target.package.documentId()) ++n;
          }
        }
      }
      return n;
    };
    int want = 0;
    for (std::size_t i = 0; i < 3; ++i) want += static_cast<int>(sent_[i].electronic.size());
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (acted() < want && std::chrono::steady_clock::now() < end) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    out_ << "  business acts:   " << accepted << " of 3 accepted; earlier copies acted on: " << acted()
         << " of " << want << "\n";
  }

  void summary(int docs) {
    const int want = expectedElectronic();
    int paper = 0;
    for (const auto& s : sent_) paper += s.paper;
    std::int64_t failed = 0;
    for (auto& [name, n] : nodes_) {
      auto c = n->store().counts();
      if (c) failed += c->failed;
    }
    auto back = statusesBack();
    const int got = delivered();
    out_ << "\nSummary\n"
         << "  documents sent:  " << docs << " (" << sent_.size() << " accepted, " << refused_ << " refused)\n"
         << "  delivered:       " << got << " of " << want << " electronic deliveries\n"
         << "  paper:           " << paper << " recipients recorded as paper\n"
         << "  statuses back:   01 arrived " << back[1] << ", 03 accepted " << back[3]
         << ", 06 completed " << back[6] << "\n"
         << "  failures:        " << (refused_ + status_refused_ + failed + (want - got))
         << " (refused documents " << refused_ << ", refused statuses " << status_refused_
         << ", failed deliveries " << failed << ", undelivered " << (want - got) << ")\n";
    const std::string ca = (dir_ / "pki" / "ca.pem").string();
    const std::string cert = (dir_ / "pki" / "office-000.00.00.H41.pem").string();
    const std::string key = (dir_ / "pki" / "office-000.00.00.H41.key").string();
    std::string token, auditor;
    for (const auto& c : token_clients_) {
      if (c.organ == "000.00.00.H41") token = makeJwt(c, 24 * 3600);
      if (c.role == Role::Auditor) auditor = makeJwt(c, 24 * 3600);
    }
    auto admin = pki_->issue("admin", Role::Admin);
    out_ << "\nWhere to look next\n";
    for (const auto& [name, n] : nodes_) {
      out_ << "  " << name << std::string(12 - name.size(), ' ') << n->url() << "/healthz  "
           << n->url() << "/metrics  data " << (dir_ / name).string() << "\n";
    }
    std::string doc_path;
    for (const auto& s : sent_) {
      if (s.package.header.from.organ_id == "000.00.00.H41") {
        doc_path = "/api/v1/documents/" + urlEncode(s.package.documentId()) + "?sender=000.00.00.H41";
        break;
      }
    }
    const std::string province = nodes_.empty() ? std::string() : nodes_["province"]->url();
    out_ << "  a document's recipients and statuses (client certificate of the province office):\n"
         << "    curl --cacert " << ca << " --cert " << cert << " --key " << key << " '" << province
         << doc_path << "'\n"
         << "  the same with a bearer token (24 h) for the province office:\n"
         << "    curl --cacert " << ca << " -H 'Authorization: Bearer " << token << "' '" << province
         << doc_path << "'\n"
         << "  the CA (admin): curl --cacert " << ca << " --cert " << (admin ? admin->cert : "")
         << " --key " << (admin ? admin->key : "") << " " << province << "/api/v1/ca/certificates\n"
         << "  switch a unit's channel (say a commune to a webhook) without a restart: edit "
         << (dir_ / "directory.xml").string() << ", then ask each node it concerns, e.g.\n"
         << "    lienthong directory reload --node " << province << " --ca " << ca << " --cert "
         << (admin ? admin->cert : "") << " --key " << (admin ? admin->key : "") << "\n"
         << "  the audit log:  lienthong audit verify --data " << (dir_ / "province").string()
         << " --trust " << (dir_ / "trust").string() << " --seal "
         << (dir_ / "seals" / "node-province.pem").string() << "\n"
         << "  the auditors' dashboard (province; auditor token for 24 h, the browser will warn about"
         << " the demo CA):\n    " << province << "/dashboard#token=" << auditor << "\n"
         << "  the issuance report: curl --cacert " << ca << " -H 'Authorization: Bearer " << auditor
         << "' '" << province << "/api/v1/reports/issuance?scope=subtree:000.00.00.H41&period="
         << timestampVn(nowMs()).substr(0, 4) << "&format=text'\n";
  }

  // The districts' summaries reach the province; its report covers every unit of every node.
  void provinceView() {
    out_ << "\n[+] Evidence up the tree: each district sends the province signed summaries of its register\n";
    for (const std::string name : {"district-a", "district-b"}) {
      auto s = evidence_.at(name).summariser->run();
      if (!s) {
        err_ << "  " << name << ": summaries not sent: " << s.error().message << "\n";
        continue;
      }
      out_ << "  " << name << ": " << s->rows << " unit-days sent (" << s->unchanged << " unchanged) to node "
           << s->parent << "\n";
    }
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    const auto pending = [&] {
      std::int64_t n = 0;
      for (const std::string name : {"district-a", "district-b"}) {
        auto c = nodes_[name]->store().counts();
        n += c ? c->pending : 1;
      }
      return n;
    };
    while (pending() > 0 && std::chrono::steady_clock::now() < end) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    auto scope = Scope::parse("subtree:000.00.00.H41");
    auto period = Period::parse(timestampVn(nowMs()).substr(0, 4));
    auto r = evidence_.at("province").reporter->issuance(*scope, *period);
    if (!r) {
      err_ << "  the province report failed: " << r.error().message << "\n";
      return;
    }
    std::int64_t sum = 0;
    for (const auto& [name, ev] : evidence_) {
      for (const auto* u : ev.reporter->homeUnits(*directory_)) {
        Scope one;
        one.unit = u->code;
        auto own = ev.reporter->issuance(one, *period);
        if (own) sum += own->total.outgoing.total;
      }
    }
    out_ << "  the province's report on its whole subtree (" << r->units.size() << " units of 3 nodes): "
         << r->total.outgoing.total << " outgoing documents; the nodes' own registers hold " << sum
         << (sum == r->total.outgoing.total ? " (equal)" : " (NOT EQUAL)") << "\n";
    std::istringstream text(issuanceText(*r));
    for (std::string line; std::getline(text, line);) out_ << "    " << line << "\n";

    // The seed report's quarter, at the province, on the tree of its time.
    auto q3 = evidence_.at("province").reporter->issuance(*Scope::parse("subtree:H41.31"), *Period::parse("2022-Q3"));
    if (!q3) {
      err_ << "  the 2022-Q3 report failed: " << q3.error().message << "\n";
      return;
    }
    ChannelCounts communes;
    int commune_count = 0;
    for (const auto& u : q3->units) {
      if (u.level == 2) {
        out_ << "  2022-Q3 at the province: " << u.name << " (" << u.unit << ", from " << u.home_node
             << "'s summaries): " << u.outgoing.total << " outgoing, " << percent2(u.outgoing.electronic(), u.outgoing.total)
             << "% electronic, " << percent2(u.outgoing.paper(), u.outgoing.total) << "% on paper\n";
      } else if (u.level == 3) {
        communes.total += u.outgoing.total;
        communes.electronic_only += u.outgoing.electronic_only;
        communes.paper_only += u.outgoing.paper_only;
        communes.both += u.outgoing.both;
        communes.not_issued += u.outgoing.not_issued;
        ++commune_count;
      }
    }
    out_ << "  2022-Q3 at the province: its " << commune_count << " communes together: " << communes.total
         << " outgoing, " << percent2(communes.electronic(), communes.total) << "% electronic, "
         << percent2(communes.paper(), communes.total) << "% on paper\n";
    std::string below;
    for (const auto& code : r->below_target) below += (below.empty() ? "" : ", ") + code;
    out_ << "  below target in " << period->label << ": " << (below.empty() ? "none" : below) << "\n";
  }

  std::map<std::string, std::unique_ptr<Node>>& nodes() { return nodes_; }

 private:
  fs::path dir_;
  std::ostream& out_;
  std::ostream& err_;
  std::map<std::string, int> ports_;
  int ca_port_ = 0;
  std::shared_ptr<const schemas::Directory> directory_;
  std::unique_ptr<DevPki> pki_;
  std::unique_ptr<NodeCa> ca_;
  std::unique_ptr<CaPublishServer> publish_;
  std::map<std::string, std::unique_ptr<signing::XmlSigner>> signers_;
  std::vector<TokenClient> token_clients_;
  std::map<std::string, Evidence> evidence_;  // each node's register, reports and summaries
  std::map<std::string, std::unique_ptr<Node>> nodes_;
  std::map<std::string, std::unique_ptr<HttpsClient>> clients_;
  std::vector<Sent> sent_;
  int refused_ = 0;
  int status_refused_ = 0;
};

}  // namespace

schemas::Directory demoDirectory(int province_port, int district_a_port, int district_b_port) {
  using schemas::NodeInfo;
  using schemas::Unit;
  const auto url = [](int port) { return "https://127.0.0.1:" + std::to_string(port); };
  std::vector<NodeInfo> nodes = {{"province", "", url(province_port)},
                                 {"district-a", "province", url(district_a_port)},
                                 {"district-b", "province", url(district_b_port)}};
  // Three tiers until 30 June 2025; since 1 July the districts are dissolved and their communes
  // merged into new ones directly under the province (Resolution 202/2025/QH15 and the
  // commune-merger resolutions). The former districts' nodes serve the new communes of their area.
  std::vector<Unit> units = {
      {"H41", "000.00.00.H41", "Ủy ban nhân dân tỉnh Nghệ An", "", 1, "2019-01-01", "", "", "province", Channel::Mailbox, {}},
      {"H41.31", "000.00.31.H41", "Ủy ban nhân dân huyện Quỳnh Lưu", "H41", 2, "2019-01-01", "2025-06-30", "H41", "district-a", Channel::Mailbox, {}},
      {"H41.50", "000.00.50.H41", "Ủy ban nhân dân xã Quỳnh Lưu", "H41", 3, "2025-07-01", "", "", "district-a", Channel::Mailbox, {}},
      {"H41.32", "000.00.32.H41", "Ủy ban nhân dân huyện Diễn Châu", "H41", 2, "2019-01-01", "2025-06-30", "H41", "district-b", Channel::Mailbox, {}},
      {"H41.51", "000.00.51.H41", "Ủy ban nhân dân xã Diễn Châu", "H41", 3, "2025-07-01", "", "", "district-b", Channel::Mailbox, {}},
      {"H41.52", "000.00.52.H41", "Ủy ban nhân dân xã Diễn Đoài", "H41", 3, "2025-07-01", "", "", "district-b", Channel::Paper, {}},
      {"H41.31.01", "000.01.31.H41", "Ủy ban nhân dân xã Quỳnh Thắng", "H41.31", 3, "2019-01-01", "2025-06-30", "H41.50", "district-a", Channel::Mailbox, {}},
      {"H41.31.02", "000.02.31.H41", "Ủy ban nhân dân xã Quỳnh Tân", "H41.31", 3, "2019-01-01", "2025-06-30", "H41.50", "district-a", Channel::Mailbox, {}},
      {"H41.32.01", "000.01.32.H41", "Ủy ban nhân dân xã Diễn Lâm", "H41.32", 3, "2019-01-01", "2025-06-30", "H41.51", "district-b", Channel::Mailbox, {}},
      {"H41.32.02", "000.02.32.H41", "Ủy ban nhân dân xã Diễn Đoài (cũ)", "H41.32", 3, "2019-01-01", "2025-06-30", "H41.52", "district-b", Channel::Paper, {}},
  };
  return *schemas::Directory::fromUnits("demo-2", std::move(nodes), std::move(units));
}

int runDemo(const Args& a, std::ostream& out, std::ostream& err) {
  const bool once = a.has("once");
  int docs = 40;
  if (a.has("docs")) {
    const std::string d = a.get("docs");
    if (d.empty() || d.size() > 5 || d.find_first_not_of("0123456789") != std::string::npos ||
        std::stoi(d) < 1 || std::stoi(d) > 10000) {
      err << "lienthong demo: --docs takes a number from 1 to 10000\n";
      return 2;
    }
    docs = std::stoi(d);
  }
  // Signals go to this thread only: block them before any node thread starts.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  if (!once) pthread_sigmask(SIG_BLOCK, &set, nullptr);

  Demo demo(a.get("data", "lienthong-data"), out, err);
  for (auto step : {&Demo::prepare, &Demo::makePki, &Demo::startNodes, &Demo::history}) {
    if (auto r = (demo.*step)(); !r) {
      err << "lienthong demo: " << r.error().message << "\n";
      return 1;
    }
  }
  demo.send(docs);
  demo.waitDeliveries();
  demo.answer();
  demo.summary(docs);
  demo.businessActs();
  demo.provinceView();
  if (!once) {
    out << "\nThe nodes keep running; stop them with Ctrl-C.\n" << std::flush;
    int sig = 0;
    sigwait(&set, &sig);
    out << "stopping\n";
  }
  demo.stop();
  return 0;
}

}  // namespace lienthong::gateway::cli
