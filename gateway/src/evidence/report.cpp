#include "lienthong/gateway/evidence/report.h"
#include "lienthong/schemas/csv.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <iomanip>
#include <set>
#include <sstream>

#include "lienthong/gateway/evidence/summary.h"
#include "lienthong/gateway/store/clock.h"

namespace lienthong::gateway {

namespace {

bool allDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string two(int n) { return (n < 10 ? "0" : "") + std::to_string(n); }

int daysIn(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return kDays[m - 1] + (m == 2 && leap ? 1 : 0);
}

Result<int> parseYear(std::string_view s, const std::string& where) {
  if (s.size() != 4 || !allDigits(s)) {
    return fail(ErrorCode::InvalidArgument, where + ": '" + std::string(s) + "' is not a year yyyy");
  }
  const int y = std::stoi(std::string(s));
  if (y < 1900 || y > 2999) {
    return fail(ErrorCode::InvalidArgument, where + ": year " + std::to_string(y) + " is out of range");
  }
  return y;
}

}  // namespace

Result<Period> Period::parse(std::string_view text) {
  const std::string where = "period '" + std::string(text) + "'";
  const std::string usage =
      " (use 2022, 2022-Q3, 2022-07, 2022-07-15 or 2022-07-01..2022-09-30)";
  Period p;
  p.label = std::string(text);
  if (auto dots = text.find(".."); dots != std::string_view::npos) {
    const std::string a(text.substr(0, dots)), b(text.substr(dots + 2));
    if (auto ok = checkDate(a, where + ": start"); !ok) return std::unexpected(ok.error());
    if (auto ok = checkDate(b, where + ": end"); !ok) return std::unexpected(ok.error());
    if (b < a) return fail(ErrorCode::InvalidArgument, where + ": the end " + b + " is before the start " + a);
    p.from = a;
    p.to = b;
    return p;
  }
  if (text.size() < 4) return fail(ErrorCode::InvalidArgument, where + " is not a period" + usage);
  auto y = parseYear(text.substr(0, 4), where);
  if (!y) return std::unexpected(y.error());
  const std::string ys = std::to_string(*y);
  if (text.size() == 4) {
    p.from = ys + "-01-01";
    p.to = ys + "-12-31";
    return p;
  }
  if (text[4] != '-') return fail(ErrorCode::InvalidArgument, where + " is not a period" + usage);
  const std::string_view rest = text.substr(5);
  if (rest.size() == 2 && (rest[0] == 'Q' || rest[0] == 'q')) {
    if (!allDigits(rest.substr(1)) || rest[1] < '1' || rest[1] > '4') {
      return fail(ErrorCode::InvalidArgument,
                  where + ": quarter " + std::string(rest.substr(1)) + " is not 1..4");
    }
    const int q = rest[1] - '0';
    const int m1 = 3 * (q - 1) + 1, m3 = m1 + 2;
    p.from = ys + "-" + two(m1) + "-01";
    p.to = ys + "-" + two(m3) + "-" + two(daysIn(*y, m3));
    return p;
  }
  if (rest.size() == 2 && allDigits(rest)) {
    const int m = std::stoi(std::string(rest));
    if (m < 1 || m > 12) return fail(ErrorCode::InvalidArgument, where + ": month " + std::string(rest) + " is not 01..12");
    p.from = ys + "-" + two(m) + "-01";
    p.to = ys + "-" + two(m) + "-" + two(daysIn(*y, m));
    return p;
  }
  if (rest.size() == 5) {
    if (auto ok = checkDate(text, where); !ok) return std::unexpected(ok.error());
    p.from = p.to = std::string(text);
    return p;
  }
  return fail(ErrorCode::InvalidArgument, where + " is not a period" + usage);
}

int Period::year() const { return std::stoi(from.substr(0, 4)); }

Result<Scope> Scope::parse(std::string_view text) {
  const auto colon = text.find(':');
  const std::string kind(text.substr(0, colon));
  const std::string value = colon == std::string_view::npos ? std::string() : std::string(text.substr(colon + 1));
  Scope s;
  if (colon == std::string_view::npos || value.empty()) {
    return fail(ErrorCode::InvalidArgument, "scope '" + std::string(text) +
                                                "' is not unit:CODE, subtree:CODE or level:N");
  }
  if (kind == "unit" || kind == "subtree") {
    s.kind = kind == "unit" ? Kind::Unit : Kind::Subtree;
    s.unit = value;
    return s;
  }
  if (kind == "level") {
    if (!allDigits(value) || value.size() > 2 || std::stoi(value) < 1 || std::stoi(value) > 4) {
      return fail(ErrorCode::InvalidArgument, "scope '" + std::string(text) + "': level '" + value + "' is not 1..4");
    }
    s.kind = Kind::Level;
    s.level = std::stoi(value);
    return s;
  }
  return fail(ErrorCode::InvalidArgument, "scope '" + std::string(text) + "': '" + kind +
                                              "' is not unit, subtree or level");
}

Result<Scope::Tree> Scope::parseTree(std::string_view text) {
  if (text == "as_was" || text == "as-was") return Tree::AsWas;
  if (text == "today") return Tree::Today;
  return fail(ErrorCode::InvalidArgument, "tree '" + std::string(text) +
                                              "' is not as_was (the units as they were in the period) or today "
                                              "(today's units, with what their predecessors did)");
}

std::string_view treeName(Scope::Tree t) { return t == Scope::Tree::Today ? "today" : "as_was"; }

bool existedIn(const schemas::Unit& u, const Period& p) {
  return (u.valid_from.empty() || u.valid_from <= p.to) && (u.valid_to.empty() || u.valid_to >= p.from);
}

std::string Scope::label() const {
  switch (kind) {
    case Kind::Unit: return "unit:" + unit;
    case Kind::Subtree: return "subtree:" + unit;
    case Kind::Level: return "level:" + std::to_string(level);
  }
  return {};
}

// ---- Targets -----------------------------------------------------------------------------

namespace {

// "90", "90.5", "90.25" -> basis points; InvalidArgument otherwise.
Result<int> parsePercent(const std::string& s, const std::string& where) {
  const auto dot = s.find('.');
  const std::string whole = s.substr(0, dot);
  const std::string frac = dot == std::string::npos ? std::string() : s.substr(dot + 1);
  if (!allDigits(whole) || whole.size() > 3 || frac.size() > 2 ||
      (!frac.empty() && !allDigits(frac))) {
    return fail(ErrorCode::BadCsv, where + ": target '" + s + "' is not a percentage like 90 or 87.5");
  }
  const int bp = std::stoi(whole) * 100 + (frac.empty() ? 0 : std::stoi(frac) * (frac.size() == 1 ? 10 : 1));
  if (bp > 10000) return fail(ErrorCode::BadCsv, where + ": target " + s + " is above 100");
  return bp;
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return {};
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

}  // namespace

void Targets::set(int level, std::optional<int> year, int basis_points) {
  if (year) exact_[{level, *year}] = basis_points;
  else any_year_[level] = basis_points;
}

int Targets::basisPoints(int level, int year) const {
  if (auto it = exact_.find({level, year}); it != exact_.end()) return it->second;
  if (auto it = any_year_.find(level); it != any_year_.end()) return it->second;
  return default_bp_;
}

Result<Targets> Targets::parse(std::string_view text, const std::string& source) {
  Targets t;
  const auto first = text.find_first_not_of(" \t\r\n\xEF\xBB\xBF");
  if (first != std::string_view::npos && text[first] == '{') {
    try {
      Poco::JSON::Parser p;
      auto o = p.parse(std::string(text)).extract<Poco::JSON::Object::Ptr>();
      if (o->has("default")) {
        auto bp = parsePercent(o->get("default").convert<std::string>(), source + ": default");
        if (!bp) return std::unexpected(bp.error());
        t.default_bp_ = *bp;
      }
      if (o->has("targets")) {
        auto arr = o->getArray("targets");
        if (!arr) return fail(ErrorCode::BadCsv, source + ": 'targets' must be an array");
        for (std::size_t i = 0; i < arr->size(); ++i) {
          const std::string where = source + ": targets[" + std::to_string(i) + "]";
          auto x = arr->getObject(static_cast<unsigned>(i));
          if (!x || !x->has("level") || !x->has("target")) {
            return fail(ErrorCode::BadCsv, where + ": needs 'level' and 'target'");
          }
          const int level = x->getValue<int>("level");
          if (level < 1 || level > 4) return fail(ErrorCode::BadCsv, where + ": level " + std::to_string(level) + " is not 1..4");
          auto bp = parsePercent(x->get("target").convert<std::string>(), where);
          if (!bp) return std::unexpected(bp.error());
          std::optional<int> year;
          if (x->has("year") && !x->isNull("year")) year = x->getValue<int>("year");
          t.set(level, year, *bp);
        }
      }
    } catch (const Poco::Exception& e) {
      return fail(ErrorCode::BadCsv, source + ": not a targets JSON object: " + e.displayText());
    }
    return t;
  }
  auto rows = schemas::csv::split(text, source);
  if (!rows) return std::unexpected(rows.error());
  for (std::size_t i = 0; i < rows->size(); ++i) {
    const auto& row = (*rows)[i];
    const std::string where = source + ": line " + std::to_string(i + 1);
    if (i == 0 && !row.empty() && trim(row[0]) == "level") continue;  // header
    if (row.size() != 3) {
      return fail(ErrorCode::BadCsv, where + ": " + std::to_string(row.size()) +
                                         " fields, expected level,year,target (year may be *)");
    }
    const std::string level = trim(row[0]), year = trim(row[1]), target = trim(row[2]);
    if (level == "*") {
      auto bp = parsePercent(target, where);
      if (!bp) return std::unexpected(bp.error());
      t.default_bp_ = *bp;
      continue;
    }
    if (level.size() != 1 || level[0] < '1' || level[0] > '4') {
      return fail(ErrorCode::BadCsv, where + ": level '" + level + "' is not 1..4 or *");
    }
    std::optional<int> y;
    if (year != "*") {
      auto py = parseYear(year, where);
      if (!py) return fail(ErrorCode::BadCsv, py.error().message);
      y = *py;
    }
    auto bp = parsePercent(target, where);
    if (!bp) return std::unexpected(bp.error());
    t.set(level[0] - '0', y, *bp);
  }
  return t;
}

Result<Targets> Targets::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(ErrorCode::Io, "cannot open targets file '" + path + "'");
  std::ostringstream ss;
  ss << in.rdbuf();
  return parse(ss.str(), path);
}

// ---- Figures -----------------------------------------------------------------------------

void ChannelCounts::add(IssueChannel c) {
  ++total;
  switch (c) {
    case IssueChannel::ElectronicOnly: ++electronic_only; break;
    case IssueChannel::PaperOnly: ++paper_only; break;
    case IssueChannel::Both: ++both; break;
    case IssueChannel::NotIssued: ++not_issued; break;
  }
}

std::string percent2(std::int64_t num, std::int64_t den) {
  if (den <= 0) return "n/a";
  // Basis points rounded half up, in integers so 2933/3087 is exactly "95.01".
  const std::int64_t bp = (num * 20000 + den) / (2 * den);
  const std::string frac = std::to_string(bp % 100);
  return std::to_string(bp / 100) + "." + (frac.size() == 1 ? "0" : "") + frac;
}

namespace {

bool belowTarget(const ChannelCounts& c, int target_bp) {
  // electronic/total < target/10000, in integers.
  return c.total > 0 && c.electronic() * 10000 < static_cast<std::int64_t>(target_bp) * c.total;
}

// Nearest-rank percentile of sorted values.
std::int64_t percentile(const std::vector<std::int64_t>& sorted, int pct) {
  if (sorted.empty()) return 0;
  std::size_t rank = (sorted.size() * static_cast<std::size_t>(pct) + 99) / 100;
  if (rank == 0) rank = 1;
  return sorted[rank - 1];
}

}  // namespace

Reporter::Reporter(std::shared_ptr<RegisterBook> book, std::shared_ptr<RegisterIndexer> indexer,
                   std::shared_ptr<const schemas::LiveDirectory> directory, std::string node_name,
                   Targets targets)
    : book_(std::move(book)),
      indexer_(std::move(indexer)),
      directory_(std::move(directory)),
      node_name_(std::move(node_name)),
      targets_(std::move(targets)) {}

std::vector<const schemas::Unit*> Reporter::homeUnits(const schemas::Directory& directory) const {
  std::vector<const schemas::Unit*> out;
  for (const auto& u : directory.units()) {
    if (u.home_node == node_name_) out.push_back(&u);
  }
  std::sort(out.begin(), out.end(), [](auto* a, auto* b) { return a->code < b->code; });
  return out;
}

bool Reporter::covers(const schemas::Directory& directory, const schemas::Unit& u) const {
  return u.home_node == node_name_ || !directory.nodeStepToward(node_name_, u.home_node).empty();
}

std::vector<const schemas::Unit*> Reporter::coveredUnits(const schemas::Directory& directory) const {
  std::vector<const schemas::Unit*> out;
  for (const auto& u : directory.units()) {
    if (covers(directory, u)) out.push_back(&u);
  }
  std::sort(out.begin(), out.end(), [](auto* a, auto* b) { return a->code < b->code; });
  return out;
}

Result<std::vector<const schemas::Unit*>> Reporter::unitsOf(const schemas::Directory& directory,
                                                            const Scope& scope, std::string_view on) const {
  std::vector<const schemas::Unit*> out;
  if (scope.kind == Scope::Kind::Level) {
    for (const auto* u : coveredUnits(directory)) {
      if (u->levelOn(on) == scope.level) out.push_back(u);
    }
    if (out.empty()) {
      return fail(ErrorCode::InvalidArgument, "no unit of level " + std::to_string(scope.level) +
                                                  " is homed at node '" + node_name_ +
                                                  "' or at a node below it");
    }
    return out;
  }
  const schemas::Unit* root = directory.find(scope.unit);
  if (!root) {
    return fail(ErrorCode::UnknownUnit, "unit '" + scope.unit + "' is not in the directory (version " +
                                            directory.version() + ")");
  }
  if (scope.kind == Scope::Kind::Unit) {
    if (!covers(directory, *root)) {
      return fail(ErrorCode::InvalidArgument, "unit " + scope.unit + " is homed at node '" + root->home_node +
                                                  "', which is neither this node '" + node_name_ +
                                                  "' nor below it: run the report there");
    }
    return std::vector<const schemas::Unit*>{root};
  }
  std::vector<const schemas::Unit*> to_visit{root};
  std::set<const schemas::Unit*> seen;
  while (!to_visit.empty()) {
    const auto* u = to_visit.back();
    to_visit.pop_back();
    if (!seen.insert(u).second) continue;
    if (covers(directory, *u)) out.push_back(u);
    for (const auto* c : directory.childrenOn(u->code, on)) to_visit.push_back(c);
  }
  if (out.empty()) {
    return fail(ErrorCode::InvalidArgument, "no unit of the subtree of " + scope.unit +
                                                " is homed at node '" + node_name_ +
                                                "' or at a node below it");
  }
  std::sort(out.begin(), out.end(), [](auto* a, auto* b) { return a->code < b->code; });
  return out;
}

void UnitDay::add(const UnitDay& o) {
  outgoing.total += o.outgoing.total;
  outgoing.electronic_only += o.outgoing.electronic_only;
  outgoing.paper_only += o.outgoing.paper_only;
  outgoing.both += o.outgoing.both;
  outgoing.not_issued += o.outgoing.not_issued;
  received += o.received;
  rejected += o.rejected;
  recalled += o.recalled;
  pdf.documents_checked += o.pdf.documents_checked;
  pdf.documents_unchecked += o.pdf.documents_unchecked;
  pdf.attachments += o.pdf.attachments;
  pdf.both_valid += o.pdf.both_valid;
  for (const auto& [code, v] : o.latency) {
    auto& mine = latency[code];
    mine.insert(mine.end(), v.begin(), v.end());
  }
}

Result<std::vector<UnitDay>> Reporter::unitDays(const std::vector<const schemas::Unit*>& units,
                                                const std::string& from, const std::string& to) {
  if (auto idx = indexer_->run(); !idx) return std::unexpected(idx.error());
  // A unit may appear in documents under its current or its legacy code.
  std::map<std::string, std::string> canonical;
  std::vector<std::string> codes;
  for (const auto* u : units) {
    canonical[u->code] = u->code;
    codes.push_back(u->code);
    if (!u->legacy_code.empty() && u->legacy_code != u->code) {
      canonical[u->legacy_code] = u->code;
      codes.push_back(u->legacy_code);
    }
  }
  std::map<std::pair<std::string, std::string>, UnitDay> days;  // (unit, day)
  const auto slot = [&](const std::string& unit, const std::string& day) -> UnitDay& {
    const std::string& code = canonical.at(unit);
    auto [it, fresh] = days.try_emplace({code, day});
    if (fresh) {
      it->second.unit = code;
      it->second.day = day;
    }
    return it->second;
  };
  if (codes.empty()) return std::vector<UnitDay>{};

  RegisterQuery q;
  q.units = codes;
  q.from = from;
  q.to = to;
  auto out = book_->outgoingTallies(q);
  if (!out) return std::unexpected(out.error());
  auto in = book_->incomingCounts(q);
  if (!in) return std::unexpected(in.error());

  std::map<std::string, std::pair<std::string, std::string>> keys;  // sender\ndocument -> (unit, day)
  std::vector<std::int64_t> message_ids;
  for (const auto& e : *out) {
    UnitDay& d = slot(e.unit, e.date);
    d.outgoing.add(e.channel());
    if (e.message_id > 0) {
      keys[e.unit + "\n" + e.document_id] = {e.unit, e.date};
      message_ids.push_back(e.message_id);
    }
    if (e.pdf_total >= 0) {
      ++d.pdf.documents_checked;
      d.pdf.attachments += e.pdf_total;
      d.pdf.both_valid += e.pdf_both_valid;
    } else {
      ++d.pdf.documents_unchecked;
    }
  }
  for (const auto& c : *in) slot(c.unit, c.day).received += c.count;

  // Latency and status counts from the statuses table, on the day of the document.
  auto timings = book_->statusTimings(codes);
  if (!timings) return std::unexpected(timings.error());
  auto received = book_->receivedTimes(message_ids);
  if (!received) return std::unexpected(received.error());
  std::set<std::string> rejected, recalled;
  for (const auto& t : *timings) {
    const std::string key = t.document_sender + "\n" + t.document_id;
    auto k = keys.find(key);
    if (k == keys.end()) continue;
    if (t.code == 2) rejected.insert(key);
    if (t.code == 13) recalled.insert(key);
    if (t.code == 1 || t.code == 3 || t.code == 6) {
      auto it = received->find(key);
      if (it == received->end()) continue;
      slot(k->second.first, k->second.second)
          .latency[t.code]
          .push_back(std::max<std::int64_t>(0, t.first_ms - it->second));
    }
  }
  auto recalls = book_->recallsSent(codes);
  if (!recalls) return std::unexpected(recalls.error());
  for (const auto& k : *recalls) {
    if (keys.contains(k)) recalled.insert(k);
  }
  for (const auto& k : rejected) {
    const auto& [unit, day] = keys.at(k);
    ++slot(unit, day).rejected;
  }
  for (const auto& k : recalled) {
    const auto& [unit, day] = keys.at(k);
    ++slot(unit, day).recalled;
  }
  std::vector<UnitDay> result;
  result.reserve(days.size());
  for (auto& [key, d] : days) {
    for (auto& [code, v] : d.latency) std::sort(v.begin(), v.end());
    result.push_back(std::move(d));
  }
  return result;
}

Result<IssuanceReport> Reporter::issuance(const Scope& scope, const Period& period) {
  const auto directory = directory_->current();  // `units` point into it
  // As it was: the tree of the period's first day (a period across a change places a unit that
  // changed parent under the one it had when the period began).
  const std::string on = scope.tree == Scope::Tree::AsWas ? period.from : std::string();
  auto scoped = unitsOf(*directory, scope, on);
  if (!scoped) return std::unexpected(scoped.error());
  const std::string today = todayVn();

  // The units the report lists, and for each contributor (a unit whose figures count) the row
  // it counts in.
  std::vector<const schemas::Unit*> listed;
  std::map<std::string, const schemas::Unit*> contributor_of;  // contributor code -> listed unit
  if (scope.tree == Scope::Tree::AsWas) {
    for (const auto* u : *scoped) {
      if (existedIn(*u, period) || scope.kind == Scope::Kind::Unit) {
        listed.push_back(u);
        contributor_of[u->code] = u;
      }
    }
    if (listed.empty()) {
      return fail(ErrorCode::InvalidArgument, "no unit of " + scope.label() + " existed in " + period.label +
                                                  " (" + period.from + ".." + period.to + "); try tree=today");
    }
  } else {
    for (const auto* u : *scoped) {
      if (!u->closedOn(today)) listed.push_back(u);
    }
    if (listed.empty()) {
      const schemas::Unit* root = scope.kind == Scope::Kind::Level ? nullptr : directory->find(scope.unit);
      auto now = root ? directory->resolve(root->code, today) : Result<const schemas::Unit*>(nullptr);
      return fail(ErrorCode::InvalidArgument,
                  "no unit of " + scope.label() + " exists today" +
                      (now && *now != nullptr && *now != root ? "; its work is now " + (*now)->code + "'s" : "") +
                      " (use tree=as_was for the units as they were)");
    }
    // Every unit covered here whose successors end in a listed unit counts for it.
    std::set<const schemas::Unit*> in_report(listed.begin(), listed.end());
    for (const auto* u : coveredUnits(*directory)) {
      auto now = directory->resolve(u->code, today);
      if (now && in_report.contains(*now)) contributor_of[u->code] = *now;
    }
  }

  IssuanceReport r;
  r.period = period;
  r.scope = scope;
  r.node = node_name_;
  std::map<std::string, std::size_t> slot;  // contributor code -> r.units
  std::vector<const schemas::Unit*> here;
  std::map<std::string, std::int64_t> remote_nodes;  // node -> units of the report homed there
  for (const auto* u : listed) {
    UnitIssuance ui;
    ui.unit = u->code;
    ui.name = u->name;
    ui.level = u->levelOn(on);
    ui.home_node = u->home_node;
    ui.from_summary = u->home_node != node_name_;
    ui.target_bp = targets_.basisPoints(ui.level, period.year());
    slot[u->code] = r.units.size();
    r.units.push_back(std::move(ui));
  }
  for (const auto& [code, target] : contributor_of) {
    slot[code] = slot.at(target->code);
    const schemas::Unit* u = directory->find(code);
    if (u->home_node == node_name_) {
      here.push_back(u);
    } else {
      ++remote_nodes[u->home_node];
    }
  }

  std::vector<UnitDay> sums(r.units.size());
  auto local = unitDays(here, period.from, period.to);
  if (!local) return std::unexpected(local.error());
  for (const auto& d : *local) sums[slot.at(d.unit)].add(d);
  if (!remote_nodes.empty() && summaries_) {
    auto remote = summaries_->unitTotals(period.from, period.to);
    if (!remote) return std::unexpected(remote.error());
    for (const auto& [node, d] : *remote) {
      // Rows count for a unit only from the node it is homed at now.
      const schemas::Unit* u = directory->find(d.unit);
      if (u == nullptr || u->home_node != node || !contributor_of.contains(u->code)) continue;
      sums[slot.at(u->code)].add(d);
    }
    auto sources = summaries_->sources();
    if (!sources) return std::unexpected(sources.error());
    for (const auto& [node, count] : remote_nodes) {
      SummarySourceInfo info{node, count, 0, ""};
      for (const auto& s : *sources) {
        if (s.node != node) continue;
        info.rows = s.rows;
        info.last_received = s.last_received_ms > 0 ? timestampVn(s.last_received_ms) : "";
      }
      r.sources.push_back(std::move(info));
    }
  } else {
    for (const auto& [node, count] : remote_nodes) r.sources.push_back(SummarySourceInfo{node, count, 0, ""});
  }

  UnitDay all;
  for (std::size_t i = 0; i < r.units.size(); ++i) {
    auto& u = r.units[i];
    const UnitDay& d = sums[i];
    u.outgoing = d.outgoing;
    u.received = d.received;
    u.rejected = d.rejected;
    u.recalled = d.recalled;
    all.add(d);
  }
  r.pdf = all.pdf;
  for (int code : {1, 3, 6}) {
    auto& v = all.latency[code];
    std::sort(v.begin(), v.end());
    r.latency.push_back(LatencyFigure{code, static_cast<std::int64_t>(v.size()), percentile(v, 50),
                                      percentile(v, 90)});
  }

  r.total.unit = scope.label();
  r.total.name = "Tổng";
  r.total.level = scope.kind == Scope::Kind::Level ? scope.level : listed[0]->levelOn(on);
  r.total.home_node = node_name_;
  r.total.target_bp = targets_.basisPoints(r.total.level, period.year());
  for (auto& u : r.units) {
    u.below_target = belowTarget(u.outgoing, u.target_bp);
    if (u.below_target) r.below_target.push_back(u.unit);
  }
  r.total.outgoing = all.outgoing;
  r.total.received = all.received;
  r.total.rejected = all.rejected;
  r.total.recalled = all.recalled;
  r.total.below_target = belowTarget(r.total.outgoing, r.total.target_bp);
  return r;
}

Result<DeliveryHealth> Reporter::deliveryHealth() {
  DeliveryHealth h;
  auto b = book_->deliveryBuckets();
  if (!b) return std::unexpected(b.error());
  h.buckets = std::move(*b);
  for (const auto& x : h.buckets) {
    if (x.state == "pending") h.pending += x.count;
    if (x.state == "failed") h.failed_total += x.count;
  }
  auto f = book_->failedDeliveries(20);
  if (!f) return std::unexpected(f.error());
  h.failed = std::move(*f);
  auto backlog = book_->pendingByHop();
  if (!backlog) return std::unexpected(backlog.error());
  h.backlog = std::move(*backlog);
  return h;
}

// ---- Outputs -----------------------------------------------------------------------------

namespace {

std::string stringify(const Poco::JSON::Object::Ptr& o) {
  std::ostringstream out;
  o->stringify(out);
  return out.str();
}

std::string percentTarget(int bp) { return percent2(bp, 10000); }

Poco::JSON::Object::Ptr unitJson(const UnitIssuance& u) {
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
  const auto& c = u.outgoing;
  o->set("unit", u.unit);
  o->set("name", u.name);
  o->set("level", u.level);
  o->set("outgoing", c.total);
  o->set("electronic_only", c.electronic_only);
  o->set("paper_only", c.paper_only);
  o->set("both", c.both);
  o->set("not_issued", c.not_issued);
  o->set("electronic", c.electronic());
  o->set("paper", c.paper());
  o->set("electronic_rate", percent2(c.electronic(), c.total));
  o->set("paper_rate", percent2(c.paper(), c.total));
  o->set("received", u.received);
  o->set("rejected", u.rejected);
  o->set("recalled", u.recalled);
  o->set("target", percentTarget(u.target_bp));
  o->set("below_target", u.below_target);
  o->set("home_node", u.home_node);
  o->set("source", u.from_summary ? "summary" : "register");
  return o;
}

std::string pdfRate(const PdfFigure& p) {
  if (!p.measured()) return "not measured";
  return percent2(p.both_valid, p.attachments);
}

std::string seconds(std::int64_t ms) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(1) << static_cast<double>(ms) / 1000.0 << " s";
  return s.str();
}

}  // namespace

