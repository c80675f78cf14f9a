#include "lienthong/adapters/folder_adapter.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <set>

#include "inbound_check.h"

namespace lienthong::adapters {
namespace fs = std::filesystem;

namespace {

constexpr std::string_view kSuffix = ".edxml";

std::string errnoText(int err) { return std::strerror(err); }

// Owns a POSIX file descriptor.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  // Closes now, reporting the error close() gives (a late write failure on some file systems).
  int release() {
    const int rc = ::close(fd_);
    fd_ = -1;
    return rc;
  }
  // Gives up ownership without closing.
  int take() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }
  Fd(Fd&& other) noexcept : fd_(other.take()) {}

 private:
  int fd_;
};

// The folder pair belongs to the DMS, which may plant symbolic links in it: every folder is
// opened with O_NOFOLLOW and every file is opened, renamed and removed relative to its folder's
// descriptor, temp files with O_EXCL under unique names, so no link makes the node write,
// truncate or read a file outside the folder.
Result<Fd> openDir(const fs::path& dir) {
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (fd.get() < 0) {
    const int err = errno;
    return fail(ErrorCode::Io, "cannot open folder " + dir.string() + ": " +
                                   (err == ELOOP || err == ENOTDIR ? "it is a symbolic link or not a folder"
                                                                    : errnoText(err)));
  }
  return Result<Fd>(std::in_place, fd.take());
}

