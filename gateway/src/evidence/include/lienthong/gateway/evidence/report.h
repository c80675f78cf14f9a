// Issuance reports over the register for any period and scope, as provinces report them today
// (shared/seeds/003: "3,087 outgoing; 2,933 fully electronic (95.01%); 132 on paper (4.28%)").
//
// Counting rule (chosen so that the seed figures reconcile, see register.h for the channels):
//   total = electronic_only + paper_only + both + not_issued   (always; each document once)
//   electronic rate = (electronic_only + both) / total          "issued electronically"
//   paper rate      = (paper_only + both) / total               "issued on paper"
// Rates are rounded half up to two decimals ("95.01"); the two rates may add up to more than
// 100% (documents that went both ways) or less (documents not yet issued). The seed district:
// 2,933 electronic-only, 132 paper-only, 0 both, 22 not yet issued = 3,087 -> 95.01% and 4.28%;
// its communes: 1,312 electronic-only, 460 paper-only, 29 both, 0 not issued = 1,801 -> 74.46%
// and 27.15%.
//
// Also per scope: documents received (incoming register by arrival date); time from a document
// reaching this node to the first status 01, 03 and 06 per recipient (median and p90); documents
// rejected (02) and recalled (13); the share of PDF attachments with both valid signatures, or
// "not measured" when no document of the scope was checked. Units below their level's target for
// the period's year are listed. Reporter is thread-safe (the book and indexer are).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lienthong/schemas/live_directory.h"
#include "lienthong/gateway/evidence/register.h"
#include "lienthong/gateway/evidence/register_indexer.h"
#include "lienthong/schemas/directory.h"

namespace lienthong::gateway {

// A closed range of days. Forms: "2022" (year), "2022-Q3" (quarter), "2022-07" (month),
// "2022-07-15" (day), "2022-07-01..2022-09-30" (custom). BadDate / InvalidArgument naming the
// part that is wrong ("period '2022-Q5': quarter 5 is not 1..4").
struct Period {
  std::string from;  // yyyy-mm-dd
  std::string to;    // yyyy-mm-dd
  std::string label;  // as given
  static Result<Period> parse(std::string_view text);
  int year() const;  // the year of `from`: the target year
};

// What a report covers: one unit, a unit and every unit below it, or every unit of a level.
// Text forms (API `scope=`): "unit:CODE", "subtree:CODE", "level:N". The units counted are those
// homed at this node (from its own register) and those homed at the nodes below it (from the
// summaries those nodes send up, summary.h); a unit homed elsewhere is reported where it is.
//
// Across a reorganisation (codes closed with successors, DOMAIN.md "two-tier state"), `tree`
// says on which tree a period is reported (API `tree=as_was|today`):
//   AsWas  the units that existed during the period, under the parents they had (the default:
//          2022 Q3 shows the district and its communes, a period after the change the new tree);
//   Today  today's units only, each with the figures of the closed units that became it (a
//          trend across the change on one set of units).
struct Scope {
  enum class Kind { Unit, Subtree, Level };
  enum class Tree { AsWas, Today };
  Kind kind = Kind::Unit;
  std::string unit;
  int level = 0;
  Tree tree = Tree::AsWas;
  static Result<Scope> parse(std::string_view text);
  // "as_was" or "today"; InvalidArgument otherwise.
  static Result<Tree> parseTree(std::string_view text);
  std::string label() const;
};
std::string_view treeName(Scope::Tree t);  // "as_was", "today"
// Whether the unit's validity overlaps the period (it existed then).
bool existedIn(const schemas::Unit& u, const Period& p);

// Electronic-issuance targets per level and year, in hundredths of a percent (9000 = 90.00%).
// CSV "level,year,target" lines ("2,2022,90", "3,*,80.5"; header line optional); JSON
// {"default": 90, "targets": [{"level": 2, "year": 2022, "target": 90}, ...]}. Default 90% for
// every level and year.
class Targets {
 public:
  Targets() = default;
  static Result<Targets> parse(std::string_view text, const std::string& source);  // CSV or JSON
  static Result<Targets> load(const std::string& path);
  int basisPoints(int level, int year) const;
  void set(int level, std::optional<int> year, int basis_points);