std::string issuanceJson(const IssuanceReport& r) {
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
  o->set("node", r.node);
  o->set("scope", r.scope.label());
  o->set("tree", std::string(treeName(r.scope.tree)));
  o->set("period", r.period.label);
  o->set("from", r.period.from);
  o->set("to", r.period.to);
  Poco::JSON::Array::Ptr units = new Poco::JSON::Array;
  for (const auto& u : r.units) units->add(unitJson(u));
  o->set("units", units);
  o->set("total", unitJson(r.total));
  Poco::JSON::Array::Ptr below = new Poco::JSON::Array;
  for (const auto& b : r.below_target) below->add(b);
  o->set("below_target", below);
  Poco::JSON::Array::Ptr lat = new Poco::JSON::Array;
  for (const auto& l : r.latency) {
    Poco::JSON::Object::Ptr x = new Poco::JSON::Object;
    x->set("status", (l.code < 10 ? "0" : "") + std::to_string(l.code));
    x->set("count", l.count);
    x->set("median_ms", l.median_ms);
    x->set("p90_ms", l.p90_ms);
    lat->add(x);
  }
  o->set("latency", lat);
  Poco::JSON::Object::Ptr pdf = new Poco::JSON::Object;
  pdf->set("measured", r.pdf.measured());
  pdf->set("documents_checked", r.pdf.documents_checked);
  pdf->set("documents_unchecked", r.pdf.documents_unchecked);
  pdf->set("attachments", r.pdf.attachments);
  pdf->set("both_valid", r.pdf.both_valid);
  pdf->set("rate", pdfRate(r.pdf));
  o->set("pdf_signatures", pdf);
  Poco::JSON::Array::Ptr sources = new Poco::JSON::Array;
  for (const auto& src : r.sources) {
    Poco::JSON::Object::Ptr x = new Poco::JSON::Object;
    x->set("node", src.node);
    x->set("units", src.units);
    x->set("rows", src.rows);
    x->set("last_received", src.last_received);
    sources->add(x);
  }
  o->set("summaries", sources);
  return stringify(o);
}

