#include "lienthong/schemas/directory.h"

#include "lienthong/schemas/csv.h"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "lienthong/schemas/organ_id.h"
#include "lienthong/schemas/schema_set.h"
#include "lienthong/schemas/xml.h"

namespace lienthong::schemas {
namespace {

constexpr std::string_view kDirNs = "urn:lienthong:directory:1";

std::string trim(std::string s) {
  const auto a = s.find_first_not_of(" \t");
  if (a == std::string::npos) return {};
  return s.substr(a, s.find_last_not_of(" \t") - a + 1);
}

}  // namespace

std::string_view channelName(Channel c) {
  switch (c) {
    case Channel::Mailbox: return "mailbox";
    case Channel::Webhook: return "webhook";
    case Channel::Folder: return "folder";
    case Channel::Axis: return "axis";
    case Channel::Paper: return "paper";
  }
  return "mailbox";
}

Result<Channel> parseChannel(std::string_view text) {
  for (auto c : {Channel::Mailbox, Channel::Webhook, Channel::Folder, Channel::Axis, Channel::Paper}) {
    if (channelName(c) == text) return c;
  }
  return fail(ErrorCode::DirectoryInvalid, "channel '" + std::string(text) +
                                               "' is not one of mailbox, webhook, folder, axis, paper");
}

Result<Directory> Directory::loadFile(const std::string& path, const SchemaSet& schemas) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(ErrorCode::Io, "cannot open directory file '" + path + "'");
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string bytes = ss.str();
  auto dir = path.size() > 4 && path.substr(path.size() - 4) == ".csv" ? parseCsv(bytes)
                                                                        : parseXml(bytes, schemas);
  if (!dir) {
    Error e = dir.error();
    e.message = path + ": " + e.message;
    return std::unexpected(e);
  }
  return dir;
}

Result<Directory> Directory::parseXml(std::string_view bytes, const SchemaSet& schemas) {
  auto doc = XmlDocument::parse(bytes);
  if (!doc) return std::unexpected(doc.error());
  xmlNode* root = doc->root();
  if (!xml::is(root, kDirNs, "directory")) {
    return fail(ErrorCode::WrongNamespace,
                "directory root must be <directory xmlns=\"" + std::string(kDirNs) + "\">",
                xml::line(root), std::string(xml::name(root)));
  }
  if (auto v = schemas.validate(*doc, SchemaKind::Directory); !v) return std::unexpected(v.error());
  Directory d;
  d.version_ = xml::attribute(root, "version");
  for (xmlNode* c = xml::firstElement(root); c; c = xml::nextElement(c)) {
    if (xml::name(c) == "node") {
      d.nodes_.push_back({xml::attribute(c, "name"), xml::attribute(c, "parent"),
                          xml::attribute(c, "url")});
      continue;
    }
    Unit u;
    u.code = xml::attribute(c, "code");
    u.legacy_code = xml::attribute(c, "legacyCode");
    u.name = xml::attribute(c, "name");
    u.parent = xml::attribute(c, "parent");
    const std::string level = xml::attribute(c, "level");
    if (!level.empty() && (level.size() != 1 || level[0] < '1' || level[0] > '4')) {
      return fail(ErrorCode::DirectoryInvalid, "unit '" + u.code + "': level '" + level +
                                                   "' is not 1-4", xml::line(c), "unit");
    }
    u.level = level.empty() ? 0 : level[0] - '0';
    u.valid_from = xml::attribute(c, "validFrom");
    u.valid_to = xml::attribute(c, "validTo");
    u.successor = xml::attribute(c, "successor");
    u.home_node = xml::attribute(c, "homeNode");
    const std::string channel = xml::attribute(c, "channel");
    if (!channel.empty()) u.channel = *parseChannel(channel);  // the XSD enumerates them
    for (xmlNode* s = xml::firstElement(c); s; s = xml::nextElement(s)) {
      if (xml::name(s) == "earlier") {
        Unit::Earlier e;
        e.until = xml::attribute(s, "until");
        e.parent = xml::attribute(s, "parent");
        const std::string l = xml::attribute(s, "level");
        if (!l.empty() && (l.size() != 1 || l[0] < '1' || l[0] > '4')) {
          return fail(ErrorCode::DirectoryInvalid, "unit '" + u.code + "': earlier level '" + l + "' is not 1-4",
                      xml::line(s), "earlier");
        }
        e.level = l.empty() ? 0 : l[0] - '0';
        u.earlier.push_back(std::move(e));
        continue;
      }
      u.settings[xml::attribute(s, "name")] = xml::attribute(s, "value");
    }
    d.units_.push_back(std::move(u));
  }
  if (auto r = d.index(); !r) return std::unexpected(r.error());
  return d;
}

