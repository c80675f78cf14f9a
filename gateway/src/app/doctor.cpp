#include "lienthong/gateway/app/doctor.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "lienthong/gateway/app/serve.h"
#include "lienthong/gateway/http/https_client.h"
#include "lienthong/gateway/store/clock.h"
#include "lienthong/gateway/store/store.h"
#include "lienthong/signing/certificate_validator.h"
#include "lienthong/signing/signing_key.h"

namespace lienthong::gateway {

namespace {

namespace fs = std::filesystem;

std::string readAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// One check per certificate: expired (FAIL), ending within warn_days (WARN), else ok.
void certificateChecks(std::vector<DoctorCheck>& out, const std::string& what,
                       const std::vector<signing::CertificateInfo>& certs, const DoctorOptions& o,
                       const std::string& renew) {
  const std::int64_t now = nowMs() / 1000;
  for (const auto& c : certs) {
    DoctorCheck k;
    k.name = "certificate " + what;
    const std::int64_t end = c.not_after_unix;
    const std::int64_t days = end > 0 ? (end - now) / 86400 : 0;
    k.found = c.subject + ", valid until " + c.not_after + (end > 0 ? " (" + std::to_string(days) + " days)" : "");
    if (end > 0 && end <= now) {
      k.level = DoctorLevel::Fail;
      k.found = c.subject + " EXPIRED on " + c.not_after;
      k.advice = renew + " / chứng thư đã hết hạn: cấp lại";
    } else if (end > 0 && days < o.warn_days) {
      k.level = DoctorLevel::Warn;
      k.advice = renew + " within " + std::to_string(days) + " days / chứng thư sắp hết hạn";
    }
    out.push_back(std::move(k));
  }
}

void fileCertificates(std::vector<DoctorCheck>& out, const std::string& key, const std::string& file,
                      const DoctorOptions& o, const std::string& renew) {
  if (file.empty()) return;
  std::error_code ec;
  for (const auto& f : signing::certificateFilesIn(file)) {
    if (!fs::exists(f, ec)) {
      out.push_back({"certificate " + key, DoctorLevel::Fail, "'" + f.string() + "' does not exist",
                     "set " + key + " to the right file / sửa đường dẫn " + key});
      continue;
    }
    auto certs = signing::describeCertificates(readAll(f));
    if (!certs) {
      out.push_back({"certificate " + key, DoctorLevel::Fail, "'" + f.string() + "': " + certs.error().message,
                     "put a PEM certificate there / tệp không phải chứng thư PEM"});
      continue;
    }
    certificateChecks(out, key + " (" + f.filename().string() + ")", *certs, o, renew);
  }
}

void storeChecks(std::vector<DoctorCheck>& out, const NodeConfig& c) {
  const std::string file = (fs::path(c.data_dir) / "store.sqlite").string();
  std::error_code ec;
  if (!fs::exists(file, ec)) {
    out.push_back({"store", DoctorLevel::Warn, "no store at '" + file + "' yet",
                   "a first start creates it; if the node ran before, node.data points elsewhere / chưa có kho dữ liệu"});
    return;
  }
  auto check = checkStore(file, false);
  if (!check) {
    out.push_back({"store", DoctorLevel::Fail, check.error().message, "check node.data / kiểm tra node.data"});
    return;
  }
  if (!check->ok()) {
    out.push_back({"store", DoctorLevel::Fail, damageError(file, *check).message,
                   "run lienthong store check, then restore the last backup (lienthong restore) / khôi phục bản sao lưu"});
    return;
  }
  out.push_back({"store", DoctorLevel::Ok, file + ": quick_check ok, schema " + std::to_string(check->schema_version), ""});
  auto store = openSqliteStore(file, StoreOpenOptions{false, false});
  auto head = readAuditHead(auditHeadPath(file));
  if (!store || !head) {
    out.push_back({"audit log", DoctorLevel::Fail, !store ? store.error().message : head.error().message,
                   "run lienthong audit verify / kiểm tra nhật ký"});
    return;
  }
  auto last = (*store)->lastAudit();
  const std::int64_t have = last && *last ? (**last).id : 0;
  if (*head && (*head)->last_record > have) {
    out.push_back({"audit log", DoctorLevel::Fail,
                   "the store ends at record " + std::to_string(have) + " but its head says record " +
                       std::to_string((*head)->last_record) + " was committed: its last records are lost",
                   "restore the last backup (lienthong restore), keep the head file as evidence / kho mất bản ghi cuối"});
    return;
  }
  auto cps = (*store)->checkpoints();
  std::string found = std::to_string(have) + " records, head file in step";
  DoctorLevel level = DoctorLevel::Ok;
  std::string advice;
  if (cps && !cps->empty()) {
    const std::int64_t age_min = (nowMs() - cps->back().at_ms) / 60000;
    found += ", last checkpoint " + std::to_string(age_min) + " min ago at record " +
             std::to_string(cps->back().last_record);
    if (age_min > 2 * c.audit_checkpoint_minutes && cps->back().last_record < have) {
      level = DoctorLevel::Warn;
      advice = "checkpoints are late: is the node's seal (signing.key) usable? / điểm kiểm tra bị chậm";
    }
  } else if (have > 0) {
    found += ", no checkpoint yet";
  }
  out.push_back({"audit log", level, found, advice});
}

void peerChecks(std::vector<DoctorCheck>& out, const NodeConfig& c, const schemas::Directory& dir,
                const DoctorOptions& o) {
  const schemas::NodeInfo* me = dir.node(c.name);
  std::vector<const schemas::NodeInfo*> peers;
  for (const auto& n : dir.nodes()) {
    if (n.name == c.name) continue;
    if ((me && n.name == me->parent) || n.parent == c.name) peers.push_back(&n);
  }
  if (peers.empty()) {
    out.push_back({"peers", DoctorLevel::Ok, "node '" + c.name + "' has no parent or child node in the directory", ""});
    return;
  }
  if (c.http.cert_file.empty()) {
    out.push_back({"peers", DoctorLevel::Warn, "tls.cert is not set (development PKI): peers not checked",
                   "set tls.cert, tls.key and tls.ca / đặt chứng thư TLS của nút"});
    return;
  }
  for (const auto* p : peers) {
    DoctorCheck k;
    k.name = "peer " + p->name;
    if (p->url.empty()) {
      k.level = DoctorLevel::Fail;
      k.found = "no URL in the directory";
      k.advice = "add url= to node '" + p->name + "' in the directory / thêm địa chỉ của nút";
      out.push_back(std::move(k));
      continue;
    }
    auto client = HttpsClient::open(p->url, TlsFiles{c.http.cert_file, c.http.key_file, c.http.ca_file},
                                    o.peer_timeout_ms);
    const std::int64_t sent = nowMs();
    auto r = client ? (*client)->request("GET", "/healthz") : Result<ClientResponse>(std::unexpected(client.error()));
    const std::int64_t back = nowMs();
    if (!r) {
      k.level = DoctorLevel::Fail;
      k.found = p->url + ": " + r.error().message;
      k.advice = "check that it runs, the URL, the firewall, and that both nodes' certificates chain to the other's "
               "tls.ca / kiểm tra kết nối tới nút";
    } else if (r->status != 200) {
      k.level = DoctorLevel::Fail;
      k.found = p->url + "/healthz answered HTTP " + std::to_string(r->status) + ": " + r->body.substr(0, 200);
      k.advice = "run lienthong doctor on that node / kiểm tra nút đó";
    } else {
      k.found = p->url + " answers in " + std::to_string(back - sent) + " ms";
      try {
        Poco::JSON::Parser parser;
        auto h = parser.parse(r->body).extract<Poco::JSON::Object::Ptr>();
        if (h->has("time_ms")) {
          const std::int64_t skew = h->getValue<std::int64_t>("time_ms") - (sent + back) / 2;
          k.found += ", clock " + std::string(skew >= 0 ? "+" : "") + std::to_string(skew) + " ms against this one";
          if (std::llabs(skew) > o.max_skew_ms) {
            k.level = DoctorLevel::Warn;
            k.advice = "synchronise the clocks (systemd-timesyncd or chrony): statuses and reports use them / "
                     "đồng bộ đồng hồ";
          }
        }
      } catch (const Poco::Exception&) {
        // an older node: no clock in its /healthz
      }
    }
    out.push_back(std::move(k));
  }
}

}  // namespace

std::string_view doctorLevelName(DoctorLevel l) {
  return l == DoctorLevel::Ok ? "ok" : l == DoctorLevel::Warn ? "WARN" : "FAIL";
}

std::vector<DoctorCheck> runDoctor(const NodeConfig& c, const DoctorOptions& o) {
  std::vector<DoctorCheck> out;
  out.push_back({"configuration", DoctorLevel::Ok,
                 c.source + ": node '" + (c.name.empty() ? std::string("(the directory's top node)") : c.name) +
                     "', data " + c.data_dir,
                 ""});
  std::error_code ec;
  const bool first_start = c.source == NodeConfig{}.source && !fs::exists(c.directory_file, ec);
  auto dir = loadNodeDirectory(c);
  if (!dir && first_start) {
    out.push_back({"directory", DoctorLevel::Warn, "no directory at '" + c.directory_file + "' yet",
                   "lienthong serve writes a single-node one at its first start; edit it for the real units / "
                   "chưa có danh bạ"});
  } else if (!dir) {
    out.push_back({"directory", DoctorLevel::Fail, dir.error().message,
                   "fix the directory file (lienthong validate shows where) / sửa tệp danh bạ"});
  } else {
    std::size_t homed = 0;
    for (const auto& u : (*dir)->units()) homed += u.home_node == c.name ? 1 : 0;
    DoctorCheck k{"directory", DoctorLevel::Ok,
                  "version " + (*dir)->version() + ", " + std::to_string((*dir)->units().size()) + " units, " +
                      std::to_string(homed) + " homed here",
                  ""};
    if (!c.name.empty() && (*dir)->node(c.name) == nullptr && !(*dir)->nodes().empty()) {
      k.level = DoctorLevel::Fail;
      k.found += "; node '" + c.name + "' is not in it";
      k.advice = "set node.name to one of the directory's nodes / node.name không có trong danh bạ";
    }
    out.push_back(std::move(k));
  }
  fileCertificates(out, "tls.cert", c.http.cert_file, o, "ask the CA for a new TLS certificate");
  fileCertificates(out, "tls.ca", c.http.ca_file, o, "install the CA's new certificate");
  if (!c.trust.empty()) fileCertificates(out, "trust.dir", c.trust, o, "update the trust anchors (lienthong trust add)");
  if (!c.signing_key.empty()) {
    auto key = signing::SigningKey::load(c.signing_key, c.signing_passphrase, c.signing_cert);
    if (!key) {
      out.push_back({"certificate signing.key", DoctorLevel::Fail, key.error().message,
                     "check signing.key, signing.cert and signing.passphrase / kiểm tra khóa ký của nút"});
    } else {
      certificateChecks(out, "signing.key (seal)", {signing::certificateInfo(key->certificate())}, o,
                        "ask the CA for a new seal certificate");
    }
  }
  storeChecks(out, c);
  if (dir) peerChecks(out, c, **dir, o);
  return out;
}

}  // namespace lienthong::gateway
