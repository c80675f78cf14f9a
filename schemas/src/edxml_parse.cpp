// Reading edXML trees into the model. Children are matched by namespace and local name in any
// order; elements the model does not know are kept as fragments and reported as warnings (edXML
// namespace or none; a foreign namespace is an extension by design). Reading goes on after an
// error so that one run reports every finding.
#include <algorithm>
#include <functional>
#include <initializer_list>
#include <map>

#include "lienthong/schemas/edxml.h"
#include "lienthong/schemas/schema_set.h"

namespace lienthong::schemas {
namespace {

// What one reading found.
struct Ctx {
  std::vector<Error> errors;
  Warnings warnings;
  // Where a Signature outside edXMLHeader goes (generic XMLDSig signers, e.g. .NET SignedXml,
  // append it to the document element); null where none is looked for.
  std::string* signature = nullptr;
  // Lines of dated elements, so that the model's date findings (made with the MessageHeader's
  // line) point at the element itself.
  std::map<std::string, int, std::less<>> date_lines;
  void warn(std::string code, std::string message, const xmlNode* n, std::string element = {}) {
    warnings.push_back(Warning{std::move(code), std::move(message), xml::line(n),
                               element.empty() ? std::string(xml::name(n)) : std::move(element)});
  }
  void error(Error e) { errors.push_back(std::move(e)); }
};

using Handler = std::function<void(xmlNode*)>;
struct Field {
  std::string_view name;
  Handler handle;
};

bool isPlaceholder(std::string_view t) {
  return t.size() == 4 && (t[0] == 'n' || t[0] == 'N') && (t[1] == 'u' || t[1] == 'U') &&
         (t[2] == 'l' || t[2] == 'L') && (t[3] == 'l' || t[3] == 'L');
}

// The element's text; the placeholder "null" reads as absent, with a warning.
std::string textOf(Ctx& ctx, const xmlNode* n) {
  std::string t = xml::text(n);
  if (isPlaceholder(t)) {
    ctx.warn("placeholder",
             "'" + t + "' in " + std::string(xml::name(n)) + " is a placeholder: read as absent", n);
    t.clear();
  }
  return t;
}

Handler into(Ctx& ctx, std::string& dst) {
  return [&ctx, &dst](xmlNode* n) { dst = textOf(ctx, n); };
}

// A date; a time written after it (2019-01-16T00:00:00, as .NET serializers write dates) is left
// out with a warning, so the date reads as yyyy/MM/dd or yyyy-MM-dd.
Handler dateInto(Ctx& ctx, std::string& dst) {
  return [&ctx, &dst](xmlNode* n) {
    ctx.date_lines.emplace(std::string(xml::name(n)), xml::line(n));
    dst = textOf(ctx, n);
    if (dst.size() > 10 && (dst[10] == 'T' || dst[10] == ' ') && (dst[4] == '/' || dst[4] == '-')) {
      ctx.warn("date_format",
               std::string(xml::name(n)) + " '" + dst + "' carries a time: the date " +
                   dst.substr(0, 10) + " is used",
               n);
      dst.resize(10);
    }
  };
}

// Elements declared as extensions the gateway knows real producers write (kept, not read).
bool declaredExtension(std::string_view name) { return name == "ApplicationType"; }

// Attributes of edXML elements: only edXMLManifest@version is defined; attributes in another
// namespace (xlink:, xsi:) are extensions by design. Others are kept and reported.
void checkAttributes(Ctx& ctx, const xmlNode* n) {
  for (const xmlAttr* a = n->properties; a; a = a->next) {
    const std::string_view ans = a->ns && a->ns->href ? reinterpret_cast<const char*>(a->ns->href) : "";
    if (!ans.empty() && ans != kEdxmlNs) continue;
    const std::string_view an = reinterpret_cast<const char*>(a->name);
    if (an == "version" && xml::name(n) == "edXMLManifest") continue;
    ctx.warn("unknown_attribute",
             "attribute '" + std::string(an) + "' on " + std::string(xml::name(n)) +
                 " is not part of edXML: kept, not read",
             n);
  }
}

bool isSignature(const xmlNode* n);

// A Signature as a child of edXML or edXMLEnvelope: taken as the package's signature, with a
// warning (the standard places it in edXMLHeader; the verifier finds it wherever it is).
bool takeSignature(Ctx& ctx, const xmlNode* parent, xmlNode* c) {
  if (!ctx.signature || !isSignature(c)) return false;
  const std::string_view where = xml::name(parent);
  if (where != "edXML" && where != "edXMLEnvelope") return false;
  if (!ctx.signature->empty()) {
    ctx.error(Error{ErrorCode::SchemaViolation, "more than one Signature in the message",
                    xml::line(c), "Signature"});
    return true;
  }
  *ctx.signature = xml::fragment(c);
  ctx.warn("signature_placement",
           "Signature is a child of " + std::string(where) + ", not of edXMLHeader: kept where it is",
           c, "Signature");
  return true;
}

// Calls the handler of each known edXML child; other children go to extras (when given) and are
// reported as warnings when in the edXML namespace or none.
void walk(Ctx& ctx, const xmlNode* parent, std::initializer_list<Field> fields, Extras* extras) {
  for (xmlNode* c = parent->children; c; c = c->next) {
    if (c->type == XML_TEXT_NODE && c->content) {
      const std::string_view t = reinterpret_cast<const char*>(c->content);
      if (t.find_first_not_of(" \t\r\n") != std::string_view::npos) {
        ctx.warn("stray_text", "text directly inside " + std::string(xml::name(parent)) +
                                   " (a container): ignored",
                 parent);
      }
      continue;
    }
    if (c->type != XML_ELEMENT_NODE) continue;
    if (takeSignature(ctx, parent, c)) continue;
    const Field* match = nullptr;
    const bool ours = xml::ns(c) == kEdxmlNs;
    if (ours) {
      for (const auto& f : fields) {
        if (f.name == xml::name(c)) {
          match = &f;
          break;
        }
      }
    }
    if (match) {
      checkAttributes(ctx, c);
      match->handle(c);
      continue;
    }
    if ((ours || xml::ns(c).empty()) && !declaredExtension(xml::name(c))) {
      ctx.warn("unknown_element",
               "element '" + std::string(xml::name(c)) + "'" +
                   (ours ? "" : " (no namespace)") + " is not expected in " +
                   std::string(xml::name(parent)) + ": kept, not read",
               c);
    }
    if (extras) extras->push_back(xml::fragment(c));
  }
}

void readOrganization(Ctx& ctx, xmlNode* n, Organization& o) {
  o.line = xml::line(n);
  walk(ctx, n,
       {{"OrganId", into(ctx, o.organ_id)},
        {"OrganizationInCharge", into(ctx, o.organization_in_charge)},
        {"OrganName", into(ctx, o.organ_name)},
        {"OrganAdd", into(ctx, o.organ_add)},
        {"Email", into(ctx, o.email)},
        {"Telephone", into(ctx, o.telephone)},
        {"Fax", into(ctx, o.fax)},
        {"Website", into(ctx, o.website)}},
       &o.extras);
}

void readStaffInfo(Ctx& ctx, xmlNode* n, StaffInfo& s) {
  walk(ctx, n,
       {{"Department", into(ctx, s.department)},
        {"Staff", into(ctx, s.staff)},
        {"Mobile", into(ctx, s.mobile)},
        {"Email", into(ctx, s.email)}},
       &s.extras);
}

void readResponseFor(Ctx& ctx, xmlNode* n, ResponseFor& r) {
  walk(ctx, n,
       {{"OrganId", into(ctx, r.organ_id)},
        {"Code", into(ctx, r.code)},
        {"PromulgationDate", into(ctx, r.promulgation_date)},
        {"DocumentId", into(ctx, r.document_id)}},
       nullptr);
  if (r.organ_id.empty() && !r.document_id.empty()) {
    // A composite DocumentId starts with the sender's OrganId.
    const auto comma = r.document_id.find(',');
    if (comma != std::string::npos && comma > 0) {
      r.organ_id = r.document_id.substr(0, comma);
      ctx.warn("placeholder",
               "ResponseFor has no OrganId: the original sender is taken from its DocumentId (" +
                   r.organ_id + ")",
               n, "ResponseFor");
    }
  }
}

// A small integer; the placeholder (empty or "null") gives `fallback` with a warning.
std::optional<int> readInt(Ctx& ctx, xmlNode* n, int lo, int hi, int fallback) {
  const std::string t = xml::text(n);
  if (t.empty() || isPlaceholder(t)) {
    ctx.warn("placeholder",
             std::string(xml::name(n)) + " is " + (t.empty() ? "empty" : "'" + t + "'") +
                 ": read as " + std::to_string(fallback),
             n);
    return fallback;
  }
  int v = 0;
  bool ok = t.size() <= 3;
  for (char c : t) {
    if (c < '0' || c > '9') ok = false;
    else v = v * 10 + (c - '0');
  }
  if (!ok || v < lo || v > hi) {
    ctx.error(Error{ErrorCode::SchemaViolation,
                    "value '" + t + "' of " + std::string(xml::name(n)) + " is not a number from " +
                        std::to_string(lo) + " to " + std::to_string(hi),
                    xml::line(n), std::string(xml::name(n))});
    return std::nullopt;
  }
  return v;
}

void readReplacements(Ctx& ctx, xmlNode* list, Business& bus) {
  walk(ctx, list,
       {{"ReplacementInfo",
         [&](xmlNode* ri) {
           Replacement r;
           r.line = xml::line(ri);
           walk(ctx, ri,
                {{"DocumentId", into(ctx, r.document_id)},
                 {"OrganIdList",
                  [&](xmlNode* ol) {
                    walk(ctx, ol,
                         {{"OrganId",
                           [&](xmlNode* o) {
                             std::string id = textOf(ctx, o);
                             if (!id.empty()) r.organ_ids.push_back(std::move(id));
                           }}},
                         nullptr);
                  }}},
                nullptr);
           bus.replacements.push_back(std::move(r));
         }}},
       nullptr);
}

void readTraces(Ctx& ctx, xmlNode* n, std::vector<TraceHeader>& traces,
                std::optional<Business>* business) {
  walk(ctx, n,
       {{"TraceHeader",
         [&](xmlNode* t) {
           TraceHeader th;
           walk(ctx, t, {{"OrganId", into(ctx, th.organ_id)}, {"Timestamp", into(ctx, th.timestamp)}},
                nullptr);
           traces.push_back(std::move(th));
         }},
        {"Bussiness",
         [&](xmlNode* b) {
           if (!business) return;
           if (business->has_value()) {
             ctx.warn("duplicate_element", "a second Bussiness in TraceHeaderList: ignored", b);
             return;
           }
           Business bus;
           bus.line = xml::line(b);
           walk(ctx, b,
                {{"BussinessDocType",
                  [&](xmlNode* x) {
                    if (auto v = readInt(ctx, x, 0, 3, 0)) bus.doc_type = static_cast<BusinessDocType>(*v);
                  }},
                 {"BussinessDocReason", into(ctx, bus.reason)},
                 {"DocumentId", into(ctx, bus.document_id)},
                 {"Paper",
                  [&](xmlNode* x) {
                    if (auto v = readInt(ctx, x, 0, 1, 0)) bus.paper = *v == 1;
                  }},
                 {"StaffInfo",
                  [&](xmlNode* x) {
                    bus.staff_info.emplace();
                    readStaffInfo(ctx, x, *bus.staff_info);
                  }},
                 {"BussinessDocumentInfo",
                  [&](xmlNode* x) { bus.details.push_back(xml::fragment(x)); }},
                 {"ReplacementInfoList",
                  [&](xmlNode* x) {
                    readReplacements(ctx, x, bus);
                    bus.details.push_back(xml::fragment(x));
                  }}},
                &bus.details);
           *business = std::move(bus);
         }}},
       nullptr);
}

bool isSignature(const xmlNode* n) {
  return xml::name(n) == "Signature" &&
         (xml::ns(n) == kDsigNs || xml::ns(n) == kEdxmlNs || xml::ns(n).empty());
}

Result<xmlNode*> checkRoot(const XmlDocument& doc) {
  xmlNode* root = doc.root();
  if (xml::ns(root) != kEdxmlNs) {
    return fail(ErrorCode::WrongNamespace,
                "root element '" + std::string(xml::name(root)) + "' is in namespace '" +
                    std::string(xml::ns(root)) + "', expected '" + std::string(kEdxmlNs) + "'",
                xml::line(root), std::string(xml::name(root)));
  }
  if (xml::name(root) != "edXML") {
    return fail(ErrorCode::SchemaViolation,
                "root element is '" + std::string(xml::name(root)) + "', expected 'edXML'",
                xml::line(root), std::string(xml::name(root)));
  }
  return root;
}

xmlNode* childNamed(const xmlNode* parent, std::string_view name) {
  for (xmlNode* c = xml::firstElement(parent); c; c = xml::nextElement(c)) {
    if (xml::is(c, kEdxmlNs, name)) return c;
  }
  return nullptr;
}

// Schema errors first, then what reading and the model rules found; a model error on the same
// line and element as a schema error says the same thing and is left out.
void merge(std::vector<Error>& out, std::vector<Error> more) {
  for (auto& e : more) {
    const bool dup = std::any_of(out.begin(), out.end(), [&](const Error& o) {
      return o.line == e.line && o.line != 0 && o.element == e.element;
    });
    if (!dup) out.push_back(std::move(e));
  }
}

template <typename T>
Result<T> firstOrValue(Analysis<T>&& a) {
  if (!a.errors.empty()) return std::unexpected(std::move(a.errors.front()));
  a.value->warnings = std::move(a.warnings);
  return std::move(*a.value);
}

}  // namespace

// Reads a parsed tree into a Package; a friend of Attachment so that attachments can point into
// the tree.
class PackageParser {
 public:
  static Package read(Ctx& ctx, xmlNode* root, const std::shared_ptr<const XmlDocument>& doc) {
    Package p;
    ctx.signature = &p.signature_xml;
    checkAttributes(ctx, root);
    walk(ctx, root,
         {{"edXMLEnvelope",
           [&](xmlNode* env) {
             walk(ctx, env,
                  {{"edXMLHeader", [&](xmlNode* hdr) { readHeader(ctx, hdr, p); }},
                   {"edXMLBody",
                    [&](xmlNode* body) {
                      walk(ctx, body,
                           {{"edXMLManifest",
                             [&](xmlNode* man) {
                               p.manifest_version = xml::attribute(man, "version");
                               walk(ctx, man,
                                    {{"Reference", [&](xmlNode* ref) { readReference(ctx, ref, p); }}},
                                    &p.envelope_extras);
                             }}},
                           &p.envelope_extras);
                    }}},
                  &p.envelope_extras);
           }},
          {"AttachmentEncoded",
           [&](xmlNode* enc) {
             walk(ctx, enc, {{"Attachment", [&](xmlNode* a) { readAttachment(ctx, a, doc, p); }}},
                  &p.root_extras);
           }}},
         &p.root_extras);
    return p;
  }