Result<Directory> Directory::parseCsv(std::string_view bytes) {
  if (!xml::isUtf8(bytes)) return fail(ErrorCode::InvalidUtf8, "csv: not UTF-8");
  auto split = csv::split(bytes, "csv");
  if (!split) return std::unexpected(split.error());
  auto& rows = *split;
  if (rows.empty()) return fail(ErrorCode::BadCsv, "csv: empty file");
  static const std::vector<std::string> kColumns = {"code", "legacy_code", "name", "parent",
                                                     "level", "valid_from", "valid_to",
                                                     "successor", "home_node", "channel"};
  const auto& head = rows.front();
  for (std::size_t i = 0; i < kColumns.size(); ++i) {
    if (i >= head.size() || trim(head[i]) != kColumns[i]) {
      return fail(ErrorCode::BadCsv, "csv: header column " + std::to_string(i + 1) + " must be '" +
                                         kColumns[i] + "'", 1);
    }
  }
  Directory d;
  d.version_ = "csv";
  for (std::size_t r = 1; r < rows.size(); ++r) {
    auto& row = rows[r];
    const int line = static_cast<int>(r + 1);
    if (row.size() < kColumns.size()) {
      return fail(ErrorCode::BadCsv, "csv: row has " + std::to_string(row.size()) + " columns, " +
                                         std::to_string(kColumns.size()) + " expected", line);
    }
    Unit u;
    u.code = trim(row[0]);
    u.legacy_code = trim(row[1]);
    u.name = trim(row[2]);
    u.parent = trim(row[3]);
    const std::string level = trim(row[4]);
    if (!level.empty()) {
      if (level.size() != 1 || level[0] < '1' || level[0] > '4') {
        return fail(ErrorCode::BadCsv, "csv: level '" + level + "' is not 1-4", line);
      }
      u.level = level[0] - '0';
    } else {
      u.level = 0;
    }
    u.valid_from = trim(row[5]);
    u.valid_to = trim(row[6]);
    u.successor = trim(row[7]);
    u.home_node = trim(row[8]);
    if (!trim(row[9]).empty()) {
      auto ch = parseChannel(trim(row[9]));
      if (!ch) return fail(ErrorCode::BadCsv, "csv: " + ch.error().message, line);
      u.channel = *ch;
    }
    // Optional 11th column: settings as name=value;name=value.
    if (row.size() > 10) {
      std::stringstream ss(row[10]);
      std::string kv;
      while (std::getline(ss, kv, ';')) {
        const auto eq = kv.find('=');
        if (kv.empty()) continue;
        if (eq == std::string::npos) {
          return fail(ErrorCode::BadCsv, "csv: setting '" + kv + "' is not name=value", line);
        }
        u.settings[trim(kv.substr(0, eq))] = trim(kv.substr(eq + 1));
      }
    }
    if (u.code.empty() || u.name.empty() || u.home_node.empty()) {
      return fail(ErrorCode::BadCsv, "csv: code, name and home_node are required", line);
    }
    d.units_.push_back(std::move(u));
  }
  if (auto r = d.index(); !r) return std::unexpected(r.error());
  return d;
}

Result<Directory> Directory::fromUnits(std::string version, std::vector<NodeInfo> nodes,
                                       std::vector<Unit> units) {
  Directory d;
  d.version_ = std::move(version);
  d.nodes_ = std::move(nodes);
  d.units_ = std::move(units);
  if (auto r = d.index(); !r) return std::unexpected(r.error());
  return d;
}

