#include "lienthong/adapters/factory.h"

#include <charconv>
#include <fstream>
#include <set>
#include <sstream>

#include "lienthong/adapters/axis_client.h"
#include "lienthong/adapters/folder_adapter.h"
#include "lienthong/adapters/webhook_adapter.h"

namespace lienthong::adapters {
namespace {

// Reads one unit's settings, each error naming the unit, the channel and the setting.
class SettingsReader {
 public:
  SettingsReader(const schemas::Unit& unit)
      : unit_(unit), prefix_("unit " + unit.code + " (" +
                             std::string(schemas::channelName(unit.channel)) + "): ") {}

  Error bad(const std::string& name, const std::string& why) const {
    return {ErrorCode::Config, prefix_ + "setting '" + name + "' " + why, 0, name};
  }

  Result<void> onlyKnown(const std::set<std::string>& known) const {
    for (const auto& [name, value] : unit_.settings) {
      if (!known.contains(name)) {
        std::string list;
        for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
        return std::unexpected(bad(name, "is not known (known settings: " + list + ")"));
      }
    }
    return {};
  }

  const std::string* find(const std::string& name) const {
    const auto it = unit_.settings.find(name);
    return it == unit_.settings.end() ? nullptr : &it->second;
  }

  Result<std::string> required(const std::string& name) const {
    const auto* v = find(name);
    if (!v || v->empty()) return std::unexpected(bad(name, "is missing"));
    return *v;
  }

  std::string optional(const std::string& name) const {
    const auto* v = find(name);
    return v ? *v : std::string{};
  }

  Result<long long> integer(const std::string& name, long long fallback, long long min,
                            long long max) const {
    const auto* v = find(name);
    if (!v) return fallback;
    long long value = 0;
    const auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), value);
    if (ec != std::errc() || end != v->data() + v->size()) {
      return std::unexpected(bad(name, "must be a whole number, not '" + *v + "'"));
    }
    if (value < min || value > max) {
      return std::unexpected(bad(name, "must be between " + std::to_string(min) + " and " +
                                           std::to_string(max) + ", not " + *v));
    }
    return value;
  }

  Result<bool> flag(const std::string& name) const {
    const auto* v = find(name);
    if (!v || *v == "false") return false;
    if (*v == "true") return true;
    return std::unexpected(bad(name, "must be true or false, not '" + *v + "'"));
  }

  // secret or secret_file, exactly one, at least 16 characters.
  Result<std::string> secret() const {
    const auto* inline_secret = find("secret");
    const auto* file = find("secret_file");
    if (inline_secret && file) {
      return std::unexpected(bad("secret", "and 'secret_file' are both set; keep one"));
    }
    std::string value;
    std::string name = "secret";
    if (file) {
      name = "secret_file";
      std::ifstream in(*file, std::ios::binary);
      if (!in) return std::unexpected(bad(name, "names '" + *file + "', which cannot be read"));
      std::ostringstream text;
      text << in.rdbuf();
      value = text.str();
      while (!value.empty() && (value.back() == '\n' || value.back() == '\r')) value.pop_back();
    } else if (inline_secret) {
      value = *inline_secret;
    } else {
      return std::unexpected(bad("secret", "is missing (set 'secret' or 'secret_file')"));
    }
    if (value.size() < 16) return std::unexpected(bad(name, "must be at least 16 characters"));
    return value;
  }

  const schemas::Unit& unit() const { return unit_; }

  // An error from an adapter's create(), put in terms of this unit.
  Error wrap(const Error& e, const std::string& setting) const {
    return {e.code, prefix_ + "setting '" + setting + "': " + e.message, 0, setting};
  }

 private:
  const schemas::Unit& unit_;
  std::string prefix_;
};

Result<std::unique_ptr<Adapter>> makeWebhook(const SettingsReader& r, const AdapterContext& ctx) {
  if (auto ok = r.onlyKnown({"url", "secret", "secret_file", "timeout_ms", "ca_file", "allow_http"});
      !ok) {
    return std::unexpected(ok.error());
  }
  WebhookSettings s;
  auto url = r.required("url");
  if (!url) return std::unexpected(url.error());
  auto secret = r.secret();
  if (!secret) return std::unexpected(secret.error());
  auto timeout = r.integer("timeout_ms", 10000, 100, 600000);
  if (!timeout) return std::unexpected(timeout.error());
  auto allow_http = r.flag("allow_http");
  if (!allow_http) return std::unexpected(allow_http.error());
  s.url = *url;
  s.secret = *secret;
  s.timeout_ms = static_cast<int>(*timeout);
  s.ca_file = r.optional("ca_file");
  s.allow_http = *allow_http;
  auto adapter = WebhookAdapter::create(std::move(s), ctx.clock);
  if (!adapter) return std::unexpected(r.wrap(adapter.error(), "url"));
  return std::unique_ptr<Adapter>(std::move(*adapter));
}

