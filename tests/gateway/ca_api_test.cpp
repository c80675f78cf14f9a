// The CA's admin routes: who may call them, and what they answer.
#include <catch2/catch.hpp>
#include <filesystem>
#include <random>

#include <Poco/JSON/Object.h>
#include <openssl/x509.h>

#include <sstream>

#include "lienthong/gateway/ca/ca_api.h"

namespace fs = std::filesystem;
using namespace lienthong;
using namespace lienthong::gateway;
using namespace lienthong::signing;

namespace {

struct ApiFixture {
  fs::path dir;
  std::shared_ptr<CaService> service;
  std::vector<HttpRoute> routes;
  ApiFixture() {
    std::random_device rd;
    dir = fs::temp_directory_path() / ("lienthong-ca-api-" + std::to_string(rd()) + std::to_string(rd()));
    fs::create_directories(dir);
    auto store = CaStore::open((dir / "store.sqlite").string());
    REQUIRE(store);
    CaSettings s;
    s.province_name = "UBND tinh Lao Cai";
    s.organ_id = "000.00.00.H41";
    s.crl_url = "http://127.0.0.1:8080/crl";
    s.ocsp_url = "http://127.0.0.1:8080/ocsp";
    s.ca_key_type = KeyType::P256;
    auto svc = CaService::init(std::shared_ptr<CaStore>(std::move(*store)), s, "a long ca passphrase", "test", {});
    if (!svc) FAIL(svc.error().describe());
    service = std::move(*svc);
    routes = caRoutes(service);
  }
  ~ApiFixture() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  const HttpRoute& route(const std::string& method, const std::string& path) {
    for (const auto& r : routes) {
      if (r.method == method && r.path == path) return r;
    }
    FAIL("no route " + method + " " + path);
    return routes.front();
  }
  HttpResponse call(const std::string& method, const std::string& path, const std::string& body) {
    HttpRequest req;
    req.method = method;
    req.path = path;
    req.body = body;
    req.credential = Credential{Role::Admin, "lan", "token"};
    return route(method, path).handler(req);
  }
};

}  // namespace

TEST_CASE("ca api: admin routes admit the admin role only; /crl, /crl/root and /ocsp are public") {
  ApiFixture f;
  for (const auto& r : f.routes) {
    if (r.path.rfind("/api/v1/ca/", 0) == 0) {
      CHECK(r.roles == std::vector<Role>{Role::Admin});
    } else {
      CHECK(r.roles.empty());
    }
  }
  CHECK(f.routes.size() == 10);
  const HttpRoute& arl_route = f.route("GET", "/crl/root");
  CHECK_FALSE(arl_route.prefix);
  HttpRequest anonymous;
  anonymous.method = "GET";
  anonymous.path = "/crl/root";
  auto arl = arl_route.handler(anonymous);
  CHECK(arl.status == 200);
  CHECK(arl.content_type == "application/pkix-crl");
  const auto* p = reinterpret_cast<const unsigned char*>(arl.body.data());
  X509_CRL* crl = d2i_X509_CRL(nullptr, &p, static_cast<long>(arl.body.size()));
  REQUIRE(crl);
  CHECK(X509_CRL_get_REVOKED(crl) == nullptr);
  X509_CRL_free(crl);
}

TEST_CASE("ca api: issue from JSON, refuse an unknown profile, revoke, coverage as CSV") {
  ApiFixture f;
  SubjectFields s;
  s.common_name = "Nguyen Van An";
  s.title = "Chuyen vien";
  s.organ_id = "000.00.31.H41";
  s.personal_id = "CCCD:1";
  auto req = makeRequest(s, KeyType::P256);
  REQUIRE(req);
  Poco::JSON::Object body;
  body.set("profile", "signer");
  body.set("csr", req->csr_pem);
  std::ostringstream json;
  body.stringify(json);
  auto issued = f.call("POST", "/api/v1/ca/certificates", json.str());
  REQUIRE(issued.status == 201);
  auto inv = f.service->inventory();
  REQUIRE(inv);
  REQUIRE(inv->size() == 1);
  const std::string serial = (*inv)[0].cert.serial;
  CHECK((*inv)[0].cert.issued_by == "admin:lan");
  CHECK(issued.body.find("\"serial\":\"" + serial + "\"") != std::string::npos);

  auto bad = f.call("POST", "/api/v1/ca/certificates", R"({"profile":"official","csr":""})");
  CHECK(bad.status == 400);
  CHECK(bad.body.find("unknown profile 'official'") != std::string::npos);

  auto rev = f.call("POST", "/api/v1/ca/revoke", R"({"serial":")" + serial + R"(","reason":"keyCompromise"})");
  CHECK(rev.status == 200);
  CHECK(rev.body == R"({"reason":"keyCompromise","serial":")" + serial + R"(","status":"revoked"})");
  CHECK(f.call("POST", "/api/v1/ca/needed", R"({"unit":"000.00.31.H41","needed":47})").status == 200);
  HttpRequest cov;
  cov.method = "GET";
  cov.path = "/api/v1/ca/coverage";
  cov.query = {{"format", "csv"}};
  cov.credential = Credential{Role::Admin, "lan", "token"};
  auto csv = f.route("GET", "/api/v1/ca/coverage").handler(cov);
  CHECK(csv.status == 200);
  CHECK(csv.body == "unit,needed,signers_valid,missing,seals_valid,expiring\n000.00.31.H41,47,0,47,0,0\n");
}

TEST_CASE("ca api: a JSON member of the wrong type is refused with 400 and its name, and nothing is issued or recorded") {
  ApiFixture f;
  struct Case {
    std::string path;
    std::string body;
    std::string says;
  };
  const std::vector<Case> cases = {
      {"/api/v1/ca/certificates", R"({"profile":7,"csr":""})", "'profile' must be a JSON string"},
      {"/api/v1/ca/certificates", R"({"profile":"signer","csr":{"pem":"x"}})", "'csr' must be a JSON string"},
      {"/api/v1/ca/certificates", R"({"profile":"tls","csr":"x","dns":"a.example"})", "'dns' must be an array of strings"},
      {"/api/v1/ca/certificates", R"({"profile":"tls","csr":"x","dns":["a.example",5]})", "'dns'[1] must be a string"},
      {"/api/v1/ca/certificates", R"({"profile":"tls","csr":"x","ip":[["127.0.0.1"]]})", "'ip'[0] must be a string"},
      {"/api/v1/ca/revoke", R"({"serial":12345,"reason":"keyCompromise"})", "'serial' must be a JSON string"},
      {"/api/v1/ca/revoke", R"({"serial":"01","reason":["keyCompromise"]})", "'reason' must be a JSON string"},
      {"/api/v1/ca/needed", R"({"unit":["000.00.31.H41"],"needed":3})", "'unit' must be a JSON string"},
      {"/api/v1/ca/needed", R"({"unit":"000.00.31.H41","needed":"3"})", "'needed' must be a JSON integer"},
      {"/api/v1/ca/needed", R"({"unit":"000.00.31.H41","needed":2.5})", "'needed' must be a JSON integer"},
  };
  for (const auto& c : cases) {
    INFO(c.path << " " << c.body);
    HttpResponse r = f.call("POST", c.path, c.body);
    CHECK(r.status == 400);
    CHECK(r.body.find("\"error\":\"invalid_argument\"") != std::string::npos);
    CHECK(r.body.find(c.says) != std::string::npos);
  }
  auto inv = f.service->inventory();
  REQUIRE(inv);
  CHECK(inv->empty());
  auto cov = f.service->coverage("");
  REQUIRE(cov);
  CHECK(cov->empty());
}