// Writes `bytes` to `dir/tmp_name` (created exclusively, never through a link), syncs, renames
// it to `dir/final_name` and syncs the folder.
Result<void> writeAtomically(const fs::path& dir, const std::string& tmp_name,
                             const std::string& final_name, std::string_view bytes) {
  const fs::path tmp = dir / tmp_name;
  const fs::path dest = dir / final_name;
  auto dir_fd = openDir(dir);
  if (!dir_fd) return std::unexpected(dir_fd.error());
  {
    Fd fd(::openat(dir_fd->get(), tmp_name.c_str(),
                   O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
    if (fd.get() < 0) {
      return fail(ErrorCode::Io, "cannot create " + tmp.string() + ": " + errnoText(errno));
    }
    std::size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t n = ::write(fd.get(), bytes.data() + done, bytes.size() - done);
      if (n < 0) {
        if (errno == EINTR) continue;
        const int err = errno;
        ::unlinkat(dir_fd->get(), tmp_name.c_str(), 0);
        return fail(ErrorCode::Io, "cannot write " + tmp.string() + ": " + errnoText(err));
      }
      done += static_cast<std::size_t>(n);
    }
    if (::fsync(fd.get()) != 0 || fd.release() != 0) {
      const int err = errno;
      ::unlinkat(dir_fd->get(), tmp_name.c_str(), 0);
      return fail(ErrorCode::Io, "cannot sync " + tmp.string() + ": " + errnoText(err));
    }
  }
  // rename() replaces a link planted at the final name; it never writes through it.
  if (::renameat(dir_fd->get(), tmp_name.c_str(), dir_fd->get(), final_name.c_str()) != 0) {
    const int err = errno;
    ::unlinkat(dir_fd->get(), tmp_name.c_str(), 0);
    return fail(ErrorCode::Io, "cannot rename " + tmp.string() + " to " + dest.string() + ": " +
                                   errnoText(err));
  }
  ::fsync(dir_fd->get());
  return {};
}

// Reads a regular file of `dir` (never through a link, never a FIFO or a device).
Result<std::string> readFile(const fs::path& dir, const std::string& name, std::size_t max_bytes) {
  const fs::path path = dir / name;
  auto dir_fd = openDir(dir);
  if (!dir_fd) return std::unexpected(dir_fd.error());
  Fd fd(::openat(dir_fd->get(), name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (fd.get() < 0) {
    const int err = errno;
    if (err == ELOOP) return fail(ErrorCode::InvalidArgument, path.string() + " is a symbolic link, not a file");
    return fail(ErrorCode::Io, "cannot open " + path.string() + ": " + errnoText(err));
  }
  struct stat st{};
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return fail(ErrorCode::InvalidArgument, path.string() + " is not a regular file");
  }
  std::string bytes;
  char buffer[65536];
  while (true) {
    const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(ErrorCode::Io, "cannot read " + path.string() + ": " + errnoText(errno));
    }
    if (n == 0) break;
    bytes.append(buffer, static_cast<std::size_t>(n));
    if (bytes.size() > max_bytes) {
      return fail(ErrorCode::TooLarge, "file is larger than " + std::to_string(max_bytes) + " bytes");
    }
  }
  return bytes;
}

// Atomic rename of `from_dir/from` to `to_dir/to` that never replaces an existing file (a link
// is moved as a link). ENOENT/EEXIST are returned as errno values for the caller to act on; 0 on
// success.
int renameNoReplace(const fs::path& from_dir, const std::string& from, const fs::path& to_dir,
                    const std::string& to) {
  Fd a(::open(from_dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (a.get() < 0) return errno == ENOENT ? ENOTDIR : errno;
  Fd b(::open(to_dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (b.get() < 0) return errno == ENOENT ? ENOTDIR : errno;
  if (::renameat2(a.get(), from.c_str(), b.get(), to.c_str(), RENAME_NOREPLACE) == 0) return 0;
  return errno;
}

std::string sanitize(std::string_view text, std::size_t max) {
  std::string out;
  for (const char c : text) {
    if (out.size() >= max) break;
    const bool keep = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '-' || c == '_';
    out.push_back(keep ? c : '_');
  }
  return out;
}

bool isCandidate(const std::string& name) {
  return name.size() > kSuffix.size() && name.ends_with(kSuffix) && !name.starts_with(".");
}

}  // namespace

struct FolderAdapter::Impl {
  FolderSettings settings;
  std::shared_ptr<const schemas::SchemaSet> schemas;
  Clock clock;
  fs::path in, out, rejected, processing;
  std::atomic<std::uint64_t> counter{0};

  std::mutex mu;                // guards open and recovered
  std::set<std::string> open;   // processing/ names returned by poll and not settled yet
  bool recovered = false;       // processing/ leftovers already returned by this instance

  std::string unique() {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        clock().time_since_epoch())
                        .count();
    return std::to_string(ms) + "-" + std::to_string(::getpid()) + "-" +
           std::to_string(counter.fetch_add(1));
  }

  // "<unique>~<original>" -> "<original>"
  static std::string originalName(const std::string& processing_name) {
    const auto tilde = processing_name.find('~');
    return tilde == std::string::npos ? processing_name : processing_name.substr(tilde + 1);
  }

  // Moves `from` into rejected/ under `original` (or a unique variant) and writes the reason
  // beside it. The stage says who refused it: "check" (this adapter) or "gateway".
  Result<void> reject(const fs::path& from, const std::string& original, const Error& reason,
                      std::string_view stage) {
    std::string name = original;
    int err = renameNoReplace(from.parent_path(), from.filename().string(), rejected, name);
    while (err == EEXIST) {
      name = original.substr(0, original.size() - std::min(original.size(), kSuffix.size())) +
             "." + unique() + std::string(kSuffix);
      err = renameNoReplace(from.parent_path(), from.filename().string(), rejected, name);
    }
    if (err != 0) {
      return fail(ErrorCode::Io, "cannot move " + from.string() + " to " + rejected.string() +
                                     ": " + errnoText(err));
    }
    const std::string json = detail::errorJson(
        reason, {{"file", original},
                 {"stage", std::string(stage)},
                 {"rejected_at", detail::isoTime(clock())},
                 {"rejected_as", name}});
    return writeAtomically(rejected, "." + name + "." + unique() + ".error.json.tmp",
                           name + ".error.json", json);
  }

  // Reads and checks a file now in processing/; refused files go to rejected/ and yield nullopt.
  Result<std::optional<Inbound>> take(const std::string& processing_name) {
    const fs::path file = processing / processing_name;
    const std::string original = originalName(processing_name);
    auto bytes = readFile(processing, processing_name, settings.max_bytes);
    Result<Inbound> item = bytes ? detail::inspectInbound(std::move(*bytes), *schemas)
                                 : std::unexpected(bytes.error());
    if (!item) {
      if (item.error().code == ErrorCode::Io) return std::unexpected(item.error());
      auto moved = reject(file, original, item.error(), "check");
      if (!moved) return std::unexpected(moved.error());
      return std::optional<Inbound>{};
    }
    item->ref = processing_name;
    item->origin = "folder " + (in / original).string();
    return std::optional<Inbound>(std::move(*item));
  }
};

FolderAdapter::FolderAdapter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
FolderAdapter::~FolderAdapter() = default;

Result<std::unique_ptr<FolderAdapter>> FolderAdapter::create(
    FolderSettings settings, std::shared_ptr<const schemas::SchemaSet> schemas, Clock clock) {
  if (!schemas) return fail(ErrorCode::InvalidArgument, "folder adapter needs the schema set");
  std::error_code ec;
  const fs::path root(settings.path);
  if (settings.path.empty() || !fs::is_directory(root, ec)) {
    return fail(ErrorCode::Config, "folder path '" + settings.path + "' is not an existing folder");
  }
  if (settings.quiet_ms < 0) return fail(ErrorCode::Config, "folder quiet_ms must be >= 0");
  auto impl = std::make_unique<Impl>();
  impl->in = root / "in";
  impl->out = root / "out";
  impl->rejected = root / "rejected";
  impl->processing = root / "processing";
  for (const auto& dir : {impl->in, impl->out, impl->rejected, impl->processing}) {
    fs::create_directories(dir, ec);
    if (ec) return fail(ErrorCode::Io, "cannot create folder " + dir.string() + ": " + ec.message());
  }
  impl->settings = std::move(settings);
  impl->schemas = std::move(schemas);
  impl->clock = std::move(clock);
  return std::unique_ptr<FolderAdapter>(new FolderAdapter(std::move(impl)));
}

std::string FolderAdapter::outName(const Delivery& delivery) {
  return std::to_string(delivery.id) + "-" +
         (delivery.kind == schemas::MessageKind::Status ? "status" : "document") + "-" +
         sanitize(delivery.document_id, 100) + std::string(kSuffix);
}

DeliveryResult FolderAdapter::deliver(const Delivery& delivery) {
  const std::string name = outName(delivery);
  const std::string tmp = "." + name + "." + impl_->unique() + ".tmp";
  auto written = writeAtomically(impl_->out, tmp, name, delivery.bytes);
  if (!written) return DeliveryResult::retryLater(written.error());
  return DeliveryResult::delivered();
}

Result<std::vector<Inbound>> FolderAdapter::poll(std::size_t max_items) {
  std::vector<Inbound> items;
  std::error_code ec;

  bool recover = false;
  {
    std::lock_guard lock(impl_->mu);
    recover = !impl_->recovered;
    impl_->recovered = true;
  }
  if (recover) {
    std::vector<std::string> leftovers;
    for (const auto& entry : fs::directory_iterator(impl_->processing, ec)) {
      const std::string name = entry.path().filename().string();
      if (entry.is_regular_file(ec) && isCandidate(name)) leftovers.push_back(name);
    }
    if (ec) {
      return fail(ErrorCode::Io, "cannot list " + impl_->processing.string() + ": " + ec.message());
    }
    std::sort(leftovers.begin(), leftovers.end());
    for (const auto& name : leftovers) {
      if (items.size() >= max_items) break;
      {
        std::lock_guard lock(impl_->mu);
        if (!impl_->open.insert(name).second) continue;
      }
      auto item = impl_->take(name);
      if (!item || !*item) {
        std::lock_guard lock(impl_->mu);
        impl_->open.erase(name);
        if (!item) return std::unexpected(item.error());
        continue;
      }
      items.push_back(std::move(**item));
    }
  }

  struct Candidate {
    std::int64_t mtime_ns;
    std::string name;
  };
  std::vector<Candidate> candidates;
  const auto now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          impl_->clock().time_since_epoch())
                          .count();
  const std::int64_t quiet_ns = static_cast<std::int64_t>(impl_->settings.quiet_ms) * 1'000'000;
  for (const auto& entry : fs::directory_iterator(impl_->in, ec)) {
    const std::string name = entry.path().filename().string();
    if (!isCandidate(name)) continue;
    struct stat st{};
    if (::lstat(entry.path().c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    const std::int64_t mtime_ns =
        static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
    if (now_ns - mtime_ns < quiet_ns) continue;  // may still be written to
    candidates.push_back({mtime_ns, name});
  }
  if (ec) return fail(ErrorCode::Io, "cannot list " + impl_->in.string() + ": " + ec.message());
  std::sort(candidates.begin(), candidates.end(), [](const Candidate& a, const Candidate& b) {
    return a.mtime_ns != b.mtime_ns ? a.mtime_ns < b.mtime_ns : a.name < b.name;
  });

  for (const auto& candidate : candidates) {
    if (items.size() >= max_items) break;
    std::string claimed;
    int err = EEXIST;
    while (err == EEXIST) {
      claimed = impl_->unique() + "~" + candidate.name;
      err = renameNoReplace(impl_->in, candidate.name, impl_->processing, claimed);
    }
    if (err == ENOENT) continue;  // another adapter took it first
    if (err != 0) {
      return fail(ErrorCode::Io, "cannot move " + (impl_->in / candidate.name).string() + " to " +
                                     impl_->processing.string() + ": " + errnoText(err));
    }
    {
      std::lock_guard lock(impl_->mu);
      impl_->open.insert(claimed);
    }
    auto item = impl_->take(claimed);
    if (!item || !*item) {
      std::lock_guard lock(impl_->mu);
      impl_->open.erase(claimed);
      if (!item) return std::unexpected(item.error());
      continue;
    }
    items.push_back(std::move(**item));
  }
  return items;
}

Result<void> FolderAdapter::settle(const std::string& ref, const Verdict& verdict) {
  {
    std::lock_guard lock(impl_->mu);
    if (!impl_->open.contains(ref)) {
      return fail(ErrorCode::NotFound, "folder adapter has no open item '" + ref + "'");
    }
  }
  const fs::path file = impl_->processing / ref;
  Result<void> done;
  if (verdict.accepted) {
    auto dir_fd = openDir(impl_->processing);
    if (!dir_fd) {
      done = std::unexpected(dir_fd.error());
    } else if (::unlinkat(dir_fd->get(), ref.c_str(), 0) != 0 && errno != ENOENT) {
      done = fail(ErrorCode::Io, "cannot remove " + file.string() + ": " + errnoText(errno));
    }
  } else {
    done = impl_->reject(file, Impl::originalName(ref), verdict.reason, "gateway");
  }
  if (done) {
    std::lock_guard lock(impl_->mu);
    impl_->open.erase(ref);
  }
  return done;
}

}  // namespace lienthong::adapters
