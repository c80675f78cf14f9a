// The CA's routes on the gateway's HTTPS server (mounted through NodeOptions::extra_routes).
// Admin routes need Role::Admin (bearer JWT or client certificate, checked by the server before
// the handler runs); the actor in the audit trail is "<role>:<subject>".
//   GET  /crl, GET /crl/root, POST /ocsp, GET /ocsp/<base64>   anyone (signed answers)
//   POST /api/v1/ca/certificates  {"profile","csr"[,"dns":[..],"ip":[..]]}  201 issued certificate
//   GET  /api/v1/ca/certificates[?expiring=30][&format=csv]                 inventory
//   POST /api/v1/ca/revoke        {"serial","reason"}                       revoked record
//   POST /api/v1/ca/crl                                                     publishes a CRL (DER)
//   GET  /api/v1/ca/coverage[?unit=CODE][&format=csv]                       coverage
//   POST /api/v1/ca/needed        {"unit","needed"}                         sets a unit's need
// Thread-safe as the service is.
#pragma once

#include <memory>
#include <vector>

#include "lienthong/gateway/ca/ca_service.h"
#include "lienthong/gateway/http/http_server.h"

namespace lienthong::gateway {

std::vector<HttpRoute> caRoutes(std::shared_ptr<CaService> service);
// The CA's part of /metrics: lienthong_ca_certificate_expiry_seconds{kind="root|issuing|ocsp"}
// and lienthong_ca_crl_next_update_seconds{list="crl|arl"} (seconds from now; the CRL and ARL
// served now, on their schedule).
std::string caMetrics(CaService& service);

}  // namespace lienthong::gateway