 private:
  int default_bp_ = 9000;
  std::map<std::pair<int, int>, int> exact_;  // (level, year)
  std::map<int, int> any_year_;               // level
};

struct ChannelCounts {
  std::int64_t total = 0;
  std::int64_t electronic_only = 0;
  std::int64_t paper_only = 0;
  std::int64_t both = 0;
  std::int64_t not_issued = 0;
  void add(IssueChannel c);
  std::int64_t electronic() const { return electronic_only + both; }
  std::int64_t paper() const { return paper_only + both; }
};

// num/den as a percentage rounded half up to two decimals: "95.01"; "n/a" when den is 0.
std::string percent2(std::int64_t num, std::int64_t den);

struct LatencyFigure {
  int code = 0;  // 1, 3, 6
  std::int64_t count = 0;  // (document, recipient) pairs that reached the status
  std::int64_t median_ms = 0;
  std::int64_t p90_ms = 0;
};

struct PdfFigure {
  std::int64_t documents_checked = 0;    // outgoing documents whose PDFs were checked
  std::int64_t documents_unchecked = 0;  // outgoing documents of the scope never checked
  std::int64_t attachments = 0;
  std::int64_t both_valid = 0;
  bool measured() const { return documents_checked > 0; }
};

// One unit's figures for one day, or summed over days (`day` empty): what a report counts and
// what a node sends its parent in a summary row.
struct UnitDay {
  std::string unit;
  std::string day;  // yyyy-mm-dd, "" for a sum
  ChannelCounts outgoing;
  std::int64_t received = 0;
  std::int64_t rejected = 0;
  std::int64_t recalled = 0;
  PdfFigure pdf;
  // Status code (1, 3, 6) -> milliseconds from reaching the home node to the first such status,
  // one value per (document, recipient).
  std::map<int, std::vector<std::int64_t>> latency;
  void add(const UnitDay& o);
};

struct UnitIssuance {
  std::string unit;
  std::string name;
  int level = 0;
  std::string home_node;
  bool from_summary = false;  // counted from the summaries of the unit's node, not here
  ChannelCounts outgoing;
  std::int64_t received = 0;
  std::int64_t rejected = 0;  // outgoing documents with a status 02
  std::int64_t recalled = 0;  // outgoing documents with a recall request 13
  int target_bp = 9000;
  bool below_target = false;  // electronic rate under the target (units with documents only)
};

// What the summaries of one node below this one hold, as far as a report used them.
struct SummarySourceInfo {
  std::string node;
  std::int64_t units = 0;        // units of the report homed there
  std::int64_t rows = 0;         // unit-days received from it, all periods
  std::string last_received;     // yyyy/MM/dd HH:mm:ss (UTC+7), "" when nothing came yet
};

struct IssuanceReport {
  Period period;
  Scope scope;
  std::string node;
  std::vector<SummarySourceInfo> sources;  // the nodes below whose units are in the report
  std::vector<UnitIssuance> units;  // every unit in scope, by code
  UnitIssuance total;               // the scope as a whole
  std::vector<LatencyFigure> latency;
  PdfFigure pdf;
  std::vector<std::string> below_target;  // unit codes
};

struct DeliveryHealth {
  std::vector<RegisterBook::DeliveryBucket> buckets;
  std::vector<RegisterBook::FailedDelivery> failed;  // the most recent, at most 20
  std::vector<RegisterBook::HopBacklog> backlog;     // pending per next hop, oldest first
  std::int64_t pending = 0;
  std::int64_t failed_total = 0;
};

class SummaryBook;  // summary.h

class Reporter {
 public:
  Reporter(std::shared_ptr<RegisterBook> book, std::shared_ptr<RegisterIndexer> indexer,
           std::shared_ptr<const schemas::LiveDirectory> directory, std::string node_name,
           Targets targets);

  // Indexes what the store holds (and reads in the summaries that came), then computes.
  // UnknownUnit for a code the directory does not know; InvalidArgument for a unit homed at a
  // node that is neither this one nor below it, or an empty level.
  Result<IssuanceReport> issuance(const Scope& scope, const Period& period);
  // The figures of these units (homed here) per unit and day over [from, to] ("" open), from
  // the register after indexing: what a report adds up and what a summary carries.
  Result<std::vector<UnitDay>> unitDays(const std::vector<const schemas::Unit*>& units,
                                        const std::string& from, const std::string& to);
  // The summaries this node keeps from the nodes below it; without them (the default) units
  // homed below are reported with nothing counted.
  void setSummaries(std::shared_ptr<SummaryBook> summaries) { summaries_ = std::move(summaries); }
  const std::shared_ptr<SummaryBook>& summaries() const { return summaries_; }
  const std::string& nodeName() const { return node_name_; }
  Result<DeliveryHealth> deliveryHealth();
  // The directory as it is now; the two lookups below point into the snapshot they are given,
  // which the caller keeps while it uses them (a reload may replace the live one meanwhile).
  std::shared_ptr<const schemas::Directory> directory() const { return directory_->current(); }
  // The units homed at this node (code, name, level, parent), by code.
  std::vector<const schemas::Unit*> homeUnits(const schemas::Directory& directory) const;
  // The units homed at this node or at a node below it, by code.
  std::vector<const schemas::Unit*> coveredUnits(const schemas::Directory& directory) const;
  bool covers(const schemas::Directory& directory, const schemas::Unit& u) const;
  // The codes a scope covers, checked against the directory, on the tree of `on` (yyyy-mm-dd:
  // the parents and levels units had that day, Unit::parentOn; empty: today's).
  Result<std::vector<const schemas::Unit*>> unitsOf(const schemas::Directory& directory, const Scope& scope,
                                                    std::string_view on = {}) const;
  RegisterBook& book() { return *book_; }
  RegisterIndexer& indexer() { return *indexer_; }

 private:
  std::shared_ptr<RegisterBook> book_;
  std::shared_ptr<RegisterIndexer> indexer_;
  std::shared_ptr<const schemas::LiveDirectory> directory_;
  std::string node_name_;
  Targets targets_;
  std::shared_ptr<SummaryBook> summaries_;
};

std::string issuanceJson(const IssuanceReport& r);
// One line per unit then a TOTAL line; rates as "95.01".
std::string issuanceCsv(const IssuanceReport& r);
std::string issuanceText(const IssuanceReport& r);
std::string deliveryHealthJson(const DeliveryHealth& h);

}  // namespace lienthong::gateway
