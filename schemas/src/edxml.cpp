#include "lienthong/schemas/edxml.h"

#include <algorithm>
#include <set>

#include "lienthong/schemas/organ_id.h"

namespace lienthong::schemas {
namespace {

bool digits(std::string_view s) {
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return !s.empty();
}

int toInt(std::string_view s) {
  int v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v;
}

// yyyy/MM/dd (the standard) or yyyy-MM-dd (seen in producers), a real calendar date.
Result<void> checkDate(std::string_view value, std::string_view element, int line) {
  auto bad = [&](std::string why) {
    return fail(ErrorCode::BadDate,
                std::string(element) + " '" + std::string(value) + "' " + why, line,
                std::string(element));
  };
  if (value.size() != 10 || (value[4] != '/' && value[4] != '-') || value[7] != value[4] ||
      !digits(value.substr(0, 4)) || !digits(value.substr(5, 2)) || !digits(value.substr(8, 2))) {
    return bad("is not a date in the form yyyy/MM/dd");
  }
  const int y = toInt(value.substr(0, 4)), m = toInt(value.substr(5, 2)), d = toInt(value.substr(8, 2));
  static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m < 1 || m > 12) return bad("has no month " + std::to_string(m));
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  const int max = m == 2 && !leap ? 28 : kDays[m - 1];
  if (d < 1 || d > max) return bad("has no day " + std::to_string(d) + " in that month");
  return {};
}

template <typename F>
void each(std::vector<Error>& errors, F&& f) {
  if (auto r = f(); !r) errors.push_back(r.error());
}

void checkOrganization(const Organization& o, std::string_view role, int fallback_line,
                       bool required, std::vector<Error>& errors, Warnings& warnings) {
  const int line = o.line ? o.line : fallback_line;
  if (o.organ_id.empty()) {
    if (required) {
      errors.push_back(Error{ErrorCode::MissingElement,
                             std::string(role) + " has no OrganId: the message cannot be " +
                                 (role == "From" ? "accounted to a sender" : "routed"),
                             line, std::string(role)});
    }
    return;
  }
  auto id = OrganId::parse(o.organ_id);
  if (!id) {
    errors.push_back(Error{ErrorCode::BadOrganId, std::string(role) + ": " + id.error().message,
                           line, "OrganId"});
    return;
  }
  if (id->form() == OrganId::Form::Other) {
    warnings.push_back(Warning{"organ_id_other",
                               std::string(role) + " code '" + o.organ_id +
                                   "' fits neither the legacy nor the Decision 20/2020 form (" +
                                   id->note() + "): routed as written, by the directory",
                               line, "OrganId"});
  }
}

}  // namespace

std::string DocumentCode::str() const {
  if (number.empty()) return notation;
  if (notation.empty()) return number;
  return number + "/" + notation;
}

std::string_view priorityLabel(Priority p) {
  switch (p) {
    case Priority::Normal: return "thường (normal)";
    case Priority::Urgent: return "khẩn (urgent)";
    case Priority::VeryUrgent: return "thượng khẩn (very urgent)";
    case Priority::Flash: return "hỏa tốc (flash)";
    case Priority::FlashScheduled: return "hỏa tốc hẹn giờ (flash, scheduled)";
  }
  return "";
}

Attachment Attachment::fromBytes(std::string content_id, std::string name,
                                 std::string content_type, std::string_view bytes) {
  Attachment a;
  a.content_id = std::move(content_id);
  a.attachment_name = std::move(name);
  a.content_type = std::move(content_type);
  auto text = std::make_shared<const std::string>(codec::encodeBase64(bytes));
  a.encoded_ = *text;
  a.keep_alive_ = std::move(text);
  return a;
}

bool Attachment::isZip() const {
  return content_type == "application/zip" || content_type == "application/x-zip-compressed";
}

Result<std::vector<codec::ZipEntry>> Attachment::unzip() const {
  auto bytes = decode();
  if (!bytes) return std::unexpected(bytes.error());
  return codec::unzip(*bytes);
}

std::string Package::documentId() const {
  if (!header.document_id.empty()) return header.document_id;
  return header.from.organ_id + "," + header.promulgation_date + "," + header.code.str();
}

const Attachment* Package::attachment(std::string_view content_id) const {
  for (const auto& a : attachments) {
    if (a.content_id == content_id) return &a;
  }
  return nullptr;
}

std::string_view businessLabel(BusinessDocType t) {
  switch (t) {
    case BusinessDocType::New: return "new";
    case BusinessDocType::Revoke: return "revoke";
    case BusinessDocType::Update: return "update";
    case BusinessDocType::Replace: return "replace";
  }
  return "new";
}

std::string Warning::describe() const {
  std::string out;
  if (line > 0) out += "line " + std::to_string(line) + ": ";
  if (!element.empty()) out += "element '" + element + "': ";
  out += message + " [" + code + "]";
  return out;
}

