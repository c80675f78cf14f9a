// Helpers shared by the adapter tests: a temp folder, sample bytes, the schema set, and a
// loopback HTTP server that records what it receives.
#pragma once

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "lienthong/adapters/adapter.h"
#include "lienthong/schemas/sample.h"
#include "lienthong/schemas/schema_set.h"

namespace adapters_test {

namespace fs = std::filesystem;

inline std::shared_ptr<const lienthong::schemas::SchemaSet> schemaSet() {
  static auto set = [] {
    auto loaded = lienthong::schemas::SchemaSet::load();
    return loaded ? *loaded : nullptr;
  }();
  return set;
}

inline std::string packageBytes(int number = 123, std::string from = "000.00.00.H41") {
  lienthong::schemas::sample::PackageSpec spec;
  spec.number = number;
  spec.from = std::move(from);
  spec.pdf_bytes = 512;
  spec.zipped_appendix = false;
  return lienthong::schemas::sample::package(spec).serialize();
}

inline std::string statusBytes(int number = 123) {
  lienthong::schemas::sample::PackageSpec spec;
  spec.number = number;
  spec.pdf_bytes = 512;
  spec.zipped_appendix = false;
  auto package = lienthong::schemas::sample::package(spec);
  return lienthong::schemas::sample::status(package, "000.00.31.H41",
                                            lienthong::schemas::StatusCode::Accepted)
      .serialize();
}

inline std::string documentIdOf(const std::string& bytes) {
  auto p = lienthong::schemas::Package::parse(bytes, nullptr);
  return p ? p->documentId() : std::string{};
}

class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = fs::temp_directory_path() / ("lienthong-adapters-" + std::to_string(rd()) + "-" +
                                         std::to_string(rd()));
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

inline void writeFile(const fs::path& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << bytes;
}

inline std::string readFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline std::vector<std::string> names(const fs::path& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

// What the recording server saw of one request.
struct Seen {
  std::string method, uri, content_type, body;
  std::map<std::string, std::string> headers;  // as sent
};

struct Recorder {
  std::mutex mu;  // guards seen and status
  std::vector<Seen> seen;
  int status = 200;
  std::string reply_body;  // "" answers "status <code>" as text/plain; else this, as JSON

  std::vector<Seen> snapshot() {
    std::lock_guard lock(mu);
    return seen;
  }
  void answer(int s) {
    std::lock_guard lock(mu);
    status = s;
  }
};

class RecordingHandler final : public Poco::Net::HTTPRequestHandler {
 public:
  explicit RecordingHandler(Recorder& r) : r_(r) {}
  void handleRequest(Poco::Net::HTTPServerRequest& req,
                     Poco::Net::HTTPServerResponse& res) override {
    Seen s;
    s.method = req.getMethod();
    s.uri = req.getURI();
    s.content_type = req.getContentType();
    for (const auto& [k, v] : req) s.headers[k] = v;
    std::ostringstream body;
    body << req.stream().rdbuf();
    s.body = body.str();
    int status = 200;
    std::string reply;
    {
      std::lock_guard lock(r_.mu);
      r_.seen.push_back(std::move(s));
      status = r_.status;
      reply = r_.reply_body;
    }
    res.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
    if (!reply.empty()) {
      res.setContentType("application/json");
      res.send() << reply;
      return;
    }
    res.setContentType("text/plain");
    res.send() << "status " << status;
  }

 private:
  Recorder& r_;
};

class RecordingFactory final : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit RecordingFactory(Recorder& r) : r_(r) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
    return new RecordingHandler(r_);
  }

 private:
  Recorder& r_;
};

// A Poco HTTPServer on 127.0.0.1 (port 0 = any free port), stopped on destruction.
class LoopbackServer {
 public:
  LoopbackServer(Poco::Net::HTTPRequestHandlerFactory* factory, Poco::UInt16 port = 0) {
    Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", port), 16);
    auto params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(4);
    params->setKeepAlive(false);
    params->setTimeout(Poco::Timespan(5, 0));
    server_ = std::make_unique<Poco::Net::HTTPServer>(factory, socket, params);
    server_->start();
    port_ = server_->port();
  }
  ~LoopbackServer() { server_->stopAll(true); }
  Poco::UInt16 port() const { return port_; }
  std::string url(const std::string& path = "") const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }

 private:
  std::unique_ptr<Poco::Net::HTTPServer> server_;
  Poco::UInt16 port_ = 0;
};

// A port nothing listens on: bound, then released.
inline Poco::UInt16 closedPort() {
  Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0), 1);
  const auto port = socket.address().port();
  socket.close();
  return port;
}

// A clock the test moves by hand, starting at the real time (file mtimes use the real time).
struct ManualClock {
  std::shared_ptr<std::atomic<long long>> offset_ms = std::make_shared<std::atomic<long long>>(0);
  lienthong::adapters::Clock clock() const {
    auto offset = offset_ms;
    return [offset] {
      return std::chrono::system_clock::now() + std::chrono::milliseconds(offset->load());
    };
  }
  void advance(std::chrono::milliseconds d) { *offset_ms += d.count(); }
};

}  // namespace adapters_test
