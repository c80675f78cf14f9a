// The edXML model (QCVN 102:2016): typed C++ values for a document package and for a status
// message, parsed from bytes (namespace-aware, prefix-agnostic, any element order, unknown
// elements kept as XML fragments and written back) and serialized in one canonical layout, so
// serializing a parsed package twice gives identical bytes. Attachments keep a view of their
// base64 text inside the parsed tree and decode on demand, so a 50 MB file is not copied at parse.
// Values are thread-safe to read; a Package shares its parsed tree with copies of itself.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lienthong/schemas/codec.h"
#include "lienthong/schemas/error.h"
#include "lienthong/schemas/xml.h"

namespace lienthong::schemas {

class SchemaSet;

inline constexpr std::string_view kEdxmlNs = "http://www.mic.gov.vn/TBT/QCVN_102_2016";
inline constexpr std::string_view kDsigNs = "http://www.w3.org/2000/09/xmldsig#";

// Unknown child elements of a container, each a self-contained XML fragment, written back at the
// end of that container.
using Extras = std::vector<std::string>;

// A tolerated oddity of a message: accepted and kept byte-exact, reported with line and element,
// stored beside the message. `code` is a stable identifier: unknown_element, unknown_attribute,
// placeholder, organ_id_other, date_format, business_target, stray_text, ...
struct Warning {
  std::string code;
  std::string message;
  int line = 0;
  std::string element;
  // "line 14: element 'Direction': ... [unknown_element]"
  std::string describe() const;
};
using Warnings = std::vector<Warning>;

// Everything one reading of a message found: what could be read (also when refused, so that an
// operator can see who sent it), every error and every warning, in document order.
template <typename T>
struct Analysis {
  std::optional<T> value;
  std::vector<Error> errors;
  Warnings warnings;
  bool ok() const { return value.has_value() && errors.empty(); }
};

struct Organization {
  std::string organ_id;
  std::string organization_in_charge;
  std::string organ_name;
  std::string organ_add;
  std::string email;
  std::string telephone;
  std::string fax;
  std::string website;
  Extras extras;
  int line = 0;  // where it was parsed; 0 when built in code
};

struct DocumentCode {
  std::string number;    // CodeNumber, e.g. 7816
  std::string notation;  // CodeNotation, e.g. VPCP-TTĐT
  // "7816/VPCP-TTĐT", or "" when both are empty.
  std::string str() const;
};

struct SignerInfo {
  std::string competence;  // TM., KT., TL. ...
  std::string position;
  std::string full_name;
};

enum class Priority { Normal = 0, Urgent = 1, VeryUrgent = 2, Flash = 3, FlashScheduled = 4 };
std::string_view priorityLabel(Priority p);  // "thường", "khẩn", ...

struct OtherInfo {
  Priority priority = Priority::Normal;
  std::string sphere_of_promulgation;
  std::string typer_notation;
  std::string promulgation_amount;
  std::string page_amount;
  std::string direction;       // the vendor SDK writes "false" in every package
  std::string security_level;  // Mật / Tối mật / Tuyệt mật when a producer marks it; intake refuses
  Extras appendixes;           // children of Appendixes, kept as fragments
  Extras extras;
};

struct ResponseFor {
  std::string organ_id;
  std::string code;
  std::string promulgation_date;
  std::string document_id;
};

struct StaffInfo {
  std::string department;
  std::string staff;
  std::string mobile;
  std::string email;
  Extras extras;
};

struct TraceHeader {
  std::string organ_id;
  std::string timestamp;  // yyyy/MM/dd HH:mm:ss, UTC+7
};

// "Bussiness" (sic) in the standard: what the package does to an earlier document.
enum class BusinessDocType { New = 0, Revoke = 1, Update = 2, Replace = 3 };
std::string_view businessLabel(BusinessDocType t);  // "new", "revoke", "update", "replace"

// One entry of Bussiness/ReplacementInfoList: the document replaced and the recipients whose copy
// it replaces (OrganIdList; empty = every recipient).
struct Replacement {
  std::string document_id;
  std::vector<std::string> organ_ids;
  int line = 0;
};

// As the vendor SDK means it: an update names its target in Bussiness/DocumentId; a replacement in
// ReplacementInfoList/ReplacementInfo (read into `replacements`, written back from `details`); a
// revocation names none, its target is the package's own DocumentId.
struct Business {
  BusinessDocType doc_type = BusinessDocType::New;
  std::string reason;
  std::string document_id;  // Bussiness/DocumentId: the target of an update
  bool paper = false;       // a paper copy is also sent
  std::optional<StaffInfo> staff_info;
  std::vector<Replacement> replacements;  // read from ReplacementInfoList (kept in details)
  Extras details;  // BussinessDocumentInfo, ReplacementInfoList, ... as fragments
  int line = 0;
};

struct MessageHeader {
  Organization from;
  std::vector<Organization> to;
  DocumentCode code;
  std::string place;
  std::string promulgation_date;  // yyyy/MM/dd
  std::string type;
  std::string type_detail;
  std::string type_name;
  std::string subject;
  std::string content;
  SignerInfo signer;
  std::string due_date;
  std::vector<std::string> to_places;
  OtherInfo other_info;
  std::vector<ResponseFor> response_for;
  std::string steering_type;
  std::string document_id;
  Extras extras;
  int line = 0;
};

struct ManifestReference {
  std::string content_id;  // cid:<uuid>
  std::string content_type;
  std::string description;
  std::string attachment_name;
  int line = 0;
};

// One attachment's base64 payload. Either a view into a parsed tree (shared, not copied) or text
// the attachment owns.
class Attachment {
 public:
  Attachment() = default;
  // An attachment holding the given file, encoded now.
  static Attachment fromBytes(std::string content_id, std::string name, std::string content_type,
                              std::string_view bytes);

