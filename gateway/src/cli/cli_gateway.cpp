// serve, send, inbox, status: running a node and the clerk's commands against one.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <csignal>
#include <cstddef>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli_support.h"
#include "lienthong/gateway/node/config.h"
#include "lienthong/gateway/app/dev_pki.h"
#include "lienthong/gateway/app/doctor.h"
#include "lienthong/gateway/app/retire.h"
#include "lienthong/gateway/ca/ca_api.h"
#include "lienthong/gateway/http/https_client.h"
#include "lienthong/gateway/app/node_ca.h"
#include "lienthong/gateway/node/node.h"
#include "lienthong/gateway/node/routing.h"
#include "lienthong/gateway/app/retire.h"
#include "lienthong/gateway/app/serve.h"
#include "lienthong/gateway/node/signature.h"
#include "lienthong/schemas/edxml.h"
#include "lienthong/schemas/live_directory.h"

#include <fstream>
#include <iterator>

namespace lienthong::gateway::cli {

const char* const kClientOptions =
    "  --node URL        the node, e.g. https://127.0.0.1:8443\n"
    "  --ca FILE         CA certificate the node's certificate chains to\n"
    "  --cert FILE --key FILE   client certificate (mutual TLS), or\n"
    "  --token JWT       bearer token of the office's DMS client (lienthong token)\n";

namespace {

bool isLoopbackHost(const std::string& host) {
  return host == "localhost" || host == "::1" || host == "[::1]" || host.starts_with("127.");
}

// Tells systemd (Type=notify) how the node stands, when it started the node with NOTIFY_SOCKET;
// a no-op otherwise. The protocol is one datagram to a unix socket (sd_notify(3)), which needs no
// library: a leading '@' names an abstract socket.
void notifySystemd(const std::string& state) {
  const char* path = std::getenv("NOTIFY_SOCKET");
  if (path == nullptr || path[0] == '\0') return;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::string p(path);
  if (p.size() >= sizeof(addr.sun_path)) return;
  std::copy(p.begin(), p.end(), addr.sun_path);
  if (p[0] == '@') addr.sun_path[0] = '\0';
  const int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  const auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + p.size());
  (void)!sendto(fd, state.data(), state.size(), MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&addr), len);
  close(fd);
}

// "directory reloaded: version A -> B, N units, M served through adapters, K change(s)" and a
// line per change: what SIGHUP prints and what `directory reload` prints after the node's name.
void printReload(std::ostream& out, const DirectoryReload& r) {
  out << "directory reloaded: version " << r.previous_version << " -> " << r.version << ", " << r.units
      << " units, " << r.adapters << " served through adapters, " << r.changes.size() << " change(s)\n";
  for (const auto& c : r.changes) out << "  " << c << "\n";
}

Result<std::unique_ptr<HttpsClient>> clientFrom(const Args& a) {
  if (!a.has("node")) return fail(ErrorCode::InvalidArgument, "--node URL is required");
  if (!a.has("ca")) return fail(ErrorCode::InvalidArgument, "--ca FILE is required (the node's CA)");
  auto c = HttpsClient::open(a.get("node"), TlsFiles{a.get("cert"), a.get("key"), a.get("ca")},
                             std::stoi(a.get("timeout-ms", "15000")));
  if (!c) return c;
  if (a.has("token")) (*c)->setBearer(a.get("token"));
  return c;
}

// Prints the answer; 0 for a 2xx status, 1 otherwise (the error JSON says why).
int report(const Result<ClientResponse>& r, std::ostream& out, std::ostream& err,
           const std::string& what) {
  if (!r) {
    err << "lienthong " << what << ": " << r.error().message
        << "\n  check that the node runs and that --node, --ca and the credential are right\n";
    return 1;
  }
  if (r->status >= 200 && r->status < 300) {
    out << r->body << (r->body.ends_with("\n") ? "" : "\n");
    return 0;
  }
  err << "lienthong " << what << ": HTTP " << r->status << ": " << r->body << "\n";
  return 1;
}

