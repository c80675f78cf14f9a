#include "lienthong/gateway/ca/ca_api.h"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <sstream>

#include "lienthong/signing/certificate_validator.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <sstream>

#include "lienthong/gateway/ca/ca_publish.h"

namespace lienthong::gateway {

using namespace lienthong::signing;

namespace {

std::string actorOf(const HttpRequest& r) {
  return std::string(roleName(r.credential.role)) + ":" + r.credential.subject;
}

Result<Poco::JSON::Object::Ptr> jsonBody(const HttpRequest& r) {
  try {
    Poco::JSON::Parser parser;
    auto v = parser.parse(r.body);
    auto o = v.extract<Poco::JSON::Object::Ptr>();
    if (!o) return fail(ErrorCode::InvalidArgument, "the body must be a JSON object");
    return o;
  } catch (const Poco::Exception& e) {
    return fail(ErrorCode::InvalidArgument, "the body is not JSON: " + e.displayText());
  }
}

// The body's members by type: absent (or null) gives the default; a member of another type is
// refused with its name, never read as something else.
Result<std::string> stringMember(const Poco::JSON::Object::Ptr& o, const std::string& key,
                                 const std::string& absent) {
  if (!o->has(key) || o->isNull(key)) return absent;
  const Poco::Dynamic::Var v = o->get(key);
  if (!v.isString()) {
    return fail(ErrorCode::InvalidArgument,
                "'" + key + "' must be a JSON string ('" + key + "' phải là chuỗi)");
  }
  return v.extract<std::string>();
}

Result<Poco::Int64> integerMember(const Poco::JSON::Object::Ptr& o, const std::string& key,
                                  Poco::Int64 absent) {
  if (!o->has(key) || o->isNull(key)) return absent;
  const Poco::Dynamic::Var v = o->get(key);
  if (!v.isInteger()) {
    return fail(ErrorCode::InvalidArgument,
                "'" + key + "' must be a JSON integer ('" + key + "' phải là số nguyên)");
  }
  return v.convert<Poco::Int64>();
}

Result<std::vector<std::string>> stringList(const Poco::JSON::Object::Ptr& o, const std::string& key) {
  std::vector<std::string> out;
  if (!o->has(key) || o->isNull(key)) return out;
  auto a = o->getArray(key);
  if (!a) {
    return fail(ErrorCode::InvalidArgument,
                "'" + key + "' must be an array of strings ('" + key + "' phải là mảng chuỗi)");
  }
  for (unsigned i = 0; i < a->size(); ++i) {
    const Poco::Dynamic::Var v = a->get(i);
    if (!v.isString()) {
      return fail(ErrorCode::InvalidArgument, "'" + key + "'[" + std::to_string(i) +
                                                  "] must be a string ('" + key + "'[" +
                                                  std::to_string(i) + "] phải là chuỗi)");
    }
    out.push_back(v.extract<std::string>());
  }
  return out;
}

HttpResponse fromPublish(const CaPublishResponse& p) {
  HttpResponse r;
  r.status = p.status;
  r.content_type = p.content_type;
  r.body = p.body;
  return r;
}

}  // namespace

std::vector<HttpRoute> caRoutes(std::shared_ptr<CaService> service) {
  std::vector<HttpRoute> routes;
  const std::vector<Role> admin = {Role::Admin};
  routes.push_back({"GET", "/crl", false, {}, 0, [service](const HttpRequest& r) {
                      return fromPublish(answerCaRequest(*service, r.method, r.path, r.body));
                    }});
  routes.push_back({"GET", "/crl/root", false, {}, 0, [service](const HttpRequest& r) {
                      return fromPublish(answerCaRequest(*service, r.method, r.path, r.body));
                    }});
  routes.push_back({"POST", "/ocsp", false, {}, 64 * 1024, [service](const HttpRequest& r) {
                      return fromPublish(answerCaRequest(*service, r.method, r.path, r.body));
                    }});
  routes.push_back({"GET", "/ocsp/", true, {}, 0, [service](const HttpRequest& r) {
                      return fromPublish(answerCaRequest(*service, r.method, "/ocsp/" + r.path_rest, ""));
                    }});
  routes.push_back({"POST", "/api/v1/ca/certificates", false, admin, 256 * 1024, [service](const HttpRequest& r) {
                      auto body = jsonBody(r);
                      if (!body) return HttpResponse::error(body.error());
                      auto profile_name = stringMember(*body, "profile", "");
                      if (!profile_name) return HttpResponse::error(profile_name.error());
                      auto profile = parseProfile(*profile_name);
                      if (!profile) return HttpResponse::error(profile.error());
                      auto csr = stringMember(*body, "csr", "");
                      if (!csr) return HttpResponse::error(csr.error());
                      auto dns = stringList(*body, "dns");
                      if (!dns) return HttpResponse::error(dns.error());
                      auto ip = stringList(*body, "ip");
                      if (!ip) return HttpResponse::error(ip.error());
                      IssueOptions o;
                      o.dns_names = std::move(*dns);
                      o.ip_addresses = std::move(*ip);
                      auto c = service->issue(actorOf(r), *profile, *csr, o);
                      if (!c) return HttpResponse::error(c.error());
                      return HttpResponse::json(201, issuedJson(*c));
                    }});
  routes.push_back({"GET", "/api/v1/ca/certificates", false, admin, 0, [service](const HttpRequest& r) {
                      std::optional<int> expiring;
                      if (auto it = r.query.find("expiring"); it != r.query.end()) {
                        std::string d = it->second;
                        if (!d.empty() && d.back() == 'd') d.pop_back();
                        if (d.empty() || d.size() > 5 || d.find_first_not_of("0123456789") != std::string::npos) {
                          return HttpResponse::error(
                              Error{ErrorCode::InvalidArgument, "expiring must be a number of days", 0, {}});
                        }
                        expiring = std::stoi(d);
                      }
                      auto rows = service->inventory(expiring);
                      if (!rows) return HttpResponse::error(rows.error());
                      auto f = r.query.find("format");
                      if (f != r.query.end() && f->second == "csv") {
                        HttpResponse resp{200, "text/csv; charset=utf-8", inventoryCsv(*rows), {}};
                        return resp;
                      }
                      return HttpResponse::json(200, inventoryJson(*rows));
                    }});
  routes.push_back({"POST", "/api/v1/ca/revoke", false, admin, 4096, [service](const HttpRequest& r) {
                      auto body = jsonBody(r);
                      if (!body) return HttpResponse::error(body.error());
                      auto reason_name = stringMember(*body, "reason", "unspecified");
                      if (!reason_name) return HttpResponse::error(reason_name.error());
                      auto reason = parseReason(*reason_name);
                      if (!reason) return HttpResponse::error(reason.error());
                      auto serial = stringMember(*body, "serial", "");
                      if (!serial) return HttpResponse::error(serial.error());
                      auto row = service->revoke(actorOf(r), *serial, *reason);
                      if (!row) return HttpResponse::error(row.error());
                      Poco::JSON::Object o;
                      o.set("serial", row->serial);
                      o.set("status", row->status);
                      o.set("reason", row->reason);
                      std::ostringstream out;
                      o.stringify(out);
                      return HttpResponse::json(200, out.str());
                    }});
  routes.push_back({"POST", "/api/v1/ca/crl", false, admin, 0, [service](const HttpRequest& r) {
                      auto crl = service->publishCrl(actorOf(r));
                      if (!crl) return HttpResponse::error(crl.error());
                      HttpResponse resp{200, "application/pkix-crl", crl->der, {}};
                      return resp;
                    }});
  routes.push_back({"GET", "/api/v1/ca/coverage", false, admin, 0, [service](const HttpRequest& r) {
                      auto u = r.query.find("unit");
                      auto rows = service->coverage(u == r.query.end() ? std::string() : u->second);
                      if (!rows) return HttpResponse::error(rows.error());
                      auto f = r.query.find("format");
                      if (f != r.query.end() && f->second == "csv") {
                        HttpResponse resp{200, "text/csv; charset=utf-8", coverageCsv(*rows), {}};
                        return resp;
                      }
                      return HttpResponse::json(200, coverageJson(*rows));
                    }});
  routes.push_back({"POST", "/api/v1/ca/needed", false, admin, 4096, [service](const HttpRequest& r) {
                      auto body = jsonBody(r);
                      if (!body) return HttpResponse::error(body.error());
                      auto unit = stringMember(*body, "unit", "");
                      if (!unit) return HttpResponse::error(unit.error());
                      auto needed = integerMember(*body, "needed", -1);
                      if (!needed) return HttpResponse::error(needed.error());
                      auto ok = service->setNeeded(actorOf(r), *unit, *needed);
                      if (!ok) return HttpResponse::error(ok.error());
                      Poco::JSON::Object o;
                      o.set("unit", *unit);
                      std::ostringstream out;
                      o.stringify(out);
                      return HttpResponse::json(200, out.str());
                    }});
  return routes;
}

std::string caMetrics(CaService& service) {
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  std::ostringstream o;
  o << "# HELP lienthong_ca_certificate_expiry_seconds Seconds until the CA's own certificates end.\n"
    << "# TYPE lienthong_ca_certificate_expiry_seconds gauge\n";
  const auto& ca = service.authority();
  for (const auto& [kind, pem] : {std::pair<const char*, const std::string*>{"root", &ca.rootCertPem()},
                                  {"issuing", &ca.issuingCertPem()},
                                  {"ocsp", &ca.responderCertPem()}}) {
    auto certs = signing::describeCertificates(*pem);
    if (!certs || certs->empty()) continue;
    o << "lienthong_ca_certificate_expiry_seconds{kind=\"" << kind << "\"} " << (certs->front().not_after_unix - now)
      << "\n";
  }
  o << "# HELP lienthong_ca_crl_next_update_seconds Seconds until the nextUpdate of the CRL and ARL served now.\n"
    << "# TYPE lienthong_ca_crl_next_update_seconds gauge\n";
  if (auto crl = service.currentCrl()) o << "lienthong_ca_crl_next_update_seconds{list=\"crl\"} " << (crl->next_update - now) << "\n";
  if (auto arl = service.currentArl()) o << "lienthong_ca_crl_next_update_seconds{list=\"arl\"} " << (arl->next_update - now) << "\n";
  return o.str();
}

}  // namespace lienthong::gateway
