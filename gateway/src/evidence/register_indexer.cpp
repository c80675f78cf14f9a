#include "lienthong/gateway/evidence/register_indexer.h"

#include <algorithm>

#include "lienthong/gateway/store/clock.h"
#include "lienthong/schemas/edxml.h"
#include "lienthong/signing/pdf_attachments.h"

namespace lienthong::gateway {

namespace {

// yyyy/MM/dd (edXML) -> yyyy-mm-dd; "" when it is not that shape.
std::string isoDate(const std::string& edxml) {
  if (edxml.size() != 10 || edxml[4] != '/' || edxml[7] != '/') return {};
  std::string out = edxml;
  out[4] = out[7] = '-';
  return checkDate(out, "date") ? out : std::string();
}

std::string signerText(const schemas::SignerInfo& s) {
  std::string out;
  for (const auto* part : {&s.competence, &s.position, &s.full_name}) {
    if (part->empty()) continue;
    if (!out.empty()) out += ' ';
    out += *part;
  }
  return out;
}

}  // namespace

RegisterIndexer::RegisterIndexer(std::shared_ptr<RegisterBook> book,
                                 std::shared_ptr<const schemas::LiveDirectory> directory,
                                 std::string node_name,
                                 std::shared_ptr<const signing::PdfVerifier> pdf_verifier)
    : book_(std::move(book)),
      directory_(std::move(directory)),
      node_name_(std::move(node_name)),
      pdf_verifier_(std::move(pdf_verifier)) {}

bool RegisterIndexer::homedHere(const std::string& organ_id) const {
  const schemas::Unit* u = directory_->current()->find(organ_id);
  return u != nullptr && u->home_node == node_name_;
}

Result<IndexStats> RegisterIndexer::run(int batch) {
  std::lock_guard lock(run_mu_);
  IndexStats stats;
  auto cursor = book_->cursor();
  if (!cursor) return std::unexpected(cursor.error());
  stats.cursor = *cursor;
  for (;;) {
    auto docs = book_->storedDocumentsAfter(stats.cursor, batch);
    if (!docs) return std::unexpected(docs.error());
    if (docs->empty()) break;
    std::vector<RegisterEntry> entries;
    for (const auto& d : *docs) {
      ++stats.documents;
      RegisterEntry base;
      base.source = "gateway";
      base.message_id = d.id;
      base.document_id = d.document_id;
      base.subject = d.subject;
      base.sender = d.sender;
      const std::string arrival = timestampVn(d.received_ms).substr(0, 10);
      const std::string arrival_iso = arrival.size() == 10
                                          ? arrival.substr(0, 4) + "-" + arrival.substr(5, 2) +
                                                "-" + arrival.substr(8, 2)
                                          : std::string();
      bool paper_copy = false;
      std::vector<std::string> to;
      auto pkg = schemas::Package::parse(d.bytes, nullptr);
      if (pkg) {
        const auto& h = pkg->header;
        base.number = h.code.number;
        base.notation = h.code.notation;
        base.date = isoDate(h.promulgation_date);
        base.type = !h.type_name.empty() ? h.type_name : h.type;
        if (!h.subject.empty()) base.subject = h.subject;
        base.signer = signerText(h.signer);
        base.copies = 0;
        paper_copy = pkg->business && pkg->business->paper;
        // Revoke / update / replace act on earlier register lines; they are not new documents.
        if (d.business_type != 0) {
          base.acts_on = pkg->businessTargets();
          static const char* kActs[] = {"", "thu hồi", "cập nhật", "thay thế"};
          const int t = std::clamp(d.business_type, 0, 3);
          base.notes = std::string(kActs[t]) + " ngày " +
                       timestampVn(d.received_ms).substr(0, 10) + " bằng văn bản " + d.document_id +
                       " (" + std::string(schemas::businessLabel(static_cast<schemas::BusinessDocType>(t))) +
                       ")";
        }
        for (const auto& o : h.to) to.push_back(o.organ_id);
        if (pdf_verifier_) {
          const auto pdfs = signing::checkPdfAttachments(*pkg, *pdf_verifier_);
          base.pdf_total = static_cast<int>(pdfs.size());
          base.pdf_both_valid = 0;
          for (const auto& p : pdfs) base.pdf_both_valid += p.both_signatures_valid ? 1 : 0;
        }
      } else {
        ++stats.unreadable;
        base.notes = "gói tin lưu không đọc lại được: " + pkg.error().describe();
        for (const auto& del : d.deliveries) to.push_back(del.recipient);
      }
      if (base.date.empty()) base.date = arrival_iso;

      if (homedHere(d.sender)) {
        RegisterEntry out = base;
        out.direction = RegisterDirection::Outgoing;
        out.unit = d.sender;
        out.dispatch_date = arrival_iso;  // handed to the gateway that day
        for (const auto& r : to) {
          RegisterRecipient rr;
          rr.organ_id = r;
          rr.paper = paper_copy;
          out.recipients.push_back(std::move(rr));
        }
        entries.push_back(std::move(out));
        ++stats.outgoing;
      }
      for (const auto& del : d.deliveries) {
        if (del.route != "local") continue;
        RegisterEntry in = base;
        in.direction = RegisterDirection::Incoming;
        in.unit = del.recipient;
        in.arrival_date = arrival_iso;
        RegisterRecipient rr;
        rr.organ_id = del.recipient;
        rr.paper = paper_copy;
        in.recipients = {rr};
        entries.push_back(std::move(in));
        ++stats.incoming;
      }
    }
    const std::int64_t next = docs->back().id;
    if (auto ok = book_->addGatewayEntries(entries, next); !ok) return std::unexpected(ok.error());
    stats.cursor = next;
    if (static_cast<int>(docs->size()) < batch) break;
  }
  return stats;
}

}  // namespace lienthong::gateway