int cmdServe(const Args& a, std::ostream& out, std::ostream& err) {
  Result<NodeConfig> config = a.has("config") ? loadConfig(a.get("config"))
                                              : Result<NodeConfig>(defaultConfig(a.get("data", "lienthong-data")));
  if (!config) {
    err << "lienthong serve: " << config.error().message << "\n";
    return 1;
  }
  if (a.has("port")) {
    const std::string port = a.get("port");
    if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
        std::stoi(port) > 65535) {
      err << "lienthong serve: --port '" << port << "' is not a port number (0 to 65535; 0: any free port)\n"
          << "  --port nhận một số cổng từ 0 đến 65535\n";
      return 2;
    }
    config->http.port = std::stoi(port);
  }
  // Without tls.cert the node makes itself a development PKI whose CA key sits unencrypted in
  // DATA/pki: fine on a developer's loopback, never for a node other machines reach.
  if (config->http.cert_file.empty()) {
    if (!a.has("dev") && !isLoopbackHost(config->http.host)) {
      err << "lienthong serve: " << (config->source.empty() ? "no --config" : config->source)
          << ": tls.cert is not set and node.listen '"
          << config->http.host << "' is not a loopback address\n"
          << "  set tls.cert, tls.key and tls.ca to the node's certificate, its key and the CA that\n"
          << "  issued the clients' certificates, or pass --dev to run with a development PKI (tests only)\n"
          << "  chưa đặt tls.cert mà nút lắng nghe trên địa chỉ không phải loopback: hãy cấu hình chứng thư\n"
          << "  TLS của nút, hoặc dùng --dev cho môi trường thử nghiệm\n";
      return 1;
    }
    err << "WARNING: development mode: tls.cert is not set, so this node uses a development PKI in "
        << (std::filesystem::path(config->data_dir) / "pki").string()
        << " whose CA key is NOT encrypted; do not use it in production\n"
        << "CẢNH BÁO: chế độ phát triển: nút dùng PKI thử nghiệm, khóa CA không được mã hóa; "
           "không dùng cho vận hành thật\n";
  }
  if (!a.has("config") && !std::filesystem::exists(config->directory_file)) {
    // A first start without a configuration: a directory of this one node and one unit, so the
    // node runs at once; the operator edits it (or passes --unit/--unit-name) for real units.
    const std::string unit = a.get("unit", "000.00.00.H41");
    const std::string name = a.get("unit-name", "Đơn vị " + unit);
    auto dir = schemas::Directory::fromUnits(
        "local-1", {{"local", "", ""}},
        {{unit, "", name, "", 1, "", "", "", "local", schemas::Channel::Mailbox, {}}});
    if (!dir) {
      err << "lienthong serve: no directory at " << config->directory_file
          << " and --unit '" << unit << "' does not make one: " << dir.error().message
          << "\n  copy a directory.xml there (see `lienthong demo`) or pass --config FILE\n";
      return 1;
    }
    std::error_code ec;
    std::filesystem::create_directories(config->data_dir, ec);
    if (auto w = writeFileAtomic(config->directory_file, dir->toXml()); !w) {
      err << "lienthong serve: " << w.error().message << "\n";
      return 1;
    }
    out << "wrote a single-node directory to " << config->directory_file << " (node 'local', unit "
        << unit << " '" << name << "'); edit it for your units, then reload it (kill -HUP) or restart\n";
  }
  // Signals are taken by this thread only: block them before any worker starts.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  NodeOptions options;
  options.log = &err;
  auto directory = loadNodeDirectory(*config);
  if (!directory) {
    err << "lienthong serve: " << directory.error().message << "\n";
    return 1;
  }
  options.directory = schemas::LiveDirectory::make(*directory);
  if (config->http.cert_file.empty()) {  // development mode, allowed and announced above
    if (auto d = useDevPki(*config, **directory); !d) {
      err << "lienthong serve: development PKI: " << d.error().message << "\n";
      return 1;
    }
  }
  auto ca = nodeCaFor(*config);
  if (!ca) {
    err << "lienthong serve: " << ca.error().message << "\n";
    return 1;
  }
  if (*ca) {
    options.extra_routes = caRoutes((*ca)->service);
    options.extra_metrics = [svc = (*ca)->service] { return caMetrics(*svc); };
  }
  ServeExtras extras;
  if (*ca) extras.coverage = coverageOf((*ca)->service);
  auto evidence = prepareEvidence(*config, options, std::move(extras));
  if (!evidence) {
    err << "lienthong serve: " << evidence.error().message << "\n";
    return 1;
  }
  auto node = Node::start(*config, std::move(options));
  if (!node) {
    err << "lienthong serve: " << node.error().message << "\n";
    return 1;
  }
  if (*ca) (*ca)->audit->attach(&(*node)->store());
  evidence->audit->attach(&(*node)->store());
  out << "node '" << (*node)->name() << "' listening on " << (*node)->url() << "\n"
      << "  health:  " << (*node)->url() << "/healthz\n"
      << "  metrics: " << (*node)->url() << "/metrics\n"
      << "  reports: " << (*node)->url() << "/api/v1/reports/issuance (auditor), "
      << (*node)->url() << "/dashboard\n"
      << "  data:    " << config->data_dir << "\n"
      << (*ca ? "  CA:      " + (*node)->url() + "/api/v1/ca/ (admin), /crl, /crl/root and /ocsp (public)\n" : "")
      << (config->axis_clients.empty()
              ? std::string()
              : "  VXP:     " + (*node)->url() + "/axis (service.endpoint of the SDK; " +
                    std::to_string(config->axis_clients.size()) + " system(s) in axis.clients)" +
                    ((*node)->axisHttpPort() ? ", http://" + config->axis_http_host + ":" +
                                                   std::to_string((*node)->axisHttpPort()) + "/axis"
                                             : std::string()) +
                    "\n")
      << "  reload the directory (" << config->directory_file << ") with: kill -HUP " << getpid()
      << "\nstop with Ctrl-C\n" << std::flush;
  notifySystemd("READY=1\nMAINPID=" + std::to_string(getpid()) + "\nSTATUS=serving " + (*node)->url());
  int sig = 0;
  while (sigwait(&set, &sig) == 0 && sig == SIGHUP) {
    auto r = (*node)->reloadDirectory();
    if (!r) {
      out << "directory reload refused: " << r.error().message << "\n" << std::flush;
      continue;
    }
    printReload(out, *r);
    out << std::flush;
  }
  out << "stopping\n";
  notifySystemd("STOPPING=1");
  (*node)->stop();
  if (*ca) (*ca)->audit->attach(nullptr);
  evidence->audit->attach(nullptr);
  return 0;
}