Result<void> Directory::index() {
  auto invalid = [](std::string msg) { return fail(ErrorCode::DirectoryInvalid, std::move(msg)); };
  std::set<std::string> node_names;
  for (const auto& n : nodes_) {
    if (!node_names.insert(n.name).second) return invalid("node '" + n.name + "' is listed twice");
  }
  for (const auto& n : nodes_) {
    if (!n.parent.empty() && !node_names.contains(n.parent)) {
      return invalid("node '" + n.name + "' names unknown parent node '" + n.parent + "'");
    }
  }
  for (std::size_t i = 0; i < units_.size(); ++i) {
    Unit& u = units_[i];
    auto id = OrganId::parse(u.code);
    if (!id) return invalid("unit '" + u.name + "': " + id.error().message);
    if (!u.legacy_code.empty()) {
      auto legacy = OrganId::parse(u.legacy_code);
      if (!legacy) return invalid("unit '" + u.code + "' legacy code: " + legacy.error().message);
    }
    if (u.level == 0) u.level = id->level();
    if (!by_code_.emplace(id->key(), i).second) return invalid("code '" + u.code + "' is listed twice");
    if (!u.legacy_code.empty() && !by_code_.emplace(organKey(u.legacy_code), i).second) {
      return invalid("legacy code '" + u.legacy_code + "' is listed twice");
    }
    if (!nodes_.empty() && !node_names.contains(u.home_node)) {
      return invalid("unit '" + u.code + "' has unknown home node '" + u.home_node + "'");
    }
  }
  for (auto& u : units_) {
    if (u.parent.empty()) {
      // Derive the parent from the code when the directory holds it.
      if (auto p = OrganId::parse(u.code)->parent(); p && by_code_.contains(p->key())) {
        u.parent = p->str();
      }
    } else if (!by_code_.contains(organKey(u.parent))) {
      return invalid("unit '" + u.code + "' names unknown parent '" + u.parent + "'");
    }
    if (!u.successor.empty() && !by_code_.contains(organKey(u.successor))) {
      return invalid("unit '" + u.code + "' names unknown successor '" + u.successor + "'");
    }
    std::sort(u.earlier.begin(), u.earlier.end(), [](const auto& a, const auto& b) { return a.until < b.until; });
    for (std::size_t k = 0; k < u.earlier.size(); ++k) {
      auto& e = u.earlier[k];
      const std::string where = "unit '" + u.code + "': earlier period until '" + e.until + "'";
      if (e.until.size() != 10 || e.until[4] != '-' || e.until[7] != '-') return invalid(where + ": not a yyyy-mm-dd date");
      if (k > 0 && u.earlier[k - 1].until == e.until) return invalid(where + ": listed twice");
      if (!u.valid_to.empty() && e.until >= u.valid_to) {
        return invalid(where + ": not before the unit's validTo " + u.valid_to);
      }
      if (!e.parent.empty() && !by_code_.contains(organKey(e.parent))) {
        return invalid(where + ": unknown parent '" + e.parent + "'");
      }
      if (organKey(e.parent) == organKey(u.code)) return invalid(where + ": the unit is its own parent");
      if (e.level == 0) e.level = u.level;
    }
  }
  // Successor chains must end.
  for (const auto& u : units_) {
    const Unit* cur = &u;
    for (std::size_t steps = 0; !cur->successor.empty(); ++steps) {
      if (steps > units_.size()) return invalid("successors of '" + u.code + "' form a cycle");
      cur = &units_[by_code_.find(organKey(cur->successor))->second];
    }
  }
  return {};
}

const Unit* Directory::find(std::string_view code) const {
  // Most codes are already upper case: look them up without a copy.
  const bool lower = std::any_of(code.begin(), code.end(), [](char c) { return c >= 'a' && c <= 'z'; });
  auto it = lower ? by_code_.find(organKey(code)) : by_code_.find(code);
  return it == by_code_.end() ? nullptr : &units_[it->second];
}

Result<const Unit*> Directory::resolve(std::string_view code, std::string_view date) const {
  const Unit* u = find(code);
  if (!u) {
    return fail(ErrorCode::UnknownUnit,
                "organization code '" + std::string(code) + "' is not in the directory (version " +
                    version_ + ")");
  }
  while (!u->successor.empty() && (u->closedOn(date) || u->valid_to.empty())) {
    u = find(u->successor);
  }
  return u;
}

