// A loopback TCP port for a test server to listen on.
//
// Binding port 0, reading the number and closing (what these tests did) hands back a port from
// the kernel's ephemeral range, which the kernel may give to any other socket before the server
// binds it: another test's port-0 bind, or an outgoing connection. This one is chosen below that
// range, where the kernel never assigns ports on its own, in a stretch of its own per process
// (so the ctest jobs running beside each other look in different places), and only if nothing
// is bound to it now.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <stdexcept>
#include <string>

namespace lienthong::testing {

inline int freePort() {
  constexpr int kLowest = 10000;
  constexpr int kStretch = 128;
  int ephemeral_low = 32768;
  if (std::ifstream range("/proc/sys/net/ipv4/ip_local_port_range"); range) range >> ephemeral_low;
  const int span = ephemeral_low - kLowest;
  if (span < kStretch) throw std::runtime_error("freePort: the ephemeral port range starts below 10128");
  static std::atomic<int> next{0};
  const int stretches = span / kStretch;
  const int base = static_cast<int>(::getpid() % stretches) * kStretch;
  for (int tries = 0; tries < span; ++tries) {
    const int port = kLowest + (base + next.fetch_add(1)) % span;
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) throw std::runtime_error("freePort: no socket");
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    const bool free = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    if (free) return port;
  }
  throw std::runtime_error("freePort: no free port below the ephemeral range");
}

}  // namespace lienthong::testing