Result<std::unique_ptr<Adapter>> makeFolder(const SettingsReader& r, const AdapterContext& ctx) {
  if (auto ok = r.onlyKnown({"path", "quiet_ms", "max_bytes"}); !ok) {
    return std::unexpected(ok.error());
  }
  FolderSettings s;
  auto path = r.required("path");
  if (!path) return std::unexpected(path.error());
  auto quiet = r.integer("quiet_ms", 2000, 0, 3600000);
  if (!quiet) return std::unexpected(quiet.error());
  auto max_bytes = r.integer("max_bytes", 100ll << 20, 1, 1ll << 32);
  if (!max_bytes) return std::unexpected(max_bytes.error());
  s.path = *path;
  s.quiet_ms = static_cast<int>(*quiet);
  s.max_bytes = static_cast<std::size_t>(*max_bytes);
  auto adapter = FolderAdapter::create(std::move(s), ctx.schemas, ctx.clock);
  if (!adapter) return std::unexpected(r.wrap(adapter.error(), "path"));
  return std::unique_ptr<Adapter>(std::move(*adapter));
}

Result<std::unique_ptr<Adapter>> makeAxis(const SettingsReader& r, const AdapterContext& ctx) {
  if (auto ok = r.onlyKnown({"url", "client_id", "secret", "secret_file", "organ_id",
                             "timeout_ms", "ca_file", "allow_http", "max_bytes"});
      !ok) {
    return std::unexpected(ok.error());
  }
  AxisClientSettings s;
  auto url = r.required("url");
  if (!url) return std::unexpected(url.error());
  auto client_id = r.required("client_id");
  if (!client_id) return std::unexpected(client_id.error());
  auto secret = r.secret();
  if (!secret) return std::unexpected(secret.error());
  auto timeout = r.integer("timeout_ms", 10000, 100, 600000);
  if (!timeout) return std::unexpected(timeout.error());
  auto allow_http = r.flag("allow_http");
  if (!allow_http) return std::unexpected(allow_http.error());
  auto max_bytes = r.integer("max_bytes", 100ll << 20, 1, 1ll << 32);
  if (!max_bytes) return std::unexpected(max_bytes.error());
  s.url = *url;
  s.client_id = *client_id;
  s.secret = *secret;
  // The unit this channel stands for: what the axis lists as sent by it is collected here.
  if (const auto organ = r.optional("organ_id"); !organ.empty()) {
    s.organ_ids = {organ};
  } else {
    s.organ_ids = {r.unit().code};
    if (!r.unit().legacy_code.empty()) s.organ_ids.push_back(r.unit().legacy_code);
  }
  s.timeout_ms = static_cast<int>(*timeout);
  s.ca_file = r.optional("ca_file");
  s.allow_http = *allow_http;
  s.max_bytes = static_cast<std::size_t>(*max_bytes);
  auto adapter = AxisClient::create(std::move(s), ctx.schemas, ctx.clock);
  if (!adapter) return std::unexpected(r.wrap(adapter.error(), "url"));
  return std::unique_ptr<Adapter>(std::move(*adapter));
}

}  // namespace

Result<std::unique_ptr<Adapter>> makeAdapter(const schemas::Unit& unit,
                                             const AdapterContext& context) {
  if (!context.schemas) {
    return fail(ErrorCode::InvalidArgument, "makeAdapter needs the schema set");
  }
  const SettingsReader reader(unit);
  switch (unit.channel) {
    case schemas::Channel::Webhook: return makeWebhook(reader, context);
    case schemas::Channel::Folder: return makeFolder(reader, context);
    case schemas::Channel::Axis: return makeAxis(reader, context);
    case schemas::Channel::Mailbox:
    case schemas::Channel::Paper: break;
  }
  return fail(ErrorCode::InvalidArgument,
              "unit " + unit.code + " uses the " + std::string(schemas::channelName(unit.channel)) +
                  " channel, which has no adapter");
}

}  // namespace lienthong::adapters