const NodeInfo* Directory::node(std::string_view name) const {
  for (const auto& n : nodes_) {
    if (n.name == name) return &n;
  }
  return nullptr;
}

std::vector<const Unit*> Directory::children(std::string_view code) const {
  std::vector<const Unit*> out;
  const std::string key = organKey(code);
  for (const auto& u : units_) {
    if (!u.parent.empty() && organKey(u.parent) == key) out.push_back(&u);
  }
  return out;
}

std::vector<const Unit*> Directory::childrenOn(std::string_view code, std::string_view date) const {
  if (date.empty()) return children(code);
  std::vector<const Unit*> out;
  const std::string key = organKey(code);
  for (const auto& u : units_) {
    const std::string& p = u.parentOn(date);
    if (!p.empty() && organKey(p) == key) out.push_back(&u);
  }
  return out;
}

const std::string& Unit::parentOn(std::string_view date) const {
  if (!date.empty()) {
    for (const auto& e : earlier) {
      if (date <= e.until) return e.parent;
    }
  }
  return parent;
}

int Unit::levelOn(std::string_view date) const {
  if (!date.empty()) {
    for (const auto& e : earlier) {
      if (date <= e.until) return e.level;
    }
  }
  return level;
}

const Unit* Directory::topUnitOf(std::string_view node) const {
  // A unit still open comes before a closed one: after a reorganisation a node's old top unit
  // (a dissolved district) is closed and its communes' successors act for it.
  const Unit* closed = nullptr;
  for (const auto& u : units_) {
    if (u.home_node != node) continue;
    const Unit* parent = u.parent.empty() ? nullptr : find(u.parent);
    if (parent != nullptr && parent->home_node == node) continue;
    if (u.valid_to.empty()) return &u;
    if (closed == nullptr) closed = &u;
  }
  return closed;
}

std::string Directory::nodeStepToward(std::string_view ancestor, std::string_view node) const {
  // Walks up from `node`; the node tree is checked acyclic when the directory is indexed, and
  // the walk is bounded by the number of nodes anyway.
  std::string current(node);
  for (std::size_t steps = 0; steps <= nodes_.size(); ++steps) {
    const NodeInfo* n = this->node(current);
    if (n == nullptr || n->parent.empty()) return {};
    if (n->parent == ancestor) return current;
    current = n->parent;
  }
  return {};
}

std::string Directory::toXml() const {
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<directory xmlns=\"";
  out += kDirNs;
  out += "\" version=\"";
  xml::appendEscaped(out, version_);
  out += "\">\n";
  auto attr = [&](std::string_view name, std::string_view value) {
    if (value.empty()) return;
    out += ' ';
    out += name;
    out += "=\"";
    xml::appendEscaped(out, value);
    out += '"';
  };
  for (const auto& n : nodes_) {
    out += "  <node";
    attr("name", n.name);
    attr("parent", n.parent);
    attr("url", n.url);
    out += "/>\n";
  }
  for (const auto& u : units_) {
    out += "  <unit";
    attr("code", u.code);
    attr("legacyCode", u.legacy_code);
    attr("name", u.name);
    attr("parent", u.parent);
    attr("level", std::to_string(u.level));
    attr("validFrom", u.valid_from);
    attr("validTo", u.valid_to);
    attr("successor", u.successor);
    attr("homeNode", u.home_node);
    attr("channel", channelName(u.channel));
    if (u.settings.empty() && u.earlier.empty()) {
      out += "/>\n";
      continue;
    }
    out += ">\n";
    for (const auto& e : u.earlier) {
      out += "    <earlier";
      attr("until", e.until);
      attr("parent", e.parent);
      attr("level", std::to_string(e.level));
      out += "/>\n";
    }
    for (const auto& [k, v] : u.settings) {
      out += "    <setting";
      attr("name", k);
      attr("value", v);
      out += "/>\n";
    }
    out += "  </unit>\n";
  }
  out += "</directory>\n";
  return out;
}

}  // namespace lienthong::schemas