std::string issuanceCsv(const IssuanceReport& r) {
  std::string out =
      "period,from,to,unit,name,level,outgoing,electronic_only,paper_only,both,not_issued,"
      "electronic_rate,paper_rate,received,rejected,recalled,target,below_target,"
      "pdf_both_signatures_rate,home_node,source\r\n";
  const auto line = [&](const UnitIssuance& u, const std::string& pdf) {
    const auto& c = u.outgoing;
    const std::vector<std::string> cells = {
        r.period.label, r.period.from, r.period.to, u.unit, u.name, std::to_string(u.level),
        std::to_string(c.total), std::to_string(c.electronic_only), std::to_string(c.paper_only),
        std::to_string(c.both), std::to_string(c.not_issued), percent2(c.electronic(), c.total),
        percent2(c.paper(), c.total), std::to_string(u.received), std::to_string(u.rejected),
        std::to_string(u.recalled), percentTarget(u.target_bp), u.below_target ? "yes" : "no", pdf,
        u.home_node, u.from_summary ? "summary" : "register"};
    for (std::size_t i = 0; i < cells.size(); ++i) out += (i ? "," : "") + csvField(cells[i]);
    out += "\r\n";
  };
  for (const auto& u : r.units) line(u, "");
  UnitIssuance total = r.total;
  total.unit = "TOTAL " + r.scope.label();
  line(total, pdfRate(r.pdf));
  return out;
}