int cmdSend(const Args& a, std::ostream& out, std::ostream& err) {
  if (a.positional.size() != 1) {
    err << "usage: lienthong send FILE --node URL --ca FILE (--cert F --key F | --token T)\n";
    return 2;
  }
  auto bytes = readFile(a.positional[0]);
  if (!bytes) {
    err << "lienthong send: " << bytes.error().message << "\n";
    return 1;
  }
  auto client = clientFrom(a);
  if (!client) {
    err << "lienthong send: " << client.error().message << "\n";
    return 2;
  }
  const std::string path = a.has("status") ? "/api/v1/statuses" : "/api/v1/documents";
  return report((*client)->request("POST", path, *bytes), out, err, "send");
}

int cmdInbox(const Args& a, std::ostream& out, std::ostream& err) {
  auto client = clientFrom(a);
  if (!client) {
    err << "lienthong inbox: " << client.error().message << "\n";
    return 2;
  }
  if (a.has("fetch")) {
    auto r = (*client)->request("GET", "/api/v1/mailbox/" + a.get("fetch"));
    if (r && r->status == 200 && a.has("out")) {
      if (auto w = writeFileAtomic(a.get("out"), r->body); !w) {
        err << "lienthong inbox: " << w.error().message << "\n";
        return 1;
      }
      out << "saved " << humanSize(r->body.size()) << " to " << a.get("out") << "\n";
      return 0;
    }
    return report(r, out, err, "inbox");
  }
  if (a.has("ack")) {
    return report((*client)->request("POST", "/api/v1/mailbox/" + a.get("ack") + "/ack"), out,
                  err, "inbox");
  }
  std::string path = "/api/v1/mailbox";
  if (a.has("organ")) path += "?organ=" + urlEncode(a.get("organ"));
  auto r = (*client)->request("GET", path);
  if (!r || r->status != 200) return report(r, out, err, "inbox");
  try {
    Poco::JSON::Parser p;
    auto arr = p.parse(r->body).extract<Poco::JSON::Array::Ptr>();
    out << arr->size() << " document(s)\n";
    for (std::size_t i = 0; i < arr->size(); ++i) {
      auto o = arr->getObject(static_cast<unsigned>(i));
      out << "  [" << o->getValue<std::int64_t>("id") << "] " << o->getValue<std::string>("state")
          << "  " << o->getValue<std::string>("document_id") << "  from "
          << o->getValue<std::string>("sender") << "\n      " << o->getValue<std::string>("subject")
          << "\n";
    }
    out << "fetch one with --fetch ID --out FILE, acknowledge it with --ack ID\n";
  } catch (const Poco::Exception& e) {
    err << "lienthong inbox: unexpected answer: " << e.displayText() << "\n";
    return 1;
  }
  return 0;
}

