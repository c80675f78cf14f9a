// One SQLite connection shared under a mutex, for the stores that keep their tables beside the
// node's (register, summaries): `guarded` runs a call with the connection to itself and turns
// Poco and std exceptions into Storage errors prefixed with the store's name; `transaction` runs
// its function in BEGIN IMMEDIATE ... COMMIT, rolling back on an error value or a throw.
// Private to the store room.
#pragma once

#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>
#include <Poco/Exception.h>

#include <memory>
#include <mutex>
#include <string>

#include "lienthong/schemas/error.h"

namespace lienthong::gateway::sqlite_parts {

class SharedSession {
 public:
  // Opens `path` with busy_timeout 5 s and synchronous=FULL, then runs `schema` (statements).
  template <typename Schema>
  static Result<std::unique_ptr<SharedSession>> open(const std::string& name, const std::string& path,
                                                      const Schema& schema) {
    try {
      Poco::Data::SQLite::Connector::registerConnector();
      auto session = std::make_unique<Poco::Data::Session>("SQLite", path);
      auto& s = *session;
      s << "PRAGMA busy_timeout=5000", Poco::Data::Keywords::now;
      s << "PRAGMA synchronous=FULL", Poco::Data::Keywords::now;
      for (const char* sql : schema) s << sql, Poco::Data::Keywords::now;
      return std::unique_ptr<SharedSession>(new SharedSession(name, std::move(session)));
    } catch (const Poco::Exception& e) {
      return fail(ErrorCode::Storage, name + ": cannot open '" + path + "': " + e.displayText());
    }
  }

  Poco::Data::Session& session() { return *session_; }

  template <typename F>
  auto guarded(const char* what, F&& f) -> decltype(f()) {
    std::lock_guard lock(mu_);
    try {
      return f();
    } catch (const Poco::Exception& e) {
      return fail(ErrorCode::Storage, name_ + ": " + what + ": " + e.displayText());
    } catch (const std::exception& e) {
      return fail(ErrorCode::Storage, name_ + ": " + what + ": " + e.what());
    }
  }

  // Inside guarded(). IMMEDIATE, as the store's writer: these tables sit in the store's file, and
  // two deferred writers that read first fail at once with "database is locked".
  template <typename F>
  auto transaction(F&& f) -> decltype(f()) {
    auto& s = *session_;
    s << "BEGIN IMMEDIATE", Poco::Data::Keywords::now;
    try {
      auto r = f();
      s << (r ? "COMMIT" : "ROLLBACK"), Poco::Data::Keywords::now;
      return r;
    } catch (...) {
      try {
        s << "ROLLBACK", Poco::Data::Keywords::now;
      } catch (...) {
        // the transaction is gone either way
      }
      throw;
    }
  }

 private:
  SharedSession(std::string name, std::unique_ptr<Poco::Data::Session> s)
      : name_(std::move(name)), session_(std::move(s)) {}
  std::string name_;
  std::mutex mu_;  // guards session_ (one connection, one user at a time)
  std::unique_ptr<Poco::Data::Session> session_;
};

}  // namespace lienthong::gateway::sqlite_parts
