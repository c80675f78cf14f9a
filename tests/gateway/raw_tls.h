// A raw TLS client for tests that need bytes a well-behaved client would never send: slow or
// idle connections, ambiguous framing, a chosen source address or cipher. Blocking OpenSSL over a
// plain socket; every read waits at most the given time. Not thread-safe per instance.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <chrono>
#include <memory>
#include <string>

namespace lienthong::gateway::testing {

class RawTls {
 public:
  struct Options {
    std::string ca_file;
    std::string cert, key;           // client certificate, if any
    std::string source = "127.0.0.1";  // local address to connect from (any of 127.0.0.0/8)
    std::string tls12_ciphers;       // non-empty: TLS 1.2 only, with these suites
    bool handshake = true;           // false: TCP only (an idle or slow handshake)
  };

  // Null when the TCP connection or the handshake fails (`error` says why).
  static std::unique_ptr<RawTls> open(int port, const Options& o, std::string* error = nullptr) {
    ::signal(SIGPIPE, SIG_IGN);  // a write to a connection the server cut must fail, not kill
    auto t = std::unique_ptr<RawTls>(new RawTls);
    const auto bad = [&](const std::string& why) {
      if (error) *error = why;
      return std::unique_ptr<RawTls>();
    };
    t->fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (t->fd_ < 0) return bad("socket");
    sockaddr_in src{};
    src.sin_family = AF_INET;
    ::inet_pton(AF_INET, o.source.c_str(), &src.sin_addr);
    if (::bind(t->fd_, reinterpret_cast<sockaddr*>(&src), sizeof src) != 0) return bad("bind");
    sockaddr_in dst{};
    dst.sin_family = AF_INET;
    dst.sin_port = htons(static_cast<uint16_t>(port));
    ::inet_pton(AF_INET, "127.0.0.1", &dst.sin_addr);
    if (::connect(t->fd_, reinterpret_cast<sockaddr*>(&dst), sizeof dst) != 0) return bad("connect");
    t->setTimeout(5000);
    if (!o.handshake) return t;
    t->ctx_ = SSL_CTX_new(TLS_client_method());
    if (!o.ca_file.empty()) SSL_CTX_load_verify_locations(t->ctx_, o.ca_file.c_str(), nullptr);
    if (!o.cert.empty()) {
      SSL_CTX_use_certificate_chain_file(t->ctx_, o.cert.c_str());
      SSL_CTX_use_PrivateKey_file(t->ctx_, o.key.c_str(), SSL_FILETYPE_PEM);
    }
    if (!o.tls12_ciphers.empty()) {
      SSL_CTX_set_min_proto_version(t->ctx_, TLS1_2_VERSION);
      SSL_CTX_set_max_proto_version(t->ctx_, TLS1_2_VERSION);
      SSL_CTX_set_cipher_list(t->ctx_, o.tls12_ciphers.c_str());
    }
    t->ssl_ = SSL_new(t->ctx_);
    SSL_set_fd(t->ssl_, t->fd_);
    if (SSL_connect(t->ssl_) != 1) {
      char buf[256];
      ERR_error_string_n(ERR_get_error(), buf, sizeof buf);
      return bad(std::string("handshake: ") + buf);
    }
    return t;
  }

  ~RawTls() {
    if (ssl_) SSL_free(ssl_);
    if (ctx_) SSL_CTX_free(ctx_);
    if (fd_ >= 0) ::close(fd_);
  }

  void setTimeout(int ms) {
    timeval tv{ms / 1000, (ms % 1000) * 1000};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  }

  // False when the peer closed or reset the connection.
  bool send(const std::string& bytes) {
    if (!ssl_) return ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size());
    return SSL_write(ssl_, bytes.data(), static_cast<int>(bytes.size())) == static_cast<int>(bytes.size());
  }

  // Reads until the peer closes, `until` appears, or a read waits longer than the timeout.
  std::string read(const std::string& until = {}) {
    std::string out;
    char buf[4096];
    while (true) {
      const int n = ssl_ ? SSL_read(ssl_, buf, sizeof buf)
                         : static_cast<int>(::recv(fd_, buf, sizeof buf, 0));
      if (n <= 0) {
        closed_ = !timedOut(n);
        break;
      }
      out.append(buf, static_cast<std::size_t>(n));
      if (!until.empty() && out.find(until) != std::string::npos) break;
    }
    return out;
  }

  // True when the peer closes within the timeout (false: it is still open, or it sent bytes).
  bool closedByPeer() {
    char c;
    const int n = ssl_ ? SSL_read(ssl_, &c, 1) : static_cast<int>(::recv(fd_, &c, 1, 0));
    return n <= 0 && !timedOut(n);
  }

  bool closed() const { return closed_; }

  // After a read returned `n` <= 0: true when it only waited too long (the peer is still there).
  bool timedOut(int n) const {
    if (ssl_) return SSL_get_error(ssl_, n) == SSL_ERROR_WANT_READ;
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }
  SSL* ssl() const { return ssl_; }

 private:
  RawTls() = default;
  int fd_ = -1;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  bool closed_ = false;
};

}  // namespace lienthong::gateway::testing