int cmdStatus(const Args& a, std::ostream& out, std::ostream& err) {
  if (a.positional.size() != 1) {
    err << "usage: lienthong status DOCID --node URL ... [--post CODE --as ORGANID --sender ORGANID]\n";
    return 2;
  }
  auto client = clientFrom(a);
  if (!client) {
    err << "lienthong status: " << client.error().message << "\n";
    return 2;
  }
  const std::string doc_id = a.positional[0];
  if (a.has("post")) {
    auto code = schemas::parseStatusCode(a.get("post"));
    if (!code || !a.has("as") || !a.has("sender")) {
      err << "lienthong status: --post CODE (01..06, 13, 15, 16) needs --as ORGANID (the reporting"
             " unit) and --sender ORGANID (the document's sender)\n";
      return 2;
    }
    schemas::StatusMessage s;
    s.from.organ_id = a.get("as");
    s.from.organ_name = a.get("as-name", "Đơn vị " + a.get("as"));
    s.response_for.organ_id = a.get("sender");
    s.response_for.document_id = doc_id;
    s.staff_info.staff = a.get("staff", "Văn thư");
    s.status = *code;
    s.description = a.get("description", std::string(schemas::statusLabel(*code)));
    s.timestamp = timestampVn(nowMs());
    if (auto c = s.check(); !c) {
      printError(err, "status", c.error());
      return 1;
    }
    std::string bytes = s.serialize(false);
    if (a.has("seal")) {
      auto signer = makeXmlSigner(a.get("seal"), a.get("seal-pass"), a.get("seal-cert"));
      if (!signer) {
        err << "lienthong status: " << signer.error().message << "\n";
        return 2;
      }
      auto signed_bytes = (*signer)->sign(s);
      if (!signed_bytes) {
        err << "lienthong status: signing: " << signed_bytes.error().message << "\n";
        return 1;
      }
      bytes = std::move(*signed_bytes);
    }
    return report((*client)->request("POST", "/api/v1/statuses", bytes), out, err, "status");
  }
  std::string path = "/api/v1/documents/" + urlEncode(doc_id);
  if (a.has("sender")) path += "?sender=" + urlEncode(a.get("sender"));
  return report((*client)->request("GET", path), out, err, "status");
}

}  // namespace

int runDirectoryReload(const Args& a, std::ostream& out, std::ostream& err) {
  auto client = clientFrom(a);
  if (!client) {
    err << "lienthong directory reload: " << client.error().message << "\n";
    return 2;
  }
  auto r = (*client)->request("POST", "/api/v1/directory/reload");
  if (!r || r->status != 200) return report(r, out, err, "directory reload");
  try {
    Poco::JSON::Parser p;
    auto o = p.parse(r->body).extract<Poco::JSON::Object::Ptr>();
    DirectoryReload done;
    done.previous_version = o->getValue<std::string>("previous_version");
    done.version = o->getValue<std::string>("version");
    done.units = o->getValue<std::size_t>("units");
    done.adapters = o->getValue<std::size_t>("adapters");
    auto changes = o->getArray("changes");
    for (std::size_t i = 0; changes && i < changes->size(); ++i) {
      done.changes.push_back(changes->getElement<std::string>(static_cast<unsigned>(i)));
    }
    out << "node '" << o->getValue<std::string>("node") << "': ";
    printReload(out, done);
  } catch (const Poco::Exception& e) {
    err << "lienthong directory reload: unexpected answer: " << e.displayText() << "\n";
    return 1;
  }
  return 0;
}

