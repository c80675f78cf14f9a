// audit verify, audit checkpoint: the auditor's commands over a node's data folder.
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <filesystem>
#include <sstream>

#include "cli_support.h"
#include "lienthong/gateway/app/retire.h"
#include "lienthong/gateway/store/audit_log.h"
#include "lienthong/gateway/node/config.h"
#include "lienthong/gateway/node/signature.h"
#include "lienthong/gateway/store/store.h"
#include "lienthong/schemas/codec.h"

namespace lienthong::gateway::cli {

namespace {

namespace fs = std::filesystem;

// The data folder: --data, or node.data of --config, or ./lienthong-data.
Result<std::string> dataDir(const Args& a) {
  if (a.has("data")) return a.get("data");
  if (a.has("config")) {
    auto c = loadConfig(a.get("config"));
    if (!c) return std::unexpected(c.error());
    return c->data_dir;
  }
  return std::string("lienthong-data");
}

Result<std::unique_ptr<Store>> openExisting(const std::string& data) {
  const fs::path file = fs::path(data) / "store.sqlite";
  if (!fs::exists(file)) {
    return fail(ErrorCode::NotFound, "no store at '" + file.string() +
                                         "': give the node's data folder with --data DIR");
  }
  // A reading tool: the store is not refused for a lost tail, verify reports it.
  return openSqliteStore(file.string(), StoreOpenOptions{true, false});
}

int cmdVerify(const Args& a, std::ostream& out, std::ostream& err) {
  auto data = dataDir(a);
  if (!data) {
    err << "lienthong audit verify: " << data.error().message << "\n";
    return 2;
  }
  auto store = openExisting(*data);
  if (!store) {
    err << "lienthong audit verify: " << store.error().message << "\n";
    return 2;
  }
  std::string trust = a.get("trust");
  if (trust.empty() && fs::exists(fs::path(*data) / "pki" / "ca.pem")) {
    trust = (fs::path(*data) / "pki" / "ca.pem").string();
  }
  // Checkpoints count only when the node's own seal signed them: --seal CERT.pem, else the seal
  // of --config (signing.key), else the dev PKI's node seals in DIR/pki.
  std::vector<std::string> seals;
  if (a.has("seal")) {
    auto f = certificateFingerprints(a.get("seal"));
    if (!f) {
      err << "lienthong audit verify: --seal: " << f.error().message << "\n";
      return 2;
    }
    seals = std::move(*f);
  } else if (a.has("config")) {
    auto c = loadConfig(a.get("config"));
    if (c && !c->signing_key.empty()) {
      auto f = sealFingerprint(c->signing_key, c->signing_passphrase, c->signing_cert);
      if (!f) {
        err << "lienthong audit verify: " << f.error().message << "\n";
        return 2;
      }
      seals.push_back(*f);
    }
  }
  if (seals.empty() && fs::is_directory(fs::path(*data) / "pki")) {
    for (const auto& e : fs::directory_iterator(fs::path(*data) / "pki")) {
      const std::string name = e.path().filename().string();
      if (!name.starts_with("seal-node-") || !name.ends_with(".pem")) continue;
      if (auto f = certificateFingerprints(e.path().string())) seals.push_back(f->front());
    }
  }
  BlobVerifier verifier;
  if (!trust.empty()) {
    auto cps = (*store)->checkpoints();
    if (seals.empty() && cps && !cps->empty()) {
      err << "lienthong audit verify: give --seal CERT.pem (the node's seal certificate) or "
             "--config FILE: checkpoints are accepted only from the node's own seal\n";
      return 2;
    }
    auto v = makeCmsVerifier(trust, seals);
    if (!v) {
      err << "lienthong audit verify: " << v.error().message << "\n";
      return 2;
    }
    verifier = std::move(*v);
  }
  auto outside = outsideEvidence((fs::path(*data) / "store.sqlite").string());
  if (!outside) {
    err << "lienthong audit verify: " << outside.error().message << "\n";
    return 2;
  }
  bool shown = false;
  auto result = verifyAuditLog(**store, verifier, [&](std::int64_t done, std::int64_t total) {
    if (total < 20000) return;
    err << "\r  checked " << done << " of " << total << " records" << std::flush;
    shown = true;
  }, *outside);
  if (shown) err << "\n";
  if (!result) {
    err << "lienthong audit verify: " << result.error().message << "\n";
    return 2;
  }
  for (const auto& w : result->warnings) err << "warning: " << w << "\n";
  if (!result->intact) {
    out << "audit log ALTERED at record " << result->first_bad << ": " << result->problem << "\n"
        << "  " << result->records << " records before it are intact; keep this store as evidence"
        << " and compare with a backup\n";
    return 1;
  }
  out << "audit log intact: " << result->records << " records, " << result->checkpoints
      << " signed checkpoint(s)";
  auto cps = (*store)->checkpoints();
  if (cps && !cps->empty()) {
    auto body = parseCheckpointBody(cps->back().body);
    if (body) out << "; the last covers record " << body->last_record << " (" << body->at << ")";
  }
  out << "\n";
  if (result->checkpoints == 0) {
    out << "  no checkpoint yet: records cut from the end could not be detected; a running node"
           " signs one every audit.checkpoint_every records and when it stops\n";
  }
  return 0;
}

// store check: the full check of a (stopped or running) node's store.
int cmdStoreCheck(const Args& a, std::ostream& out, std::ostream& err) {
  auto data = dataDir(a);
  if (!data) {
    err << "lienthong store check: " << data.error().message << "\n";
    return 2;
  }
  const std::string file = (fs::path(*data) / "store.sqlite").string();
  auto check = checkStore(file, true);
  if (!check) {
    err << "lienthong store check: " << check.error().message << "\n";
    return 2;
  }
  if (!check->ok()) {
    out << "store DAMAGED: " << file << "\n";
    for (const auto& p : check->problems) out << "  " << p << "\n";
    out << "  keep a copy of the file (and its -wal) as evidence, restore the last backup; damaged"
           " messages are refused, never served, until then\n";
    return 1;
  }
  out << "store intact: " << file << " (schema " << check->schema_version << ", integrity_check ok, "
      << check->messages << " messages match their content_hash)\n";
  return 0;
}

// `backup --to FILE`: a consistent copy of the node's store while it runs.
int cmdBackup(const Args& a, std::ostream& out, std::ostream& err) {
  if (!a.has("to")) {
    err << "usage: lienthong backup --to FILE [--data DIR | --config FILE]\n";
    return 2;
  }
  auto data = dataDir(a);
  if (!data) {
    err << "lienthong backup: " << data.error().message << "\n";
    return 2;
  }
  const std::string file = (fs::path(*data) / "store.sqlite").string();
  auto r = backupSqliteStore(file, a.get("to"));
  if (!r) {
    err << "lienthong backup: " << r.error().message << "\n";
    return 1;
  }
  out << "backup of " << file << " written to " << r->file << ": " << humanSize(static_cast<std::size_t>(r->bytes))
      << ", " << r->messages << " messages, audit log of " << r->audit_records << " records to record "
      << r->last_record << " (" << r->last_hash.substr(0, 16) << "), " << r->checkpoints_outside
      << " checkpoints from " << kCheckpointFileName << "; integrity_check ok\n"
      << "restore it with: lienthong restore --from " << r->file << " --config NODE.conf (the node stopped)\n";
  return 0;
}

// `restore --from FILE`: puts a backup in place of a stopped node's store.
int cmdRestore(const Args& a, std::ostream& out, std::ostream& err) {
  if (!a.has("from") || (!a.has("config") && !a.has("data"))) {
    err << "usage: lienthong restore --from FILE (--config FILE | --data DIR --node-stopped)\n";
    return 2;
  }
  std::string data;
  if (a.has("config")) {
    auto c = loadConfig(a.get("config"));
    if (!c) {
      err << "lienthong restore: " << c.error().message << "\n";
      return 1;
    }
    if (auto ok = checkNodeStopped(*c); !ok) {
      err << "lienthong restore: " << ok.error().message << "\n";
      return 1;
    }
    data = c->data_dir;
  } else {
    if (!a.has("node-stopped")) {
      err << "lienthong restore: with --data the command cannot see whether a node runs on it: stop the node and\n"
             "  add --node-stopped, or give its --config (then its port is checked)\n"
             "  hãy dừng nút rồi thêm --node-stopped, hoặc dùng --config\n";
      return 2;
    }
    data = a.get("data");
  }
  const char* user = std::getenv("USER");
  const std::string actor = a.get("actor", std::string("cli:") + (user ? user : "unknown"));
  const std::string file = (fs::path(data) / "store.sqlite").string();
  auto r = restoreSqliteStore(a.get("from"), file, actor);
  if (!r) {
    err << "lienthong restore: " << r.error().message << "\n";
    return 1;
  }
  out << "restored " << a.get("from") << " into " << file << ": " << r->messages << " messages, audit log to record "
      << r->last_record << " and the restore recorded after it\n";
  if (r->head_before > r->last_record) {
    out << "  the replaced store had committed up to record " << r->head_before << ": records "
        << r->last_record + 1 << " to " << r->head_before << " are not in the backup\n";
  }
  for (const auto& f : r->moved_aside) out << "  kept aside: " << f << "\n";
  out << "check it with: lienthong audit verify --data " << data << "\n";
  return 0;
}

int cmdCheckpoint(const Args& a, std::ostream& out, std::ostream& err) {
  if (!a.has("out")) {
    err << "usage: lienthong audit checkpoint --out FILE [--data DIR]\n";
    return 2;
  }
  auto data = dataDir(a);
  if (!data) {
    err << "lienthong audit checkpoint: " << data.error().message << "\n";
    return 2;
  }
  auto store = openExisting(*data);
  if (!store) {
    err << "lienthong audit checkpoint: " << store.error().message << "\n";
    return 2;
  }
  auto cps = (*store)->checkpoints();
  if (!cps) {
    err << "lienthong audit checkpoint: " << cps.error().message << "\n";
    return 1;
  }
  if (cps->empty()) {
    err << "lienthong audit checkpoint: the store has no signed checkpoint yet (a node signs one"
           " every audit.checkpoint_every records, every audit.checkpoint_minutes and when it"
           " stops)\n";
    return 1;
  }
  const auto& c = cps->back();
  auto der = schemas::codec::decodeBase64(c.signature);
  if (!der) {
    err << "lienthong audit checkpoint: the stored signature is not base64\n";
    return 1;
  }
  Poco::JSON::Object o;
  o.set("format", "lienthong audit checkpoint 1: 'signature' is a detached CMS (base64 DER) over the UTF-8 bytes of 'body'");
  o.set("body", c.body);
  o.set("signature", c.signature);
  std::ostringstream json;
  o.stringify(json, 2);
  const fs::path file = a.get("out");
  for (const auto& [path, bytes] : {std::pair<fs::path, std::string>{file, json.str() + "\n"},
                                    {fs::path(file.string() + ".body"), c.body},
                                    {fs::path(file.string() + ".p7s"), *der}}) {
    if (auto w = writeFileAtomic(path, bytes); !w) {
      err << "lienthong audit checkpoint: " << w.error().message << "\n";
      return 1;
    }
  }
  out << "checkpoint " << c.id << " (records 1.." << c.last_record << ", last hash "
      << c.last_hash.substr(0, 16) << "...) written to " << file.string() << "\n"
      << "  the signed body is in " << file.string() << ".body, the CMS signature in "
      << file.string() << ".p7s; check them with\n"
      << "  openssl cms -verify -inform DER -binary -in " << file.string() << ".p7s -content "
      << file.string() << ".body -CAfile CA.pem -purpose any\n";
  return 0;
}

}  // namespace

std::vector<Command> auditCommands() {
  return {
      {"audit", "verify the audit log's hash chain and checkpoints, or export a checkpoint",
       "usage: lienthong audit verify [--data DIR | --config FILE] [--trust CA.pem|DIR] [--seal CERT.pem]\n"
       "       lienthong audit checkpoint --out FILE [--data DIR | --config FILE]\n\n"
       "verify recomputes every record's SHA-256 and its link to the one before, checks each\n"
       "signed checkpoint (signature, and that the record it pins is unchanged and present), and\n"
       "names the first altered or missing record (exit 1). --trust defaults to DIR/pki/ca.pem.\n"
       "A checkpoint counts only when signed by the node's own seal: --seal CERT.pem, else the\n"
       "seal of --config (signing.key), else DIR/pki/seal-node-*.pem (dev PKI).\n"
       "checkpoint writes the latest signed checkpoint for an auditor: FILE (JSON), FILE.body and\n"
       "FILE.p7s.\n",
       {},
       [](const Args& a, std::ostream& out, std::ostream& err) {
         const std::string sub = a.positional.empty() ? std::string() : a.positional[0];
         if (sub == "verify") return cmdVerify(a, out, err);
         if (sub == "checkpoint") return cmdCheckpoint(a, out, err);
         err << "usage: lienthong audit verify|checkpoint ... (lienthong audit --help)\n";
         return 2;
       }},
      {"backup", "a consistent copy of a node's store, taken while it runs",
       "usage: lienthong backup --to FILE [--data DIR | --config FILE]\n\n"
       "Copies DIR/store.sqlite (messages, deliveries, register, CA, summaries, audit log) in one read\n"
       "transaction, so the node keeps running and the copy is consistent; the checkpoint file beside\n"
       "the store goes inside it. The copy is checked (integrity_check) before the command says so.\n"
       "FILE must not exist.\n",
       {},
       cmdBackup},
      {"restore", "put a backup in place of a stopped node's store",
       "usage: lienthong restore --from FILE (--config FILE | --data DIR --node-stopped) [--actor NAME]\n\n"
       "The node must be stopped (with --config its port is checked). The current store, its -wal,\n"
       "-shm, audit head and checkpoint file are moved aside (kept as evidence), the backup goes in\n"
       "place, its checkpoint file comes back, and the audit log records the restore and the records\n"
       "of the replaced store that the backup does not hold. Then: lienthong audit verify.\n",
       {"node-stopped"},
       cmdRestore},
      {"store", "check a node's store: SQLite integrity, schema, every message's content_hash",
       "usage: lienthong store check [--data DIR | --config FILE]\n\n"
       "check runs SQLite's full integrity_check, checks the schema, and recomputes the SHA-256 of\n"
       "every stored message against the content_hash recorded at intake. Exit 0 intact, 1\n"
       "damaged (each problem named), 2 no store. A node runs the quick part (quick_check and the\n"
       "schema) at every start and refuses to start on a damaged store.\n",
       {},
       [](const Args& a, std::ostream& out, std::ostream& err) {
         const std::string sub = a.positional.empty() ? std::string() : a.positional[0];
         if (sub == "check") return cmdStoreCheck(a, out, err);
         err << "usage: lienthong store check [--data DIR] (lienthong store --help)\n";
         return 2;
       }},
  };
}

}  // namespace lienthong::gateway::cli