std::vector<std::string> Package::businessTargets() const {
  std::vector<std::string> out;
  if (!business) return out;
  auto add = [&](const std::string& id) {
    if (!id.empty() && std::find(out.begin(), out.end(), id) == out.end()) out.push_back(id);
  };
  switch (business->doc_type) {
    case BusinessDocType::New: break;
    case BusinessDocType::Update: add(business->document_id); break;
    case BusinessDocType::Replace:
      for (const auto& r : business->replacements) add(r.document_id);
      if (out.empty()) add(business->document_id);
      break;
    case BusinessDocType::Revoke:
      add(business->document_id.empty() ? documentId() : business->document_id);
      break;
  }
  return out;
}

std::vector<std::string> Package::replacedAt(std::string_view target) const {
  std::vector<std::string> out;
  if (!business) return out;
  for (const auto& r : business->replacements) {
    if (r.document_id != target) continue;
    for (const auto& o : r.organ_ids) {
      if (std::find(out.begin(), out.end(), o) == out.end()) out.push_back(o);
    }
  }
  return out;
}

Result<void> Package::check() const {
  std::vector<Error> errors;
  Warnings warnings;
  checkAll(errors, warnings);
  if (!errors.empty()) return std::unexpected(errors.front());
  return {};
}

void Package::checkAll(std::vector<Error>& errors, Warnings& warnings) const {
  const int hl = header.line;
  if (header.from.organ_id.empty() && header.from.line == 0) {
    errors.push_back(Error{ErrorCode::MissingElement, "MessageHeader has no From", hl, "From"});
  } else {
    checkOrganization(header.from, "From", hl, true, errors, warnings);
  }
  if (header.to.empty()) {
    errors.push_back(Error{ErrorCode::MissingElement,
                           "MessageHeader has no To: at least one recipient", hl, "To"});
  }
  std::set<std::string> recipients;
  for (const auto& to : header.to) {
    checkOrganization(to, "To", hl, true, errors, warnings);
    if (!to.organ_id.empty() && !recipients.insert(organKey(to.organ_id)).second) {
      warnings.push_back(Warning{"duplicate_recipient",
                                 "To '" + to.organ_id + "' is listed twice: delivered once",
                                 to.line ? to.line : hl, "To"});
    }
  }
  if (header.document_id.empty() && (header.code.number.empty() || header.promulgation_date.empty())) {
    errors.push_back(Error{ErrorCode::MissingElement,
                           "the document has no identity: neither DocumentId nor Code/CodeNumber "
                           "with PromulgationInfo/PromulgationDate",
                           hl, "DocumentId"});
  }
  if (!header.promulgation_date.empty()) {
    each(errors, [&] { return checkDate(header.promulgation_date, "PromulgationDate", hl); });
  }
  if (!header.due_date.empty()) {
    if (auto r = checkDate(header.due_date, "DueDate", hl); !r) {
      warnings.push_back(Warning{"date_format", r.error().message + ": kept as written", hl, "DueDate"});
    }
  }
  if (business) {
    const int bl = business->line ? business->line : hl;
    const auto t = business->doc_type;
    if (t == BusinessDocType::Update && business->document_id.empty()) {
      errors.push_back(Error{ErrorCode::MissingElement,
                             "an update (BussinessDocType 2) names its target in Bussiness/DocumentId; "
                             "there is none, so the update cannot be accounted to a document",
                             bl, "Bussiness"});
    }
    if (t == BusinessDocType::Replace) {
      bool any = !business->document_id.empty();
      std::set<std::string> seen;
      for (const auto& r : business->replacements) {
        if (r.document_id.empty()) {
          errors.push_back(Error{ErrorCode::MissingElement,
                                 "ReplacementInfo names no DocumentId: what it replaces is unknown",
                                 r.line ? r.line : bl, "ReplacementInfo"});
          continue;
        }
        any = true;
        if (!seen.insert(r.document_id).second) {
          warnings.push_back(Warning{"duplicate_replacement",
                                     "ReplacementInfo for '" + r.document_id +
                                         "' is listed more than once: its recipients are merged",
                                     r.line ? r.line : bl, "ReplacementInfo"});
        }
        for (const auto& o : r.organ_ids) {
          auto id = OrganId::parse(o);
          if (!id) {
            errors.push_back(Error{ErrorCode::BadOrganId, "ReplacementInfo: " + id.error().message,
                                   r.line ? r.line : bl, "OrganId"});
          } else if (!recipients.contains(id->key())) {
            warnings.push_back(Warning{"replacement_recipient",
                                       "ReplacementInfo names '" + o +
                                           "', which is not a To of this package: it is delivered "
                                           "there too",
                                       r.line ? r.line : bl, "OrganIdList"});
          }
        }
      }
      if (!any) {
        errors.push_back(Error{ErrorCode::MissingElement,
                               "a replacement (BussinessDocType 3) names no document it replaces "
                               "(Bussiness/ReplacementInfoList/ReplacementInfo/DocumentId)",
                               bl, "Bussiness"});
      } else if (business->replacements.empty()) {
        warnings.push_back(Warning{"business_target",
                                   "a replacement without ReplacementInfoList: its target is taken "
                                   "from Bussiness/DocumentId",
                                   bl, "Bussiness"});
      }
    }
    if (t == BusinessDocType::New && !business->document_id.empty()) {
      warnings.push_back(Warning{"business_target",
                                 "Bussiness/DocumentId '" + business->document_id +
                                     "' in a new document (BussinessDocType 0) acts on nothing: ignored",
                                 bl, "DocumentId"});
    }
    if (t != BusinessDocType::Replace && !business->replacements.empty()) {
      warnings.push_back(Warning{"business_target",
                                 "ReplacementInfoList in a package that is not a replacement: ignored",
                                 bl, "ReplacementInfoList"});
    }
  }
  std::set<std::string_view> refs;
  for (const auto& m : manifest) {
    if (m.content_id.empty()) {
      errors.push_back(Error{ErrorCode::MissingElement, "manifest Reference has no ContentId", m.line,
                             "Reference"});
      continue;
    }
    if (!refs.insert(m.content_id).second) {
      errors.push_back(Error{ErrorCode::DuplicateContentId,
                             "ContentId '" + m.content_id + "' appears twice in the manifest", m.line,
                             "ContentId"});
    }
  }
  std::set<std::string_view> seen;
  for (const auto& a : attachments) {
    if (a.content_id.empty()) {
      errors.push_back(Error{ErrorCode::MissingElement, "Attachment has no ContentId", a.line,
                             "Attachment"});
      continue;
    }
    if (!seen.insert(a.content_id).second) {
      errors.push_back(Error{ErrorCode::DuplicateContentId,
                             "ContentId '" + a.content_id + "' is used by two attachments", a.line,
                             "ContentId"});
      continue;
    }
    if (!refs.contains(a.content_id)) {
      errors.push_back(Error{ErrorCode::OrphanAttachment,
                             "attachment '" + a.content_id + "' is not listed in edXMLManifest",
                             a.line, "Attachment"});
    }
  }
  for (const auto& m : manifest) {
    if (!m.content_id.empty() && !seen.contains(m.content_id)) {
      errors.push_back(Error{ErrorCode::MissingAttachment,
                             "manifest entry '" + m.content_id + "' (" + m.attachment_name +
                                 ") has no Attachment in AttachmentEncoded",
                             m.line, "Reference"});
    }
  }
}