 private:
  static void readHeader(Ctx& ctx, xmlNode* hdr, Package& p) {
    for (xmlNode* c = xml::firstElement(hdr); c; c = xml::nextElement(c)) {
      if (isSignature(c)) {
        if (!p.signature_xml.empty()) {
          ctx.error(Error{ErrorCode::SchemaViolation, "more than one Signature in the message",
                          xml::line(c), "Signature"});
          continue;
        }
        p.signature_xml = xml::fragment(c);
        continue;
      }
      if (xml::is(c, kEdxmlNs, "MessageHeader")) {
        checkAttributes(ctx, c);
        readMessageHeader(ctx, c, p.header);
      } else if (xml::is(c, kEdxmlNs, "TraceHeaderList")) {
        checkAttributes(ctx, c);
        readTraces(ctx, c, p.traces, &p.business);
      } else {
        if ((xml::ns(c) == kEdxmlNs || xml::ns(c).empty()) && !declaredExtension(xml::name(c))) {
          ctx.warn("unknown_element",
                   "element '" + std::string(xml::name(c)) + "' is not expected in edXMLHeader: kept, not read", c);
        }
        p.header_extras.push_back(xml::fragment(c));
      }
    }
  }

  static void readMessageHeader(Ctx& ctx, xmlNode* n, MessageHeader& h) {
    h.line = xml::line(n);
    bool seen_from = false;
    walk(ctx, n,
         {{"From",
           [&](xmlNode* x) {
             if (seen_from) {
               ctx.error(Error{ErrorCode::SchemaViolation,
                               "more than one From in MessageHeader: the sender is ambiguous",
                               xml::line(x), "From"});
               return;
             }
             seen_from = true;
             readOrganization(ctx, x, h.from);
           }},
          {"To",
           [&](xmlNode* x) {
             h.to.emplace_back();
             readOrganization(ctx, x, h.to.back());
           }},
          {"Code",
           [&](xmlNode* x) {
             if (!xml::firstElement(x)) {
               // Some producers write the code as one text "number/notation".
               const std::string t = textOf(ctx, x);
               if (!t.empty()) {
                 const auto slash = t.find('/');
                 h.code.number = t.substr(0, slash);
                 if (slash != std::string::npos) h.code.notation = t.substr(slash + 1);
                 ctx.warn("code_as_text", "Code '" + t + "' is a text, not CodeNumber/CodeNotation", x);
               }
               return;
             }
             walk(ctx, x, {{"CodeNumber", into(ctx, h.code.number)},
                           {"CodeNotation", into(ctx, h.code.notation)}},
                  nullptr);
           }},
          {"PromulgationInfo",
           [&](xmlNode* x) {
             walk(ctx, x, {{"Place", into(ctx, h.place)},
                           {"PromulgationDate", dateInto(ctx, h.promulgation_date)}},
                  nullptr);
           }},
          {"DocumentType",
           [&](xmlNode* x) {
             walk(ctx, x, {{"Type", into(ctx, h.type)},
                           {"TypeDetail", into(ctx, h.type_detail)},
                           {"TypeName", into(ctx, h.type_name)}},
                  nullptr);
           }},
          {"Subject", into(ctx, h.subject)},
          {"Content", into(ctx, h.content)},
          {"SignerInfo",
           [&](xmlNode* x) {
             walk(ctx, x, {{"Competence", into(ctx, h.signer.competence)},
                           {"Position", into(ctx, h.signer.position)},
                           {"FullName", into(ctx, h.signer.full_name)}},
                  nullptr);
           }},
          {"DueDate", dateInto(ctx, h.due_date)},
          {"ToPlaces",
           [&](xmlNode* x) {
             walk(ctx, x, {{"Place", [&](xmlNode* pl) { h.to_places.push_back(xml::text(pl)); }}},
                  nullptr);
           }},
          {"OtherInfo",
           [&](xmlNode* x) {
             auto& o = h.other_info;
             walk(ctx, x,
                  {{"Priority",
                    [&](xmlNode* pr) {
                      if (auto v = readInt(ctx, pr, 0, 4, 0)) o.priority = static_cast<Priority>(*v);
                    }},
                   {"SphereOfPromulgation", into(ctx, o.sphere_of_promulgation)},
                   {"TyperNotation", into(ctx, o.typer_notation)},
                   {"PromulgationAmount", into(ctx, o.promulgation_amount)},
                   {"PageAmount", into(ctx, o.page_amount)},
                   {"Direction", into(ctx, o.direction)},
                   {"SecurityLevel", into(ctx, o.security_level)},
                   {"Appendixes",
                    [&](xmlNode* ap) {
                      for (xmlNode* c = xml::firstElement(ap); c; c = xml::nextElement(c)) {
                        o.appendixes.push_back(xml::fragment(c));
                      }
                    }}},
                  &o.extras);
           }},
          {"ResponseFor",
           [&](xmlNode* x) {
             h.response_for.emplace_back();
             readResponseFor(ctx, x, h.response_for.back());
           }},
          {"SteeringType", into(ctx, h.steering_type)},
          {"DocumentId", into(ctx, h.document_id)}},
         &h.extras);
  }