  std::string content_id;
  std::string content_type;
  std::string description;
  std::string attachment_name;
  Extras extras;
  int line = 0;

  std::string_view encoded() const { return encoded_; }
  std::size_t decodedSize() const { return codec::base64DecodedSize(encoded_); }
  Result<std::string> decode() const { return codec::decodeBase64(encoded_); }
  Result<void> decodeTo(const codec::Sink& sink) const { return codec::decodeBase64(encoded_, sink); }
  bool isZip() const;
  // The files inside a zipped attachment.
  Result<std::vector<codec::ZipEntry>> unzip() const;

 private:
  friend class PackageParser;
  std::shared_ptr<const void> keep_alive_;  // the parsed tree or the owned text
  std::string_view encoded_;
};

class Package {
 public:
  // Safe parse, root namespace, schema check (when schemas are given) and model rules, in order;
  // each refusal with its own ErrorCode, line and element.
  // On success the package's `warnings` list what was tolerated.
  static Result<Package> parse(std::string_view bytes, const SchemaSet* schemas,
                               const XmlLimits& limits = {});
  // Every error and warning in one run, and what could be read (value is empty only when the
  // bytes are not safe, well-formed edXML).
  static Analysis<Package> analyze(std::string_view bytes, const SchemaSet* schemas,
                                   const XmlLimits& limits = {});

  MessageHeader header;
  std::vector<TraceHeader> traces;
  std::optional<Business> business;
  std::string signature_xml;  // the Signature element as found, "" when unsigned
  std::vector<ManifestReference> manifest;
  std::string manifest_version;  // edXMLManifest@version ("1.0" from the vendor SDK), "" when absent
  std::vector<Attachment> attachments;
  Extras header_extras;    // unknown children of edXMLHeader
  Extras envelope_extras;  // unknown children of edXMLEnvelope and edXMLBody
  Extras root_extras;      // unknown children of edXML
  Warnings warnings;       // what parse tolerated (not serialized)

  // The identity the gateway deduplicates on: DocumentId when present, else
  // "<From OrganId>,<PromulgationDate>,<number/notation>".
  std::string documentId() const;
  // The earlier documents this package acts on: update: Bussiness/DocumentId; replace: each
  // ReplacementInfo DocumentId (once each, else Bussiness/DocumentId); revoke: Bussiness/DocumentId
  // when given, else the package's own DocumentId. Empty for a new document.
  std::vector<std::string> businessTargets() const;
  // For a replacement: the recipients that a target's ReplacementInfo names (empty: all of them).
  std::vector<std::string> replacedAt(std::string_view target) const;
  bool isSigned() const { return !signature_xml.empty(); }
  const Attachment* attachment(std::string_view content_id) const;

  // Canonical layout; with_signature=false leaves the Signature out (what a signer signs over).
  std::string serialize(bool with_signature = true) const;

  // Checks the rules the gateway relies on (From, To, identity, codes, attachments); used by
  // parse and before serializing a package built in code.
  Result<void> check() const;
  // The same rules, every finding: errors the gateway cannot pass, warnings it tolerates.
  void checkAll(std::vector<Error>& errors, Warnings& warnings) const;
};

enum class StatusCode {
  Arrived = 1,
  Rejected = 2,
  Accepted = 3,
  Assigned = 4,
  Processing = 5,
  Completed = 6,
  RecallRequested = 13,
  RecallAgreed = 15,
  RecallRefused = 16,
};
// "01", "02", ... as written in edXML.
std::string statusCodeText(StatusCode code);
Result<StatusCode> parseStatusCode(std::string_view text);
std::string_view statusLabel(StatusCode code);  // "arrived", "rejected", ...

struct StatusMessage {
  static Result<StatusMessage> parse(std::string_view bytes, const SchemaSet* schemas,
                                     const XmlLimits& limits = {});
  static Analysis<StatusMessage> analyze(std::string_view bytes, const SchemaSet* schemas,
                                         const XmlLimits& limits = {});

  Organization from;         // the unit reporting the status
  ResponseFor response_for;  // the original document: its sender OrganId and DocumentId
  StaffInfo staff_info;
  StatusCode status = StatusCode::Arrived;
  std::string description;
  std::string timestamp;  // yyyy/MM/dd HH:mm:ss
  std::vector<TraceHeader> traces;
  std::string signature_xml;
  Extras extras;
  Warnings warnings;  // what parse tolerated (not serialized)

  Result<void> check() const;
  void checkAll(std::vector<Error>& errors, Warnings& warnings) const;
  std::string serialize(bool with_signature = true) const;
};

enum class MessageKind { Document, Status };
// Tells a package from a status message by its MessageHeader (StatusCode present or not), after a
// safe parse; WrongNamespace / MissingElement when it is neither.
Result<MessageKind> detectKind(const XmlDocument& doc);

}  // namespace lienthong::schemas