std::string issuanceText(const IssuanceReport& r) {
  std::ostringstream o;
  o << "Issuance report, node " << r.node << ", " << r.scope.label() << ", period " << r.period.label
    << " (" << r.period.from << ".." << r.period.to << ")\n"
    << (r.scope.tree == Scope::Tree::Today
            ? "Tree: today's units, each with the figures of the closed units that became it\n\n"
            : "Tree: the units as they were in the period\n\n");
  o << std::left << std::setw(16) << "unit" << std::right << std::setw(5) << "lvl" << std::setw(9)
    << "outgoing" << std::setw(8) << "e-only" << std::setw(8) << "p-only" << std::setw(7) << "both"
    << std::setw(8) << "not-yet" << std::setw(9) << "e-rate%" << std::setw(9) << "p-rate%"
    << std::setw(9) << "received" << std::setw(8) << "target" << "\n";
  const auto row = [&](const UnitIssuance& u) {
    const auto& c = u.outgoing;
    o << std::left << std::setw(16) << u.unit << std::right << std::setw(5) << u.level
      << std::setw(9) << c.total << std::setw(8) << c.electronic_only << std::setw(8)
      << c.paper_only << std::setw(7) << c.both << std::setw(8) << c.not_issued << std::setw(9)
      << percent2(c.electronic(), c.total) << std::setw(9) << percent2(c.paper(), c.total)
      << std::setw(9) << u.received << std::setw(8) << percentTarget(u.target_bp)
      << (u.below_target ? "  BELOW TARGET" : "") << "\n";
  };
  for (const auto& u : r.units) row(u);
  row(r.total);
  o << "\nUnits below target: ";
  if (r.below_target.empty()) o << "none";
  for (std::size_t i = 0; i < r.below_target.size(); ++i) o << (i ? ", " : "") << r.below_target[i];
  o << "\nRejected (02): " << r.total.rejected << "   recalled (13): " << r.total.recalled << "\n";
  for (const auto& l : r.latency) {
    o << "Time to status " << (l.code < 10 ? "0" : "") << l.code << ": ";
    if (l.count == 0) o << "no status yet\n";
    else o << "median " << seconds(l.median_ms) << ", p90 " << seconds(l.p90_ms) << " (" << l.count << " recipients)\n";
  }
  o << "PDF attachments with both valid signatures: ";
  if (!r.pdf.measured()) {
    o << "not measured (no document of the scope was checked: the node has no PDF verifier)\n";
  } else {
    o << percent2(r.pdf.both_valid, r.pdf.attachments) << "% (" << r.pdf.both_valid << " of "
      << r.pdf.attachments << " PDFs in " << r.pdf.documents_checked << " documents";
    if (r.pdf.documents_unchecked > 0) o << "; " << r.pdf.documents_unchecked << " documents not checked";
    o << ")\n";
  }
  for (const auto& src : r.sources) {
    o << "Units homed at node " << src.node << " (" << src.units << "): from its summaries, "
      << (src.last_received.empty() ? std::string("none received yet / chưa nhận được bản tổng hợp nào")
                                    : "last received " + src.last_received)
      << "\n";
  }
  o << "\nelectronic rate = (electronic-only + both) / outgoing; paper rate = (paper-only + both) / outgoing\n";
  return o.str();
}