std::string statusCodeText(StatusCode code) {
  const int v = static_cast<int>(code);
  return (v < 10 ? "0" : "") + std::to_string(v);
}

Result<StatusCode> parseStatusCode(std::string_view text) {
  static constexpr StatusCode kAll[] = {
      StatusCode::Arrived,         StatusCode::Rejected,     StatusCode::Accepted,
      StatusCode::Assigned,        StatusCode::Processing,   StatusCode::Completed,
      StatusCode::RecallRequested, StatusCode::RecallAgreed, StatusCode::RecallRefused};
  for (auto c : kAll) {
    if (statusCodeText(c) == text) return c;
  }
  return fail(ErrorCode::SchemaViolation,
              "status code '" + std::string(text) + "' is not one of 01-06, 13, 15, 16");
}

std::string_view statusLabel(StatusCode code) {
  switch (code) {
    case StatusCode::Arrived: return "arrived";
    case StatusCode::Rejected: return "rejected";
    case StatusCode::Accepted: return "accepted";
    case StatusCode::Assigned: return "assigned";
    case StatusCode::Processing: return "processing";
    case StatusCode::Completed: return "completed";
    case StatusCode::RecallRequested: return "recall requested";
    case StatusCode::RecallAgreed: return "recall agreed";
    case StatusCode::RecallRefused: return "recall refused";
  }
  return "";
}

Result<void> StatusMessage::check() const {
  std::vector<Error> errors;
  Warnings warnings;
  checkAll(errors, warnings);
  if (!errors.empty()) return std::unexpected(errors.front());
  return {};
}

void StatusMessage::checkAll(std::vector<Error>& errors, Warnings& warnings) const {
  checkOrganization(from, "From", from.line, true, errors, warnings);
  if (response_for.organ_id.empty() || response_for.document_id.empty()) {
    errors.push_back(Error{ErrorCode::MissingElement,
                           "status message ResponseFor needs the original sender's OrganId and "
                           "DocumentId: without them the status cannot be routed",
                           from.line, "ResponseFor"});
    return;
  }
  Organization rf;
  rf.organ_id = response_for.organ_id;
  rf.line = from.line;
  checkOrganization(rf, "ResponseFor", from.line, true, errors, warnings);
}

}  // namespace lienthong::schemas
