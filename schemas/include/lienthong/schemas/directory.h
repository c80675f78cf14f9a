// The organization directory: which gateway nodes exist and, for each unit (OrganId), its legacy
// code, name, parent, level, validity, successor, home node and delivery channel. Codes are
// versioned data: a closed code resolves to its successor. Loaded from an XML file checked by
// directory.xsd, or from CSV. Immutable after loading; thread-safe to read.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "lienthong/schemas/error.h"

namespace lienthong::schemas {

class SchemaSet;

enum class Channel { Mailbox, Webhook, Folder, Axis, Paper };
std::string_view channelName(Channel c);
Result<Channel> parseChannel(std::string_view text);

struct Unit {
  std::string code;         // current form, or legacy when the unit has only that
  std::string legacy_code;  // QCVN 102:2016 form, may be empty
  std::string name;
  std::string parent;  // parent unit code, empty at the top
  int level = 1;
  std::string valid_from;  // yyyy-mm-dd, empty = always
  std::string valid_to;    // yyyy-mm-dd, empty = open
  std::string successor;   // code that replaces this one once closed
  std::string home_node;   // name of the gateway node that serves the unit
  Channel channel = Channel::Mailbox;
  std::map<std::string, std::string> settings;  // adapter settings (url, folder, secret name...)
  // The parent and level a unit had before the tree changed around it while it kept its code
  // (say a commune that stayed when its district was dissolved): each applies up to and
  // including `until` (yyyy-mm-dd), sorted by it; after the last, `parent` and `level` above.
  struct Earlier {
    std::string until;
    std::string parent;  // empty: at the top
    int level = 0;
  };
  std::vector<Earlier> earlier = {};

  // Closed on `date` (yyyy-mm-dd) when valid_to is before it.
  bool closedOn(std::string_view date) const { return !valid_to.empty() && valid_to < date; }
  // The parent and level on `date` (yyyy-mm-dd; empty: today's, the fields above).
  const std::string& parentOn(std::string_view date) const;
  int levelOn(std::string_view date) const;
};

struct NodeInfo {
  std::string name;
  std::string parent;  // parent node name, empty for the top node
  std::string url;     // base URL peers use, e.g. https://127.0.0.1:8443
};

class Directory {
 public:
  // Reads FILE by its extension: .csv as CSV, anything else as XML.
  static Result<Directory> loadFile(const std::string& path, const SchemaSet& schemas);
  static Result<Directory> parseXml(std::string_view bytes, const SchemaSet& schemas);
  static Result<Directory> parseCsv(std::string_view bytes);
  static Result<Directory> fromUnits(std::string version, std::vector<NodeInfo> nodes,
                                     std::vector<Unit> units);

  const std::string& version() const { return version_; }
  const std::vector<Unit>& units() const { return units_; }
  const std::vector<NodeInfo>& nodes() const { return nodes_; }

  // The unit with this current or legacy code (compared case-insensitively), closed or not.
  const Unit* find(std::string_view code) const;
  // The unit that receives for this code on `date` (yyyy-mm-dd): closed codes follow their
  // successors. UnknownUnit when the code is not in the directory.
  Result<const Unit*> resolve(std::string_view code, std::string_view date) const;
  const NodeInfo* node(std::string_view name) const;
  std::vector<const Unit*> children(std::string_view code) const;
  // The units whose parent on `date` was `code` (Unit::parentOn; empty date: children()).
  std::vector<const Unit*> childrenOn(std::string_view code, std::string_view date) const;
  // The unit a node acts as (its seal names it): the first unit homed at the node whose parent
  // is homed elsewhere or that has none, one still open (no valid_to) before a closed one. Null
  // when the node hosts no unit.
  const Unit* topUnitOf(std::string_view node) const;
  // When `node` lies below `ancestor` in the node tree, the child of `ancestor` on the way
  // down to it (`node` itself for a child); "" otherwise (also for `node` == `ancestor`).
  std::string nodeStepToward(std::string_view ancestor, std::string_view node) const;

  // The XML form of this directory (what parseXml reads).
  std::string toXml() const;

 private:
  Result<void> index();
  std::string version_;
  std::vector<NodeInfo> nodes_;
  std::vector<Unit> units_;
  std::map<std::string, std::size_t, std::less<>> by_code_;  // organKey of current and legacy codes
};

}  // namespace lienthong::schemas
