// A node's configuration: one file of `key = value` lines read at start-up and checked at once;
// a bad value stops the node with the file and the setting named. Without a file, defaults for a
// single node on an embedded SQLite store in a local data folder. Value type.
//
// Keys (defaults in brackets):
//   node.name          this node's name in the directory [the directory's top node]
//   node.listen        host:port to listen on [127.0.0.1:8443]
//   node.data          data folder: store.sqlite, dev PKI [./lienthong-data]
//   directory.file     directory XML or CSV [<data>/directory.xml]
//   web.dir            the dashboard's folder (gateway/web with Chart.js installed by
//                      scripts/install-web.sh) [./gateway/web when it exists, else the source
//                      tree's gateway/web]; when missing the node runs and /dashboard answers 503
//   tls.cert, tls.key  this node's certificate and key [dev PKI in <data>/pki]
//   tls.ca             CA file peers and clients must chain to (TLS only) [dev PKI CA]
//   tls.crl            CRL file or folder for tls.ca's CAs: revoked client certificates are
//                      refused, and so are those whose issuer has no current CRL [none: unchecked]
//   auth.clients       client_id:role:organ:secret_file[, ...]: DMS clients of bearer tokens, each
//                      with its own HS256 key; role office or auditor; a token carries exactly
//                      that role and organ [none: tokens refused]
//   auth.certificates  certificate map file: `ROLE IDENTITY sha256|serial|subject|policy VALUE`
//                      lines (auth.h); only the certificates it names get a role
//                      [the dev PKI's policy map without a configuration; none with one]
//   limits.max_body    bytes [10485760]        limits.max_header    bytes [16384]
//   limits.max_connections [1024]              limits.max_per_address [16]
//   limits.read_timeout_ms: a whole request [10000]   limits.read_gap_ms: one read [2000]
//   limits.handshake_timeout_ms [3000]   limits.keepalive_ms [2000]   limits.write_timeout_ms [10000]
//   trust.dir          folder (CA certificates, *.crl) or PEM bundle that signatures must chain
//                      to; required with tls.cert [the dev PKI CA without a configuration]
//   signing.key        the node's seal key for the statuses it issues: PEM, .p12 or pkcs11: URI
//                      [dev PKI seal for the node's top unit; required when tls.cert is set]
//   signing.cert       PEM certificate (and chain) for a PEM key    signing.passphrase [none]
//   policy.allow_unsigned  true|false [false]
//   policy.revocation  auto|require|off [auto: check when the certificate names a source]
//   policy.accept_unknown_revocation  true|false [false: UNKNOWN is refused with 422]
//   policy.signer_must_match  true|false [true: the signer's OrganId must be the From unit]
//   policy.allow_sha1  true|false [false]
//   audit.checkpoint_every  records [1000]    audit.checkpoint_minutes [60]
//   ca.passphrase_file  the passphrase of the CA kept in the node's store, when it holds one
//                      (then /api/v1/ca/* for admins and public /crl, /ocsp are mounted)
//                      [LIENTHONG_CA_PASSPHRASE]
//   dispatch.workers [4]  dispatch.backoff_ms [500]  dispatch.backoff_max_ms [300000]
//   dispatch.retry_horizon  how long a delivery is retried before it fails for good: 7d, 36h,
//                      90m, 600s [7d]; dispatch.max_attempts  a cap on tries [0: none]
//   dispatch.per_peer  workers one peer (or local unit) may hold at once [0: half the workers]
//   dispatch.breaker_failures  failures in a row that rest a peer until a probe [3]
//   dispatch.probe_max_ms  the longest rest: a resting peer is probed at least this often [30000]
//   dispatch.timeout_ms  deadline of each network step to a peer: connect, TLS handshake, each
//                      read and write [10000]
//   adapters.poll_ms   how often the webhook/folder/axis adapters of the units homed here are
//                      polled for what their DMS put out [2000]; a unit's adapter settings are
//                      its directory entry's (adapters/README.md), a bad one stops the node
//   axis.clients       SYSTEMID:ORGANID[|ORGANID...]:SECRET_FILE[, ...]: the systems (the VXP
//                      SDK's systemid, "mã trung tâm liên thông") that may call the VXP endpoint at
//                      /axis (adapters/axis_protocol.h), each with the units it serves and the
//                      file holding its shared secret [none: no /axis routes]
//   axis.sources       SYSTEMID:ADDR[|ADDR...][, ...]: the source addresses (IPs or CIDR ranges)
//                      a system may call from [any]
//   axis.http_listen   127.0.0.1:PORT: also serve /axis over plain HTTP, on a loopback address
//                      only [none]
#pragma once

#include <string>
#include <vector>

#include "lienthong/gateway/node/dispatcher.h"
#include "lienthong/gateway/http/http_server.h"
#include "lienthong/gateway/node/signature.h"

namespace lienthong::gateway {

// One system allowed to call the node's VXP endpoint (axis.clients, axis.sources).
struct AxisClientConfig {
  std::string client_id;           // the systemid
  std::vector<std::string> units;  // the units it sends for and collects for
  std::string secret_file;         // the shared HMAC secret, at least 16 characters
  std::vector<std::string> sources;  // allowed source addresses; empty: any
};

struct NodeConfig {
  std::string name;
  std::string data_dir = "lienthong-data";
  std::string directory_file;
  std::string web_dir;  // web.dir; empty: serve.h's resolveWebDir decides
  HttpServerConfig http;
  SignaturePolicy signature;
  std::string trust;  // trust.dir
  std::string signing_key, signing_cert, signing_passphrase;
  std::string ca_passphrase_file;
  int audit_checkpoint_every = 1000;
  int audit_checkpoint_minutes = 60;
  // Register summaries for the parent node (evidence/summary.h): made at most every N seconds
  // (0: only when asked, POST /api/v1/summaries/send); each run recomputes every day of the
  // register, or, with a window of M days, after a first full pass, only documents dated in the
  // last M days (for large registers; a correction to an older day then waits for a restart).
  int summary_seconds = 300;
  int summary_window_days = 0;
  DispatcherConfig dispatch;
  int peer_timeout_ms = 10000;
  int adapter_poll_ms = 2000;  // adapters.poll_ms; 0: no poller (tests poll by hand)
  std::vector<AxisClientConfig> axis_clients;  // axis.clients; empty: no /axis routes
  std::string axis_http_host;                  // axis.http_listen; empty: none
  int axis_http_port = 0;
  std::string source = "(defaults)";  // the file it came from
};

// Config errors name the file and the key: "node.conf: limits.max_body: 'ten' is not a number".
Result<NodeConfig> loadConfig(const std::string& path);
// Defaults for a node without a configuration file, in `data_dir`.
NodeConfig defaultConfig(const std::string& data_dir);

}  // namespace lienthong::gateway