namespace {

// `doctor`: every check of app/doctor.h, a line each, with what to do; exit 1 when one failed.
int cmdDoctor(const Args& a, std::ostream& out, std::ostream& err) {
  Result<NodeConfig> config = a.has("config") ? loadConfig(a.get("config"))
                                              : Result<NodeConfig>(defaultConfig(a.get("data", "lienthong-data")));
  if (!config) {
    out << "FAIL configuration: " << config.error().message << "\n"
        << "     fix the file: the node does not start with it / sửa tệp cấu hình\n";
    return 1;
  }
  DoctorOptions o;
  if (a.has("warn-days")) {
    const std::string d = a.get("warn-days");
    if (d.empty() || d.size() > 4 || d.find_first_not_of("0123456789") != std::string::npos) {
      err << "lienthong doctor: --warn-days takes a number of days\n";
      return 2;
    }
    o.warn_days = std::stoi(d);
  }
  int failed = 0, warned = 0;
  for (const auto& c : runDoctor(*config, o)) {
    out << std::string(doctorLevelName(c.level)) << std::string(5 - doctorLevelName(c.level).size(), ' ') << c.name
        << ": " << c.found << "\n";
    if (!c.advice.empty()) out << "     -> " << c.advice << "\n";
    failed += c.level == DoctorLevel::Fail ? 1 : 0;
    warned += c.level == DoctorLevel::Warn ? 1 : 0;
  }
  out << (failed ? std::to_string(failed) + " failed, " : std::string("nothing failed, ")) << warned << " warning(s)\n";
  return failed ? 1 : 0;
}

// `node retire`: hands a stopped node's work to a running one (app/retire.h) and prints the proof.
int cmdNode(const Args& a, std::ostream& out, std::ostream& err) {
  const std::string sub = a.positional.empty() ? std::string() : a.positional[0];
  if (sub != "retire") {
    err << "usage: lienthong node retire --config FILE --node URL --ca FILE --cert F --key F (lienthong node --help)\n";
    return 2;
  }
  if (!a.has("config")) {
    err << "lienthong node retire: --config FILE is required (the retiring node's configuration)\n";
    return 2;
  }
  auto config = loadConfig(a.get("config"));
  if (!config) {
    err << "lienthong node retire: " << config.error().message << "\n";
    return 1;
  }
  auto client = clientFrom(a);
  if (!client) {
    err << "lienthong node retire: " << client.error().message << "\n";
    return 2;
  }
  RetireOptions options;
  const char* user = std::getenv("USER");
  options.actor = std::string("operator:") + (user && *user ? user : "root");
  if (a.has("batch")) {
    const std::string n = a.get("batch");
    if (n.empty() || n.size() > 6 || n.find_first_not_of("0123456789") != std::string::npos || std::stoi(n) == 0) {
      err << "lienthong node retire: --batch takes a number of messages (1 to 999999)\n";
      return 2;
    }
    options.batch_messages = std::stoi(n);
  }
  auto report = retireNode(*config, **client, options, out);
  if (!report) {
    err << "lienthong node retire: " << report.error().message << "\n";
    return 1;
  }
  printRetireReport(out, *report);
  return report->nothingLeftBehind() ? 0 : 1;
}

// Prints a bearer token for one DMS client of auth.clients, signed with that client's own key.
int cmdToken(const Args& a, std::ostream& out, std::ostream& err) {
  for (const char* need : {"client", "role", "organ", "key-file"}) {
    if (!a.has(need)) {
      err << "usage: lienthong token --client ID --role office|auditor --organ ID --key-file FILE [--ttl-s N]\n";
      return 2;
    }
  }
  const Role role = parseRole(a.get("role"));
  if (role != Role::Office && role != Role::Auditor) {
    err << "lienthong token: --role is office or auditor (admins and nodes use certificates)\n";
    return 2;
  }
  std::ifstream in(a.get("key-file"), std::ios::binary);
  std::string key((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!key.empty() && (key.back() == '\n' || key.back() == '\r')) key.pop_back();
  if (key.size() < 16) {
    err << "lienthong token: the key in '" << a.get("key-file") << "' is missing or shorter than 16 characters\n";
    return 1;
  }
  const std::string ttl = a.get("ttl-s", "3600");
  if (ttl.empty() || ttl.size() > 8 || ttl.find_first_not_of("0123456789") != std::string::npos) {
    err << "lienthong token: --ttl-s takes a number of seconds\n";
    return 2;
  }
  out << makeJwt(TokenClient{a.get("client"), role, a.get("organ"), key}, std::stoll(ttl)) << "\n";
  return 0;
}

}  // namespace

std::vector<Command> gatewayCommands() {
  return {
      {"serve", "run a gateway node",
       "usage: lienthong serve [--config FILE] [--data DIR] [--port N] [--dev] [--unit ORGANID --unit-name NAME]\n\n"
       "Runs one node. With --config, the file's settings (see gateway/src/node/include/lienthong/gateway/node/"
       "config.h for the keys) are checked first; a bad value stops the node naming the file and\n"
       "the setting. Without it, the node uses DIR (default ./lienthong-data): store.sqlite,\n"
       "directory.xml and a development PKI in DIR/pki. When DIR/directory.xml does not exist yet it\n"
       "is written for one node 'local' serving one unit (--unit, default 000.00.00.H41).\n"
       "Without tls.cert a development PKI is made (CA key unencrypted, said at start-up); that is\n"
       "refused unless node.listen is a loopback address or --dev is given. Under systemd\n"
       "(Type=notify) the node reports READY=1 once it listens.\n",
       {"dev"}, cmdServe},
      {"send", "submit an edXML package (or status with --status) to a node",
       std::string("usage: lienthong send FILE --node URL --ca FILE (--cert F --key F | --token T) [--status]\n\n") +
           kClientOptions,
       {"status"}, cmdSend},
      {"inbox", "list, fetch and acknowledge documents delivered to an office",
       std::string("usage: lienthong inbox --node URL --ca FILE ... [--organ ID] [--fetch ID --out FILE] [--ack ID]\n\n") +
           kClientOptions,
       {}, cmdInbox},
      {"status", "show a document's delivery and status history, or post a status",
       std::string("usage: lienthong status DOCID --node URL --ca FILE ... [--sender ID]\n"
                   "       lienthong status DOCID --post CODE --as ORGANID --sender ORGANID [--description TEXT]\n"
                   "                [--seal KEY.p12|KEY.pem [--seal-cert CERT.pem] [--seal-pass PASS]] ...\n\n"
                   "A posted status is signed with the reporting unit's seal when --seal is given (nodes\n"
                   "refuse unsigned statuses unless policy.allow_unsigned).\n\n") +
           kClientOptions,
       {}, cmdStatus},
      {"node", "retire a node: hand its deliveries, mailboxes and register to another node",
       std::string("usage: lienthong node retire --config FILE --node URL --ca FILE --cert F --key F [--batch N]\n\n"
                   "Run on the retiring node's machine with that node stopped. --config is its configuration;\n"
                   "--node the running node taking the work on (its parent, or another), reached with an\n"
                   "admin certificate there. That node must already home the retiring node's units: edit\n"
                   "its directory (home_node) and run lienthong directory reload there first.\n"
                   "Every message (with its pending deliveries and the mailboxes' contents), every register\n"
                   "line and every status record is sent in batches (--batch messages, default 200) that\n"
                   "can be sent again; both audit logs record each one. Then both sides are compared\n"
                   "(messages and a digest over them, register lines per unit and channel). Only when\n"
                   "they are equal are this node's pending and unfetched deliveries marked handed_over\n"
                   "and the retirement audited here: exit 0 and \"nothing was left behind\"; exit 1\n"
                   "otherwise, with nothing marked, so the command can simply be run again.\n\n") +
           kClientOptions,
       {}, cmdNode},
      {"doctor", "check a node: configuration, certificates, store, audit log, peers, clocks",
       "usage: lienthong doctor [--config FILE | --data DIR] [--warn-days N]\n\n"
       "One line per check, ok, WARN or FAIL, with what to do for the last two: the configuration and\n"
       "the directory; the expiry of tls.cert, tls.ca, trust.dir and the seal (WARN within --warn-days,\n"
       "default 30); the store (quick_check) and its audit log against the head kept outside it, and\n"
       "how old the last checkpoint is; every parent and child node (reached over mutual TLS with this\n"
       "node's certificate, /healthz) and the clock skew against each (WARN beyond 60 s). Runs beside\n"
       "a running node. Exit 1 when a check failed.\n",
       {}, cmdDoctor},
      {"token", "print a bearer token for a DMS client of auth.clients",
       "usage: lienthong token --client ID --role office|auditor --organ ID --key-file FILE [--ttl-s N]\n\n"
       "Signs an HS256 JWT with the client's own key (the key_file of its auth.clients entry); the\n"
       "node accepts it only with exactly that client's role and organ. Default lifetime 3600 s.\n",
       {}, cmdToken},
  };
}

}  // namespace lienthong::gateway::cli
