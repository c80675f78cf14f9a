#include "lienthong/gateway/node/config.h"

#include <Poco/Net/IPAddress.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <sstream>

namespace lienthong::gateway {

namespace {

namespace fs = std::filesystem;

std::string trim(std::string s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return {};
  const auto e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

}  // namespace

NodeConfig defaultConfig(const std::string& data_dir) {
  NodeConfig c;
  c.data_dir = data_dir;
  c.directory_file = (fs::path(data_dir) / "directory.xml").string();
  c.http.port = 8443;
  return c;
}

Result<NodeConfig> loadConfig(const std::string& path) {
  std::ifstream in(path);
  if (!in) return fail(ErrorCode::Config, path + ": cannot read the configuration file");
  NodeConfig c = defaultConfig("lienthong-data");
  c.source = path;
  c.directory_file.clear();
  const auto bad = [&](const std::string& key, const std::string& why) {
    return fail(ErrorCode::Config, path + ": " + key + ": " + why);
  };
  const auto integer = [&](const std::string& key, const std::string& v, long long lo,
                           long long hi, auto& out) -> Result<void> {
    long long n = 0;
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc() || p != v.data() + v.size()) return bad(key, "'" + v + "' is not a whole number");
    if (n < lo || n > hi) {
      return bad(key, std::to_string(n) + " is outside " + std::to_string(lo) + ".." + std::to_string(hi));
    }
    out = static_cast<std::remove_reference_t<decltype(out)>>(n);
    return {};
  };
  // "7d", "36h", "90m", "600s", "1500ms": a span of time, at least a second.
  const auto duration = [&](const std::string& key, const std::string& v, std::int64_t& out) -> Result<void> {
    long long n = 0;
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    const std::string unit(p, v.data() + v.size());
    const long long scale = unit == "d" ? 86400000ll : unit == "h" ? 3600000ll : unit == "m" ? 60000ll
                            : unit == "s" ? 1000ll : unit == "ms" ? 1ll : 0ll;
    if (ec != std::errc() || scale == 0 || n <= 0 || n > 3650ll * 86400000ll / scale) {
      return bad(key, "'" + v + "' is not a span like 7d, 36h, 90m, 600s or 1500ms");
    }
    out = n * scale;
    if (out < 1000) return bad(key, "'" + v + "' is shorter than a second");
    return {};
  };
  const auto file = [&](const std::string& key, const std::string& v, std::string& out) -> Result<void> {
    fs::path p(v);
    if (p.is_relative()) p = fs::path(path).parent_path() / p;
    if (!fs::exists(p)) return bad(key, "'" + p.string() + "' does not exist");
    out = p.string();
    return {};
  };
  const auto boolean = [&](const std::string& key, const std::string& v, bool& out) -> Result<void> {
    if (v != "true" && v != "false") return bad(key, "'" + v + "' is not true or false");
    out = v == "true";
    return {};
  };
  std::map<std::string, std::vector<std::string>> axis_sources;  // axis.sources, applied at the end
  std::string line;
  int lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    line = trim(line);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    const auto eq = line.find('=');
    if (eq == std::string::npos) {
      return fail(ErrorCode::Config, path + ":" + std::to_string(lineno) + ": expected 'key = value'");
    }
    const std::string key = trim(line.substr(0, eq));
    const std::string v = trim(line.substr(eq + 1));
    Result<void> r;
    if (key == "node.name") {
      if (v.empty()) return bad(key, "must not be empty");
      c.name = v;
    } else if (key == "node.listen") {
      const auto colon = v.rfind(':');
      if (colon == std::string::npos) return bad(key, "'" + v + "' is not host:port");
      c.http.host = v.substr(0, colon);
      r = integer(key, v.substr(colon + 1), 0, 65535, c.http.port);
    } else if (key == "node.data") {
      fs::path p(v);
      if (p.is_relative()) p = fs::path(path).parent_path() / p;
      c.data_dir = p.string();
    } else if (key == "directory.file") {
      r = file(key, v, c.directory_file);
    } else if (key == "web.dir") {
      // Not required to exist: without it the node runs and /dashboard answers 503.
      fs::path p(v);
      if (p.is_relative()) p = fs::path(path).parent_path() / p;
      c.web_dir = p.string();
    } else if (key == "tls.cert") {
      r = file(key, v, c.http.cert_file);
    } else if (key == "tls.key") {
      r = file(key, v, c.http.key_file);
    } else if (key == "tls.ca") {
      r = file(key, v, c.http.ca_file);
    } else if (key == "auth.jwt_secret") {
      return bad(key, "one secret shared by every DMS client is no longer accepted (its holder could "
                      "mint any role); give each client its own key in auth.clients");
    } else if (key == "auth.clients") {
      std::stringstream list(v);
      std::string item;
      while (r && std::getline(list, item, ',')) {
        item = trim(item);
        if (item.empty()) continue;
        const auto a = item.find(':');
        const auto b = a == std::string::npos ? a : item.find(':', a + 1);
        const auto d = b == std::string::npos ? b : item.find(':', b + 1);
        if (d == std::string::npos || a == 0 || b == a + 1 || d == b + 1 || d + 1 == item.size()) {
          return bad(key, "'" + item + "' is not client_id:role:organ:secret_file");
        }
        TokenClient client{item.substr(0, a), parseRole(item.substr(a + 1, b - a - 1)),
                           item.substr(b + 1, d - b - 1), ""};
        if (client.role != Role::Office && client.role != Role::Auditor) {
          return bad(key, "client '" + client.id + "': a bearer token carries the office or auditor "
                          "role only (admins and nodes use certificates named in auth.certificates)");
        }
        for (const auto& other : c.http.token_clients) {
          if (other.id == client.id) return bad(key, "client '" + client.id + "' is listed twice");
        }
        std::string secret_file;
        r = file(key, item.substr(d + 1), secret_file);
        if (!r) break;
        std::ifstream sf(secret_file, std::ios::binary);
        std::string secret((std::istreambuf_iterator<char>(sf)), std::istreambuf_iterator<char>());
        while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
        if (secret.size() < 16) {
          return bad(key, "client '" + client.id + "': the key in '" + secret_file +
                              "' is shorter than 16 characters");
        }
        client.secret = std::move(secret);
        c.http.token_clients.push_back(std::move(client));
      }
    } else if (key == "auth.certificates") {
      std::string map_file;
      r = file(key, v, map_file);
      if (r) {
        auto rules = loadCertificateRules(map_file);
        if (!rules) return bad(key, rules.error().message);
        c.http.certificate_rules = std::move(*rules);
      }
    } else if (key == "tls.crl") {
      r = file(key, v, c.http.crl_file);
    } else if (key == "limits.max_body") {
      r = integer(key, v, 1024, 1ll << 31, c.http.max_body);
    } else if (key == "limits.max_header") {
      r = integer(key, v, 1024, 1 << 20, c.http.max_header);
    } else if (key == "limits.max_connections") {
      r = integer(key, v, 1, 10000, c.http.max_connections);
    } else if (key == "limits.read_timeout_ms") {
      r = integer(key, v, 100, 600000, c.http.read_timeout_ms);
    } else if (key == "limits.read_gap_ms") {
      r = integer(key, v, 100, 600000, c.http.read_gap_ms);
    } else if (key == "limits.handshake_timeout_ms") {
      r = integer(key, v, 100, 600000, c.http.handshake_timeout_ms);
    } else if (key == "limits.keepalive_ms") {
      r = integer(key, v, 100, 600000, c.http.keepalive_ms);
    } else if (key == "limits.write_timeout_ms") {
      r = integer(key, v, 100, 600000, c.http.write_timeout_ms);
    } else if (key == "limits.max_per_address") {
      r = integer(key, v, 1, 10000, c.http.max_per_address);
    } else if (key == "policy.allow_unsigned") {
      r = boolean(key, v, c.signature.allow_unsigned);
    } else if (key == "policy.accept_unknown_revocation") {
      r = boolean(key, v, c.signature.accept_unknown_revocation);
    } else if (key == "policy.signer_must_match") {
      r = boolean(key, v, c.signature.signer_must_match);
    } else if (key == "policy.allow_sha1") {
      r = boolean(key, v, c.signature.allow_sha1);
    } else if (key == "policy.revocation") {
      if (v == "auto") c.signature.revocation = RevocationMode::Auto;
      else if (v == "require") c.signature.revocation = RevocationMode::Require;
      else if (v == "off") c.signature.revocation = RevocationMode::Off;
      else return bad(key, "'" + v + "' is not auto, require or off");
    } else if (key == "trust.dir") {
      r = file(key, v, c.trust);
    } else if (key == "signing.key") {
      if (v.starts_with("pkcs11:")) c.signing_key = v;
      else r = file(key, v, c.signing_key);
    } else if (key == "signing.cert") {
      r = file(key, v, c.signing_cert);
    } else if (key == "signing.passphrase") {
      c.signing_passphrase = v;
    } else if (key == "ca.passphrase_file") {
      r = file(key, v, c.ca_passphrase_file);
    } else if (key == "audit.checkpoint_every") {
      r = integer(key, v, 1, 10000000, c.audit_checkpoint_every);
    } else if (key == "audit.checkpoint_minutes") {
      r = integer(key, v, 1, 100000, c.audit_checkpoint_minutes);
    } else if (key == "evidence.summary_seconds") {
      r = integer(key, v, 0, 86400, c.summary_seconds);
    } else if (key == "evidence.summary_window_days") {
      r = integer(key, v, 0, 36500, c.summary_window_days);
    } else if (key == "dispatch.workers") {
      r = integer(key, v, 1, 64, c.dispatch.workers);
    } else if (key == "dispatch.max_attempts") {
      r = integer(key, v, 0, 1000000, c.dispatch.max_attempts);
    } else if (key == "dispatch.retry_horizon") {
      r = duration(key, v, c.dispatch.retry_horizon_ms);
    } else if (key == "dispatch.per_peer") {
      r = integer(key, v, 0, 64, c.dispatch.per_peer);
    } else if (key == "dispatch.probe_max_ms") {
      r = integer(key, v, 100, 86400000, c.dispatch.probe_max_ms);
    } else if (key == "dispatch.breaker_failures") {
      r = integer(key, v, 1, 1000, c.dispatch.breaker_failures);
    } else if (key == "dispatch.backoff_ms") {
      r = integer(key, v, 1, 3600000, c.dispatch.backoff_ms);
    } else if (key == "dispatch.backoff_max_ms") {
      r = integer(key, v, 1, 86400000, c.dispatch.backoff_max_ms);
    } else if (key == "axis.clients") {
      std::stringstream list(v);
      std::string item;
      while (std::getline(list, item, ',')) {
        item = trim(item);
        if (item.empty()) continue;
        const auto a = item.find(':');
        const auto b = a == std::string::npos ? a : item.find(':', a + 1);
        if (b == std::string::npos || a == 0 || b == a + 1 || b + 1 == item.size()) {
          return bad(key, "'" + item + "' is not SYSTEMID:ORGANID[|ORGANID...]:SECRET_FILE");
        }
        AxisClientConfig client{item.substr(0, a), {}, "", {}};
        std::stringstream units(item.substr(a + 1, b - a - 1));
        std::string unit;
        while (std::getline(units, unit, '|')) {
          unit = trim(unit);
          if (unit.empty()) return bad(key, "'" + item + "' has an empty ORGANID");
          client.units.push_back(unit);
        }
        for (const auto& other : c.axis_clients) {
          if (other.client_id == client.client_id) {
            return bad(key, "system '" + client.client_id + "' is listed twice");
          }
        }
        r = file(key, item.substr(b + 1), client.secret_file);
        if (!r) break;
        c.axis_clients.push_back(std::move(client));
      }
    } else if (key == "axis.sources") {
      std::stringstream list(v);
      std::string item;
      while (std::getline(list, item, ',')) {
        item = trim(item);
        if (item.empty()) continue;
        const auto a = item.find(':');
        if (a == std::string::npos || a == 0 || a + 1 == item.size()) {
          return bad(key, "'" + item + "' is not SYSTEMID:ADDR[|ADDR...]");
        }
        std::vector<std::string> addrs;
        std::stringstream parts(item.substr(a + 1));
        std::string addr;
        while (std::getline(parts, addr, '|')) {
          addr = trim(addr);
          if (addr.empty()) continue;
          Poco::Net::IPAddress ip;
          const auto slash = addr.find('/');
          unsigned bits = 0;
          const std::string tail = slash == std::string::npos ? "" : addr.substr(slash + 1);
          const bool bits_ok = slash == std::string::npos ||
                               (!tail.empty() && std::from_chars(tail.data(), tail.data() + tail.size(), bits).ptr ==
                                                     tail.data() + tail.size());
          if (!Poco::Net::IPAddress::tryParse(addr.substr(0, slash), ip) || !bits_ok ||
              bits > ip.length() * 8) {
            return bad(key, "'" + addr + "' is not an IP address or a CIDR range (10.2.0.0/16)");
          }
          addrs.push_back(addr);
        }
        axis_sources[item.substr(0, a)] = std::move(addrs);
      }
    } else if (key == "axis.http_listen") {
      const auto colon = v.rfind(':');
      if (colon == std::string::npos) return bad(key, "'" + v + "' is not host:port");
      c.axis_http_host = v.substr(0, colon);
      if (c.axis_http_host != "127.0.0.1" && c.axis_http_host != "::1" &&
          c.axis_http_host != "[::1]" && c.axis_http_host != "localhost") {
        return bad(key, "plain HTTP is served on a loopback address only (127.0.0.1 or ::1), not '" +
                            c.axis_http_host + "'; use the HTTPS endpoint otherwise");
      }
      if (c.axis_http_host == "localhost") c.axis_http_host = "127.0.0.1";
      if (c.axis_http_host == "[::1]") c.axis_http_host = "::1";
      r = integer(key, v.substr(colon + 1), 0, 65535, c.axis_http_port);
    } else if (key == "adapters.poll_ms") {
      r = integer(key, v, 0, 3600000, c.adapter_poll_ms);
    } else if (key == "dispatch.timeout_ms") {
      r = integer(key, v, 100, 600000, c.peer_timeout_ms);
    } else {
      return bad(key, "unknown setting");
    }
    if (!r) return std::unexpected(r.error());
  }
  for (auto& [system, addrs] : axis_sources) {
    auto it = std::find_if(c.axis_clients.begin(), c.axis_clients.end(),
                           [&](const AxisClientConfig& a) { return a.client_id == system; });
    if (it == c.axis_clients.end()) {
      return bad("axis.sources", "system '" + system + "' is not in axis.clients");
    }
    it->sources = std::move(addrs);
  }
  if (!c.axis_http_host.empty() && c.axis_clients.empty()) {
    return bad("axis.http_listen", "needs axis.clients (no system could call it)");
  }
  if (c.directory_file.empty()) c.directory_file = (fs::path(c.data_dir) / "directory.xml").string();
  if (c.http.cert_file.empty() != c.http.key_file.empty()) {
    return bad(c.http.cert_file.empty() ? "tls.cert" : "tls.key",
               "tls.cert and tls.key go together");
  }
  if (!c.http.cert_file.empty() && c.http.ca_file.empty()) return bad("tls.ca", "required with tls.cert");
  if (!c.http.cert_file.empty() && c.trust.empty()) {
    return bad("trust.dir", "required with tls.cert (signatures are checked against their own trust "
                            "list, never against tls.ca)");
  }
  if (!c.http.cert_file.empty() && c.signing_key.empty()) {
    return bad("signing.key", "required with tls.cert (the node signs the statuses it issues)");
  }
  if (!c.signing_key.empty() && !c.signing_key.starts_with("pkcs11:") &&
      !c.signing_key.ends_with(".p12") && !c.signing_key.ends_with(".pfx") && c.signing_cert.empty()) {
    return bad("signing.cert", "required with a PEM signing.key");
  }
  if (c.dispatch.backoff_max_ms < c.dispatch.backoff_ms) {
    return bad("dispatch.backoff_max_ms", "must not be below dispatch.backoff_ms");
  }
  return c;
}

}  // namespace lienthong::gateway
