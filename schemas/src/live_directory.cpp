#include "lienthong/schemas/live_directory.h"

#include <map>

namespace lienthong::schemas {

LiveDirectory::LiveDirectory(std::shared_ptr<const Directory> initial)
    : current_(std::move(initial)) {}

std::shared_ptr<const Directory> LiveDirectory::current() const {
  std::lock_guard lock(mu_);
  return current_;
}

void LiveDirectory::replace(std::shared_ptr<const Directory> next) {
  std::lock_guard lock(mu_);
  current_ = std::move(next);
}

namespace {

template <typename T, typename Key>
std::map<std::string, const T*> byKey(const std::vector<T>& items, Key key) {
  std::map<std::string, const T*> out;
  for (const auto& i : items) out[key(i)] = &i;
  return out;
}

std::string arrow(const std::string& a, const std::string& b) {
  return (a.empty() ? "(none)" : a) + " -> " + (b.empty() ? "(none)" : b);
}

}  // namespace

std::vector<std::string> directoryChanges(const Directory& before,
                                          const Directory& after) {
  std::vector<std::string> out;
  const auto unit_key = [](const schemas::Unit& u) { return u.code; };
  const auto old_units = byKey(before.units(), unit_key);
  const auto new_units = byKey(after.units(), unit_key);
  for (const auto& [code, u] : new_units) {
    auto it = old_units.find(code);
    if (it == old_units.end()) {
      out.push_back("added " + code + " (" + u->name + "), " + std::string(schemas::channelName(u->channel)) +
                    " at node '" + u->home_node + "'");
      continue;
    }
    const schemas::Unit& o = *it->second;
    const auto changed = [&](const std::string& what, const std::string& a, const std::string& b) {
      if (a != b) out.push_back(code + ": " + what + " " + arrow(a, b));
    };
    changed("channel", std::string(schemas::channelName(o.channel)),
            std::string(schemas::channelName(u->channel)));
    changed("home node", o.home_node, u->home_node);
    changed("name", o.name, u->name);
    changed("parent", o.parent, u->parent);
    changed("legacy code", o.legacy_code, u->legacy_code);
    changed("valid to", o.valid_to, u->valid_to);
    changed("successor", o.successor, u->successor);
    if (o.channel == u->channel && o.settings != u->settings) {
      out.push_back(code + ": " + std::string(schemas::channelName(u->channel)) + " settings changed");
    }
  }
  for (const auto& [code, u] : old_units) {
    if (!new_units.contains(code)) out.push_back("removed " + code + " (" + u->name + ")");
  }
  const auto node_key = [](const schemas::NodeInfo& n) { return n.name; };
  const auto old_nodes = byKey(before.nodes(), node_key);
  const auto new_nodes = byKey(after.nodes(), node_key);
  for (const auto& [name, n] : new_nodes) {
    auto it = old_nodes.find(name);
    if (it == old_nodes.end()) {
      out.push_back("added node '" + name + "'");
      continue;
    }
    if (it->second->url != n->url) out.push_back("node '" + name + "': url " + arrow(it->second->url, n->url));
    if (it->second->parent != n->parent) {
      out.push_back("node '" + name + "': parent " + arrow(it->second->parent, n->parent));
    }
  }
  for (const auto& [name, n] : old_nodes) {
    if (!new_nodes.contains(name)) out.push_back("removed node '" + name + "'");
  }
  return out;
}

}  // namespace lienthong::schemas