  static void readReference(Ctx& ctx, xmlNode* ref, Package& p) {
    ManifestReference m;
    m.line = xml::line(ref);
    walk(ctx, ref,
         {{"ContentId", into(ctx, m.content_id)},
          {"ContentType", into(ctx, m.content_type)},
          {"Description", into(ctx, m.description)},
          {"AttachmentName", into(ctx, m.attachment_name)}},
         nullptr);
    p.manifest.push_back(std::move(m));
  }

  static void readAttachment(Ctx& ctx, xmlNode* a, const std::shared_ptr<const XmlDocument>& doc,
                             Package& p) {
    Attachment att;
    att.line = xml::line(a);
    xmlNode* payload = nullptr;
    walk(ctx, a,
         {{"ContentId", into(ctx, att.content_id)},
          {"ContentType", into(ctx, att.content_type)},
          {"Description", into(ctx, att.description)},
          {"AttachmentName", into(ctx, att.attachment_name)},
          {"ContentTransferEncoded", [&](xmlNode* x) { payload = x; }}},
         &att.extras);
    if (payload) {
      att.encoded_ = xml::rawText(payload);
      if (auto b = codec::checkBase64(att.encoded_); !b) {
        ctx.error(Error{ErrorCode::BadBase64,
                        "attachment '" + att.content_id + "': " + b.error().message,
                        xml::line(payload), "ContentTransferEncoded"});
      }
    }
    att.keep_alive_ = doc;
    p.attachments.push_back(std::move(att));
  }
};

Analysis<Package> Package::analyze(std::string_view bytes, const SchemaSet* schemas,
                                   const XmlLimits& limits) {
  Analysis<Package> a;
  auto parsed = XmlDocument::parse(bytes, limits);
  if (!parsed) {
    a.errors.push_back(parsed.error());
    return a;
  }
  auto doc = std::make_shared<const XmlDocument>(std::move(*parsed));
  auto root = checkRoot(*doc);
  if (!root) {
    a.errors.push_back(root.error());
    return a;
  }
  if (schemas) schemas->validateAll(*doc, SchemaKind::Document, a.errors);
  Ctx ctx;
  a.value = PackageParser::read(ctx, *root, doc);
  a.value->checkAll(ctx.errors, ctx.warnings);
  const int hl = a.value->header.line;
  auto relocate = [&](auto& finding) {
    if (finding.line != hl) return;
    if (auto it = ctx.date_lines.find(finding.element); it != ctx.date_lines.end()) finding.line = it->second;
  };
  for (auto& e : ctx.errors) relocate(e);
  for (auto& w : ctx.warnings) relocate(w);
  merge(a.errors, std::move(ctx.errors));
  a.warnings = std::move(ctx.warnings);
  return a;
}

Result<Package> Package::parse(std::string_view bytes, const SchemaSet* schemas,
                               const XmlLimits& limits) {
  return firstOrValue(analyze(bytes, schemas, limits));
}

Analysis<StatusMessage> StatusMessage::analyze(std::string_view bytes, const SchemaSet* schemas,
                                               const XmlLimits& limits) {
  Analysis<StatusMessage> a;
  auto doc = XmlDocument::parse(bytes, limits);
  if (!doc) {
    a.errors.push_back(doc.error());
    return a;
  }
  auto root = checkRoot(*doc);
  if (!root) {
    a.errors.push_back(root.error());
    return a;
  }
  if (schemas) schemas->validateAll(*doc, SchemaKind::Status, a.errors);
  Ctx ctx;
  StatusMessage s;
  bool seen_code = false;
  xmlNode* env = childNamed(*root, "edXMLEnvelope");
  xmlNode* hdr = childNamed(env, "edXMLHeader");
  if (!hdr) {
    a.errors.push_back(Error{ErrorCode::MissingElement,
                             "status message has no edXMLEnvelope/edXMLHeader", xml::line(*root),
                             "edXMLHeader"});
    return a;
  }
  checkAttributes(ctx, *root);
  ctx.signature = &s.signature_xml;
  for (xmlNode* c = xml::firstElement(*root); c; c = xml::nextElement(c)) {
    if (c == env) continue;
    if (takeSignature(ctx, *root, c)) continue;
    if ((xml::ns(c) == kEdxmlNs || xml::ns(c).empty()) && !declaredExtension(xml::name(c))) {
      ctx.warn("unknown_element",
               "element '" + std::string(xml::name(c)) + "' is not expected in a status message's edXML: kept, not read", c);
    }
  }
  for (xmlNode* c = xml::firstElement(hdr); c; c = xml::nextElement(c)) {
    if (isSignature(c)) {
      if (!s.signature_xml.empty()) {
        ctx.error(Error{ErrorCode::SchemaViolation, "more than one Signature in the message",
                        xml::line(c), "Signature"});
        continue;
      }
      s.signature_xml = xml::fragment(c);
    } else if (xml::is(c, kEdxmlNs, "TraceHeaderList")) {
      readTraces(ctx, c, s.traces, nullptr);
    } else if (xml::is(c, kEdxmlNs, "MessageHeader")) {
      checkAttributes(ctx, c);
      walk(ctx, c,
           {{"From", [&](xmlNode* x) { readOrganization(ctx, x, s.from); }},
            {"ResponseFor", [&](xmlNode* x) { readResponseFor(ctx, x, s.response_for); }},
            {"StaffInfo", [&](xmlNode* x) { readStaffInfo(ctx, x, s.staff_info); }},
            {"StatusCode",
             [&](xmlNode* x) {
               std::string text = xml::text(x);
               if (text.size() == 1 && text[0] >= '1' && text[0] <= '6') {
                 ctx.warn("status_code_format",
                          "StatusCode '" + text + "' without its leading zero: read as 0" + text, x);
                 text = "0" + text;
               }
               auto code = parseStatusCode(text);
               if (!code) {
                 ctx.error(Error{ErrorCode::SchemaViolation, code.error().message, xml::line(x),
                                 "StatusCode"});
                 return;
               }
               s.status = *code;
               seen_code = true;
             }},
            {"Description", into(ctx, s.description)},
            {"Timestamp", into(ctx, s.timestamp)}},
           &s.extras);
    } else {
      if ((xml::ns(c) == kEdxmlNs || xml::ns(c).empty()) && !declaredExtension(xml::name(c))) {
        ctx.warn("unknown_element",
                 "element '" + std::string(xml::name(c)) + "' is not expected in edXMLHeader: kept, not read", c);
      }
      s.extras.push_back(xml::fragment(c));
    }
  }
  const bool code_error = std::any_of(ctx.errors.begin(), ctx.errors.end(),
                                      [](const Error& e) { return e.element == "StatusCode"; }) ||
                          std::any_of(a.errors.begin(), a.errors.end(),
                                      [](const Error& e) { return e.element == "StatusCode"; });
  if (!seen_code && !code_error) {
    ctx.error(Error{ErrorCode::MissingElement, "status message has no StatusCode", xml::line(hdr),
                    "StatusCode"});
  }
  s.checkAll(ctx.errors, ctx.warnings);
  merge(a.errors, std::move(ctx.errors));
  a.warnings = std::move(ctx.warnings);
  a.value = std::move(s);
  return a;
}

Result<StatusMessage> StatusMessage::parse(std::string_view bytes, const SchemaSet* schemas,
                                           const XmlLimits& limits) {
  return firstOrValue(analyze(bytes, schemas, limits));
}

Result<MessageKind> detectKind(const XmlDocument& doc) {
  auto root = checkRoot(doc);
  if (!root) return std::unexpected(root.error());
  xmlNode* env = childNamed(*root, "edXMLEnvelope");
  xmlNode* hdr = childNamed(env, "edXMLHeader");
  xmlNode* mh = childNamed(hdr, "MessageHeader");
  if (!mh) {
    return fail(ErrorCode::MissingElement, "no edXMLEnvelope/edXMLHeader/MessageHeader",
                xml::line(*root), "MessageHeader");
  }
  return childNamed(mh, "StatusCode") ? MessageKind::Status : MessageKind::Document;
}

}  // namespace lienthong::schemas
