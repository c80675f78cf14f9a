// The document registers of Decree 30/2020 for the units homed at this node: the outgoing
// register (sổ đăng ký văn bản đi) and the incoming one (sổ đăng ký văn bản đến). Two sources feed
// them: documents that passed through the gateway, indexed from the store by RegisterIndexer
// (register_indexer.h), and documents recorded by clerks (issued on paper, registered but not yet
// issued, or paper copies of documents that also went electronically).
//
// The register's records and their storage are the store's (store/register_store.h); this class
// holds the rules over them: what a clerk may record, the audit of every batch, and which units
// have a register here. Thread-safe as its RegisterStore.
//
// Channel per recipient, and per document (what the reports count):
//   electronic  the gateway holds a local or peer delivery to the recipient that has not failed
//               (pending, delivered, acknowledged, or later acted on);
//   paper       the gateway recorded a paper delivery (a recipient without an electronic
//               channel), the package says Bussiness/Paper = 1 (a paper copy also goes), or a
//               clerk recorded a paper dispatch to that recipient;
//   a document is electronic-only, paper-only or both after the union over its recipients, and
//   not-yet-issued when no recipient got it either way (a clerk registered the number but did
//   not dispatch it yet, or every electronic delivery failed). The four add up to the total.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lienthong/gateway/store/register_store.h"
#include "lienthong/schemas/error.h"

namespace lienthong::gateway {

class RegisterBook {
 public:
  // Says whether a unit may have a register here (known to the directory, homed at this node);
  // UnknownUnit / InvalidArgument with the reason otherwise. Empty: every unit is accepted.
  using UnitCheck = std::function<Result<void>(const std::string& unit)>;

  // Over the register tables of the node's SQLite file at `path` (store.sqlite), created when
  // missing.
  static Result<std::unique_ptr<RegisterBook>> open(const std::string& path, UnitCheck unit_check = {});
  // Over any RegisterStore.
  RegisterBook(std::shared_ptr<RegisterStore> store, UnitCheck unit_check = {});
  ~RegisterBook();
  RegisterBook(const RegisterBook&) = delete;
  RegisterBook& operator=(const RegisterBook&) = delete;

  // Checks and records one clerk entry; returns it as stored (merged into a gateway entry when
  // it names one). InvalidArgument / BadDate naming the field when something is missing or wrong.
  Result<RegisterEntry> recordPaper(const PaperRecord& record, const std::string& actor);
  // All records in one transaction, or none: the first bad one fails the whole batch, named by
  // its position (`where(i)`, e.g. "paper.csv: line 7").
  Result<int> recordPaperBatch(const std::vector<PaperRecord>& records, const std::string& actor,
                               const std::function<std::string(std::size_t)>& where = {});

  Result<std::vector<RegisterEntry>> entries(const RegisterQuery& query);
  Result<std::vector<EntryTally>> outgoingTallies(const RegisterQuery& query);
  Result<std::vector<DayCount>> incomingCounts(const RegisterQuery& query);

  // Paper records are administrative acts: after a batch is recorded, `hook` writes it to the
  // node's chained audit log (event "paper recorded", the actor, what was recorded). A failing
  // hook fails the call. Set once, before the book is shared.
  using AuditHook = std::function<Result<void>(const std::string& event, const std::string& actor,
                                               const std::string& detail)>;
  void setAuditHook(AuditHook hook);

  // For the indexer: documents stored after message id `after` (at most `limit`), with their
  // deliveries; the indexing cursor; and the insertion of gateway entries with the new cursor in
  // one transaction (an entry that is already there is left as it is).
  Result<std::vector<StoredDocument>> storedDocumentsAfter(std::int64_t after, int limit);
  Result<std::int64_t> cursor();
  Result<void> addGatewayEntries(const std::vector<RegisterEntry>& entries, std::int64_t cursor);

  // Statuses recorded for documents sent by these units (first time per document, reporter
  // and code), and the time each of those documents reached the store.
  Result<std::vector<StatusTiming>> statusTimings(const std::vector<std::string>& senders);
  Result<std::map<std::string, std::int64_t>> receivedTimes(const std::vector<std::int64_t>& message_ids);
  // "sender\nDocumentId" of each recall request (status 13) these units sent.
  Result<std::vector<std::string>> recallsSent(const std::vector<std::string>& senders);

  // Pending and failed deliveries of the store, for the dashboard's delivery health; pending
  // deliveries per next hop (the peer node, or the unit for local ones) and the oldest.
  using DeliveryBucket = RegisterDeliveryBucket;
  using HopBacklog = RegisterHopBacklog;
  using FailedDelivery = RegisterFailedDelivery;
  Result<std::vector<DeliveryBucket>> deliveryBuckets();
  Result<std::vector<HopBacklog>> pendingByHop();
  Result<std::vector<FailedDelivery>> failedDeliveries(int limit);

 private:
  std::shared_ptr<RegisterStore> store_;
  UnitCheck unit_check_;
  AuditHook audit_;
};

// A yyyy-mm-dd date check ("2022-02-30" is refused); `what` names the field in the message.
Result<void> checkDate(std::string_view date, std::string_view what);
// A paper record before it is stored: its dates, number, subject and recipients; InvalidArgument
// naming the field when wrong.
Result<void> checkPaperRecord(const PaperRecord& r);

// The 10-column outgoing register of Decree 30: number/notation; date; type and subject; signer;
// recipients; unit/person keeping the file copy; number of copies; dispatch date; receipt
// signature; notes. CSV (RFC 4180, UTF-8, header in Vietnamese) and a printable HTML page.
std::string registerCsv(const std::vector<RegisterEntry>& entries);
std::string registerHtml(const std::vector<RegisterEntry>& entries, const std::string& unit,
                         const std::string& unit_name, const std::string& from,
                         const std::string& to);
std::string registerJson(const std::vector<RegisterEntry>& entries);

// Clerk records from CSV, header line required, columns by name (any order): direction, unit,
// document_id, number, notation, date, type, subject, signer, sender, recipients (separated by
// ';'), file_keeper, copies, dispatch_date, arrival_date, receipt, notes. BadCsv naming the line
// and column.
Result<std::vector<PaperRecord>> parsePaperCsv(std::string_view text, const std::string& source);
// One record from a JSON object (the API's body); InvalidArgument naming the member.
Result<PaperRecord> parsePaperJson(std::string_view json);

// A CSV field, quoted when it needs to be (reading CSV: schemas/csv.h).
std::string csvField(std::string_view s);
// Escapes text for HTML element content and attribute values.
std::string htmlEscape(std::string_view s);

}  // namespace lienthong::gateway