std::string deliveryHealthJson(const DeliveryHealth& h) {
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
  o->set("pending", h.pending);
  o->set("failed", h.failed_total);
  Poco::JSON::Array::Ptr b = new Poco::JSON::Array;
  for (const auto& x : h.buckets) {
    Poco::JSON::Object::Ptr j = new Poco::JSON::Object;
    j->set("route", x.route);
    j->set("state", x.state);
    j->set("count", x.count);
    j->set("oldest", timestampVn(x.oldest_ms));
    b->add(j);
  }
  o->set("buckets", b);
  Poco::JSON::Array::Ptr f = new Poco::JSON::Array;
  for (const auto& x : h.failed) {
    Poco::JSON::Object::Ptr j = new Poco::JSON::Object;
    j->set("delivery", x.id);
    j->set("document_id", x.document_id);
    j->set("sender", x.sender);
    j->set("recipient", x.recipient);
    j->set("route", x.route);
    j->set("attempts", x.attempts);
    j->set("last_error", x.last_error);
    j->set("created", timestampVn(x.created_ms));
    f->add(j);
  }
  o->set("recent_failures", f);
  Poco::JSON::Array::Ptr bl = new Poco::JSON::Array;
  const std::int64_t now = nowMs();
  for (const auto& x : h.backlog) {
    Poco::JSON::Object::Ptr j = new Poco::JSON::Object;
    j->set("route", x.route);
    j->set("hop", x.hop);
    j->set("pending", x.pending);
    j->set("oldest", timestampVn(x.oldest_ms));
    j->set("oldest_age_s", std::max<std::int64_t>(0, (now - x.oldest_ms) / 1000));
    bl->add(j);
  }
  o->set("backlog", bl);
  return stringify(o);
}

}  // namespace lienthong::gateway
