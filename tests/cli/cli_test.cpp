// The lienthong command as a user runs it: exit status and what it prints.
#include <catch2/catch.hpp>

#include <array>
#include <cstdlib>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

struct Run {
  int status;
  std::string output;  // stdout and stderr together
};

// Any shell command, its stdout and stderr together.
Run shell(const std::string& command) {
  const std::string cmd = command + " 2>&1";
  FILE* pipe = popen(cmd.c_str(), "r");
  REQUIRE(pipe);
  std::string out;
  std::array<char, 4096> buf{};
  while (std::size_t n = fread(buf.data(), 1, buf.size(), pipe)) out.append(buf.data(), n);
  const int rc = pclose(pipe);
  return {WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, out};
}

Run run(const std::string& args) { return shell(std::string(LIENTHONG_BINARY) + " " + args); }

std::filesystem::path tempDir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / ("lienthong-cli-" + name + "-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace

TEST_CASE("lienthong --version and --help on every subcommand") {
  auto v = run("--version");
  CHECK(v.status == 0);
  CHECK(v.output.rfind("lienthong ", 0) == 0);
  for (const char* sub : {"validate", "inspect", "directory", "sample", "demo"}) {
    INFO(sub);
    auto h = run(std::string(sub) + " --help");
    CHECK(h.status == 0);
    CHECK(h.output.find("usage: lienthong " + std::string(sub)) != std::string::npos);
  }
  auto negative = run("sample --size -5");
  CHECK(negative.status == 2);
  CHECK(negative.output.find("--size takes a number of bytes") != std::string::npos);
  auto unknown = run("frobnicate");
  CHECK(unknown.status == 2);
  CHECK(unknown.output.find("unknown command 'frobnicate'") != std::string::npos);
}

TEST_CASE("validate passes a sample and names file, line and element of a bad one") {
  const auto dir = tempDir("validate");
  const auto good = dir / "good.edxml";
  REQUIRE(run("sample --out " + good.string()).status == 0);
  std::ifstream in(good);
  std::string text((std::istreambuf_iterator<char>(in)), {});
  const auto pos = text.find("<edXML:Priority>1");
  REQUIRE(pos != std::string::npos);
  text.replace(pos, 17, "<edXML:Priority>7");
  const auto bad = dir / "bad.edxml";
  std::ofstream(bad) << text;

  auto ok = run("validate " + good.string());
  CHECK(ok.status == 0);
  CHECK(ok.output.find(": ok, document 000.00.00.H41,2026/11/20,123/QĐ-UBND") != std::string::npos);

  auto both = run("validate " + good.string() + " " + bad.string());
  CHECK(both.status == 1);
  CHECK(both.output.find(bad.string() + ":") != std::string::npos);
  CHECK(both.output.find("element 'Priority'") != std::string::npos);
  CHECK(both.output.find("[schema_violation]") != std::string::npos);
  CHECK(both.output.find("1 valid, 1 invalid") != std::string::npos);

  auto missing = run("validate " + (dir / "nope.edxml").string());
  CHECK(missing.status == 1);
  CHECK(missing.output.find("cannot open") != std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST_CASE("inspect shows sender, recipients, number, type, priority and attachments") {
  const auto dir = tempDir("inspect");
  const auto file = dir / "p.edxml";
  REQUIRE(run("sample --size 5000 --out " + file.string()).status == 0);
  auto r = run("inspect " + file.string());
  CHECK(r.status == 0);
  for (const char* want : {"From           000.00.00.H41", "To             000.00.31.H41",
                           "To             000.00.32.H41", "Number         123/QĐ-UBND",
                           "Type           Quyết định", "khẩn", "QD-123.pdf  application/pdf",
                           "phu-luc-danh-sach.txt"}) {
    INFO(want);
    CHECK(r.output.find(want) != std::string::npos);
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("directory show prints a unit by legacy code and the successor of a closed one") {
  const auto dir = tempDir("directory");
  const auto demo = run("demo --once --docs 5 --data " + dir.string());
  INFO(demo.output);
  REQUIRE(demo.status == 0);
  const std::string d = " --directory " + (dir / "directory.xml").string();
  auto r = run("directory show 000.02.31.H41" + d + " --date 2026-01-01");
  CHECK(r.status == 0);
  CHECK(r.output.find("Code           H41.31.02") != std::string::npos);
  CHECK(r.output.find("documents go to H41.50") != std::string::npos);
  auto paper = run("directory show H41.32.02" + d);
  CHECK(paper.output.find("Channel        paper") != std::string::npos);
  auto unknown = run("directory show H41.99" + d);
  CHECK(unknown.status == 1);
  CHECK(unknown.output.find("'H41.99' is not in") != std::string::npos);
  auto bad = run("directory show 000.12.00.H41" + d);
  CHECK(bad.status == 1);
  CHECK(bad.output.find("no parent") != std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST_CASE("lienthong serve without a configuration writes a single-node directory and serves, then stops on SIGINT") {
  const auto dir = tempDir("serve");
  const std::string cmd = "timeout --preserve-status -s INT 5 " + std::string(LIENTHONG_BINARY) +
                          " serve --data " + (dir / "data").string() +
                          " --port 0 --unit 000.00.00.G12 --unit-name 'Văn phòng thử' 2>/dev/null";
  FILE* pipe = popen(cmd.c_str(), "r");
  REQUIRE(pipe);
  std::string out;
  std::array<char, 4096> buf{};
  while (std::size_t n = fread(buf.data(), 1, buf.size(), pipe)) out.append(buf.data(), n);
  const int rc = pclose(pipe);
  INFO(out);
  CHECK((WIFEXITED(rc) && WEXITSTATUS(rc) == 0));
  CHECK(out.find("wrote a single-node directory to " + (dir / "data" / "directory.xml").string() +
                 " (node 'local', unit 000.00.00.G12 'Văn phòng thử')") != std::string::npos);
  CHECK(out.find("node 'local' listening on https://127.0.0.1:") != std::string::npos);
  CHECK(out.find("stopping") != std::string::npos);
  CHECK(std::filesystem::exists(dir / "data" / "directory.xml"));
  std::filesystem::remove_all(dir);
}

TEST_CASE("lienthong serve reloads its directory on SIGHUP, says what changed, and refuses a broken file keeping its version") {
  const auto dir = tempDir("hup");
  const std::string data = (dir / "data").string();
  const std::string out = (dir / "out.txt").string();
  // The script's exit code says which step did not happen.
  const std::string script =
      std::string(LIENTHONG_BINARY) + " serve --data " + data + " --port 0 > " + out + " 2>/dev/null & pid=$!\n" +
      "until_seen() { for i in $(seq 300); do grep -q \"$1\" " + out + " && return 0; sleep 0.1; done; return 1; }\n"
      "until_seen listening || { kill -INT $pid; exit 11; }\n"
      "sed -i -e 's/version=\"local-1\"/version=\"local-2\"/' -e 's|</directory>|<unit code=\"000.00.31.H41\" "
      "name=\"Xã thử\" level=\"2\" parent=\"000.00.00.H41\" homeNode=\"local\" channel=\"paper\"/></directory>|' " +
      data + "/directory.xml\n"
      "kill -HUP $pid; until_seen 'directory reloaded' || { kill -INT $pid; exit 12; }\n"
      "printf '<directory' > " + data + "/directory.xml\n"
      "kill -HUP $pid; until_seen 'directory reload refused' || { kill -INT $pid; exit 13; }\n"
      "kill -INT $pid; wait $pid\n";
  std::ofstream(dir / "run.sh") << script;
  const int rc = std::system(("sh " + (dir / "run.sh").string()).c_str());
  std::ifstream in(out);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  INFO(text);
  CHECK((WIFEXITED(rc) && WEXITSTATUS(rc) == 0));
  CHECK(text.find("reload the directory (" + data + "/directory.xml) with: kill -HUP ") != std::string::npos);
  CHECK(text.find("directory reloaded: version local-1 -> local-2, 2 units, 0 served through adapters, 1 change(s)\n"
                  "  added 000.00.31.H41 (Xã thử), paper at node 'local'\n") != std::string::npos);
  CHECK(text.find("directory reload refused: directory.file '" + data + "/directory.xml': ") != std::string::npos);
  CHECK(text.find("the node keeps version local-2") != std::string::npos);
  CHECK(text.find("stopping") != std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST_CASE("lienthong serve refuses to make a development PKI on a non-loopback address without --dev") {
  const auto dir = tempDir("serve-dev");
  const auto conf = dir / "node.conf";
  std::ofstream(dir / "directory.xml")
      << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
         "<directory xmlns=\"urn:lienthong:directory:1\" version=\"local-1\">\n  <node name=\"local\"/>\n"
         "  <unit code=\"000.00.00.H41\" name=\"UBND tỉnh\" level=\"1\" homeNode=\"local\" channel=\"mailbox\"/>\n"
         "</directory>\n";
  std::ofstream(conf) << "node.listen = 0.0.0.0:0\nnode.data = " << (dir / "data").string()
                      << "\ndirectory.file = " << (dir / "directory.xml").string() << "\n";
  auto r = run("serve --config " + conf.string());
  INFO(r.output);
  CHECK(r.status == 1);
  CHECK(r.output.find(conf.string() + ": tls.cert is not set and node.listen '0.0.0.0' is not a loopback address") !=
        std::string::npos);
  CHECK(r.output.find("--dev") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir / "data" / "pki"));
  std::filesystem::remove_all(dir);
}

TEST_CASE("lienthong serve on loopback without tls.cert says loudly that it runs a development PKI") {
  const auto dir = tempDir("serve-warn");
  const std::string cmd = "timeout --preserve-status -s INT 5 " + std::string(LIENTHONG_BINARY) +
                          " serve --data " + (dir / "data").string() + " --port 0 2>&1";
  FILE* pipe = popen(cmd.c_str(), "r");
  REQUIRE(pipe);
  std::string out;
  std::array<char, 4096> buf{};
  while (std::size_t n = fread(buf.data(), 1, buf.size(), pipe)) out.append(buf.data(), n);
  pclose(pipe);
  INFO(out);
  CHECK(out.find("WARNING: development mode: tls.cert is not set, so this node uses a development PKI in " +
                 (dir / "data" / "pki").string() + " whose CA key is NOT encrypted") != std::string::npos);
  CHECK(out.find("CẢNH BÁO: chế độ phát triển") != std::string::npos);
  CHECK(out.find("listening on https://127.0.0.1:") != std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST_CASE("lienthong serve --port with a non-number says so instead of aborting") {
  auto r = run("serve --port x --data /nonexistent-lienthong");
  INFO(r.output);
  CHECK(r.status == 2);
  CHECK(r.output.find("--port 'x' is not a port number (0 to 65535; 0: any free port)") != std::string::npos);
  auto big = run("serve --port 70000 --data /nonexistent-lienthong");
  CHECK(big.status == 2);
}

TEST_CASE("lienthong serve tells systemd it is ready once it listens (Type=notify)") {
  // A datagram socket in the role of systemd's NOTIFY_SOCKET receives READY=1 with the pid, then
  // STOPPING=1 on SIGINT.
  const auto dir = tempDir("serve-notify");
  const std::string sock = (dir / "notify.sock").string();
  const int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  REQUIRE(sock.size() < sizeof(addr.sun_path));
  std::copy(sock.begin(), sock.end(), addr.sun_path);
  REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  timeval tv{60, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    setenv("NOTIFY_SOCKET", sock.c_str(), 1);
    const std::string data = (dir / "data").string();
    const int null = open("/dev/null", O_WRONLY);
    dup2(null, 1);
    dup2(null, 2);
    execl(LIENTHONG_BINARY, LIENTHONG_BINARY, "serve", "--data", data.c_str(), "--port", "0",
          static_cast<char*>(nullptr));
    _exit(127);
  }
  const auto receive = [&] {
    std::array<char, 4096> buf{};
    const ssize_t n = recv(fd, buf.data(), buf.size(), 0);
    return n > 0 ? std::string(buf.data(), static_cast<std::size_t>(n)) : std::string();
  };
  const std::string ready = receive();
  kill(child, SIGINT);
  const std::string stopping = receive();
  int status = 0;
  waitpid(child, &status, 0);
  close(fd);
  INFO(ready);
  CHECK(ready.starts_with("READY=1\nMAINPID=" + std::to_string(child) + "\n"));
  CHECK(ready.find("STATUS=serving https://127.0.0.1:") != std::string::npos);
  CHECK(stopping == "STOPPING=1");
  CHECK((WIFEXITED(status) && WEXITSTATUS(status) == 0));
  std::filesystem::remove_all(dir);
}

TEST_CASE("a second lienthong serve on a port a node already listens on stops with an error instead of sharing it") {
  // Poco's address constructors set SO_REUSEPORT, with which both nodes bound and the kernel split
  // the connections between them.
  const auto dir = tempDir("serve-twice");
  const std::string first_out = (dir / "first.out").string();
  const std::string script =
      std::string(LIENTHONG_BINARY) + " serve --data " + (dir / "a").string() + " --port 0 > " + first_out +
      " 2>&1 & pid=$!\n"
      "for i in $(seq 1 300); do grep -q 'listening on' " + first_out + " && break; sleep 0.1; done\n"
      "port=$(sed -n 's/.*listening on https:\\/\\/127.0.0.1:\\([0-9]*\\).*/\\1/p' " + first_out + " | head -1)\n"
      "echo \"first port $port\"\n"
      "timeout -s INT 20 " + std::string(LIENTHONG_BINARY) + " serve --data " + (dir / "b").string() +
      " --port $port 2>&1; echo \"second exit $?\"\n"
      "kill -INT $pid; wait $pid\n";
  std::ofstream(dir / "twice.sh") << script;
  auto r = shell("bash " + (dir / "twice.sh").string());
  INFO(r.output);
  REQUIRE(r.output.find("first port ") != std::string::npos);
  CHECK(r.output.find("first port \n") == std::string::npos);
  CHECK(r.output.find("second exit 1\n") != std::string::npos);
  CHECK(r.output.find("Address already in use") != std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST_CASE("lienthong node retire refuses while the retiring node still runs, and says what it needs") {
  const auto dir = tempDir("retire");
  const std::string out = (dir / "serve.out").string();
  const std::string conf = (dir / "node.conf").string();
  const std::string script =
      "port=$(python3 -c 'import socket; s=socket.socket(); s.bind((\"127.0.0.1\",0)); print(s.getsockname()[1])')\n"
      "printf 'node.name = local\\nnode.listen = 127.0.0.1:%s\\nnode.data = " + (dir / "data").string() + "\\n' $port > " + conf + "\n" +
      std::string(LIENTHONG_BINARY) + " serve --data " + (dir / "data").string() + " --port $port > " + out +
      " 2>&1 & pid=$!\n"
      "for i in $(seq 1 300); do grep -q 'listening on' " + out + " && break; sleep 0.1; done\n" +
      std::string(LIENTHONG_BINARY) + " node retire --config " + conf + " --node https://127.0.0.1:9 --ca " +
      (dir / "data" / "pki" / "ca.pem").string() + "; echo \"running exit $?\"\n"
      "kill -INT $pid; wait $pid\n" +
      std::string(LIENTHONG_BINARY) + " node retire --config " + conf + "; echo \"no-node exit $?\"\n" +
      std::string(LIENTHONG_BINARY) + " node retire --config " + conf + " --node https://127.0.0.1:9 --ca " +
      (dir / "data" / "pki" / "ca.pem").string() + "; echo \"stopped exit $?\"\n" +
      std::string(LIENTHONG_BINARY) + " node frobnicate; echo \"usage exit $?\"\n";
  std::ofstream(dir / "retire.sh") << script;
  auto r = shell("bash " + (dir / "retire.sh").string());
  INFO(r.output);
  CHECK(r.output.find("node 'local' still listens on 127.0.0.1:") != std::string::npos);
  CHECK(r.output.find("running exit 1\n") != std::string::npos);
  CHECK(r.output.find("--node URL is required") != std::string::npos);
  CHECK(r.output.find("no-node exit 2\n") != std::string::npos);
  // Stopped, it goes on to ask the other node, which does not answer here.
  CHECK(r.output.find("stopped exit 1\n") != std::string::npos);
  CHECK(r.output.find("still listens", r.output.find("no-node exit")) == std::string::npos);
  CHECK(r.output.find("usage exit 2\n") != std::string::npos);
  std::filesystem::remove_all(dir);
}
