#include "lienthong/gateway/ca/ca_api.h"

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

std::vector<std::string> stringList(const Poco::JSON::Object::Ptr& o, const std::string& key) {
  std::vector<std::string> out;
  if (auto a = o->getArray(key)) {
    for (std::size_t i = 0; i < a->size(); ++i) out.push_back(a->getElement<std::string>(static_cast<unsigned>(i)));
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
                      auto profile = parseProfile((*body)->optValue<std::string>("profile", ""));
                      if (!profile) return HttpResponse::error(profile.error());
                      IssueOptions o;
                      o.dns_names = stringList(*body, "dns");
                      o.ip_addresses = stringList(*body, "ip");
                      auto c = service->issue(actorOf(r), *profile, (*body)->optValue<std::string>("csr", ""), o);
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
                      auto reason = parseReason((*body)->optValue<std::string>("reason", "unspecified"));
                      if (!reason) return HttpResponse::error(reason.error());
                      auto row = service->revoke(actorOf(r), (*body)->optValue<std::string>("serial", ""), *reason);
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
                      const std::string unit = (*body)->optValue<std::string>("unit", "");
                      auto ok = service->setNeeded(actorOf(r), unit, (*body)->optValue<Poco::Int64>("needed", -1));
                      if (!ok) return HttpResponse::error(ok.error());
                      return HttpResponse::json(200, "{\"unit\":\"" + unit + "\"}");
                    }});
  return routes;
}

}  // namespace lienthong::gateway
