#include "lienthong/schemas/edxml.h"

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

Result<void> checkOrganization(const Organization& o, std::string_view role, int fallback_line) {
  const int line = o.line ? o.line : fallback_line;
  if (o.organ_id.empty()) {
    return fail(ErrorCode::MissingElement, std::string(role) + " has no OrganId", line,
                std::string(role));
  }
  if (auto id = OrganId::parse(o.organ_id); !id) {
    return fail(ErrorCode::BadOrganId, std::string(role) + ": " + id.error().message, line,
                "OrganId");
  }
  return {};
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

Result<void> Package::check() const {
  const int hl = header.line;
  if (header.from.organ_id.empty() && header.from.line == 0) {
    return fail(ErrorCode::MissingElement, "MessageHeader has no From", hl, "From");
  }
  if (auto r = checkOrganization(header.from, "From", hl); !r) return r;
  if (header.to.empty()) {
    return fail(ErrorCode::MissingElement, "MessageHeader has no To: at least one recipient",
                hl, "To");
  }
  for (const auto& to : header.to) {
    if (auto r = checkOrganization(to, "To", hl); !r) return r;
  }
  if (header.document_id.empty() && (header.code.number.empty() || header.promulgation_date.empty())) {
    return fail(ErrorCode::MissingElement,
                "the document has no identity: neither DocumentId nor Code/CodeNumber with "
                "PromulgationInfo/PromulgationDate",
                hl, "DocumentId");
  }
  if (!header.promulgation_date.empty()) {
    if (auto r = checkDate(header.promulgation_date, "PromulgationDate", hl); !r) return r;
  }
  if (!header.due_date.empty()) {
    if (auto r = checkDate(header.due_date, "DueDate", hl); !r) return r;
  }
  if (business && business->doc_type != BusinessDocType::New && business->document_id.empty()) {
    return fail(ErrorCode::MissingElement,
                "Bussiness of a revoke/update/replace package names no target DocumentId", hl,
                "Bussiness");
  }
  std::set<std::string_view> refs;
  for (const auto& m : manifest) {
    if (m.content_id.empty()) {
      return fail(ErrorCode::MissingElement, "manifest Reference has no ContentId", m.line,
                  "Reference");
    }
    if (!refs.insert(m.content_id).second) {
      return fail(ErrorCode::DuplicateContentId,
                  "ContentId '" + m.content_id + "' appears twice in the manifest", m.line,
                  "ContentId");
    }
  }
  std::set<std::string_view> seen;
  for (const auto& a : attachments) {
    if (a.content_id.empty()) {
      return fail(ErrorCode::MissingElement, "Attachment has no ContentId", a.line, "Attachment");
    }
    if (!seen.insert(a.content_id).second) {
      return fail(ErrorCode::DuplicateContentId,
                  "ContentId '" + a.content_id + "' is used by two attachments", a.line,
                  "ContentId");
    }
    if (!refs.contains(a.content_id)) {
      return fail(ErrorCode::OrphanAttachment,
                  "attachment '" + a.content_id + "' is not listed in edXMLManifest", a.line,
                  "Attachment");
    }
  }
  for (const auto& m : manifest) {
    if (!seen.contains(m.content_id)) {
      return fail(ErrorCode::MissingAttachment,
                  "manifest entry '" + m.content_id + "' (" + m.attachment_name +
                      ") has no Attachment in AttachmentEncoded",
                  m.line, "Reference");
    }
  }
  return {};
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
  if (auto r = checkOrganization(from, "From", from.line); !r) return r;
  if (response_for.organ_id.empty() || response_for.document_id.empty()) {
    return fail(ErrorCode::MissingElement,
                "status message ResponseFor needs the original sender's OrganId and DocumentId",
                from.line, "ResponseFor");
  }
  if (auto id = OrganId::parse(response_for.organ_id); !id) {
    return fail(ErrorCode::BadOrganId, "ResponseFor: " + id.error().message, from.line, "OrganId");
  }
  return {};
}

}  // namespace lienthong::schemas
