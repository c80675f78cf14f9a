// Reading edXML trees into the model. Children are matched by namespace and local name in any
// order; elements the model does not know are kept as fragments.
#include <functional>
#include <initializer_list>

#include "lienthong/schemas/edxml.h"
#include "lienthong/schemas/schema_set.h"

namespace lienthong::schemas {
namespace {

using Handler = std::function<Result<void>(xmlNode*)>;
struct Field {
  std::string_view name;
  Handler handle;
};

Handler into(std::string& dst) {
  return [&dst](xmlNode* n) -> Result<void> {
    dst = xml::text(n);
    return {};
  };
}

// Calls the handler of each known edXML child; other children go to extras (or are refused by
// the schema before we get here).
Result<void> walk(const xmlNode* parent, std::initializer_list<Field> fields, Extras* extras) {
  for (xmlNode* c = xml::firstElement(parent); c; c = xml::nextElement(c)) {
    const Field* match = nullptr;
    if (xml::ns(c) == kEdxmlNs) {
      for (const auto& f : fields) {
        if (f.name == xml::name(c)) {
          match = &f;
          break;
        }
      }
    }
    if (match) {
      if (auto r = match->handle(c); !r) return r;
    } else if (extras) {
      extras->push_back(xml::fragment(c));
    }
  }
  return {};
}

Result<void> readOrganization(xmlNode* n, Organization& o) {
  o.line = xml::line(n);
  return walk(n,
              {{"OrganId", into(o.organ_id)},
               {"OrganizationInCharge", into(o.organization_in_charge)},
               {"OrganName", into(o.organ_name)},
               {"OrganAdd", into(o.organ_add)},
               {"Email", into(o.email)},
               {"Telephone", into(o.telephone)},
               {"Fax", into(o.fax)},
               {"Website", into(o.website)}},
              &o.extras);
}

Result<void> readStaffInfo(xmlNode* n, StaffInfo& s) {
  return walk(n,
              {{"Department", into(s.department)},
               {"Staff", into(s.staff)},
               {"Mobile", into(s.mobile)},
               {"Email", into(s.email)}},
              &s.extras);
}

Result<void> readResponseFor(xmlNode* n, ResponseFor& r) {
  return walk(n,
              {{"OrganId", into(r.organ_id)},
               {"Code", into(r.code)},
               {"PromulgationDate", into(r.promulgation_date)},
               {"DocumentId", into(r.document_id)}},
              nullptr);
}

Result<int> readInt(xmlNode* n, int lo, int hi) {
  const std::string t = xml::text(n);
  int v = 0;
  bool ok = !t.empty() && t.size() <= 3;
  for (char c : t) {
    if (c < '0' || c > '9') ok = false;
    else v = v * 10 + (c - '0');
  }
  if (!ok || v < lo || v > hi) {
    return fail(ErrorCode::SchemaViolation,
                "value '" + t + "' of " + std::string(xml::name(n)) + " is not a number from " +
                    std::to_string(lo) + " to " + std::to_string(hi),
                xml::line(n), std::string(xml::name(n)));
  }
  return v;
}

Result<void> readTraces(xmlNode* n, std::vector<TraceHeader>& traces,
                        std::optional<Business>* business) {
  return walk(
      n,
      {{"TraceHeader",
        [&](xmlNode* t) -> Result<void> {
          TraceHeader th;
          auto r = walk(t, {{"OrganId", into(th.organ_id)}, {"Timestamp", into(th.timestamp)}},
                        nullptr);
          traces.push_back(std::move(th));
          return r;
        }},
       {"Bussiness",
        [&](xmlNode* b) -> Result<void> {
          if (!business) return {};
          Business bus;
          auto r = walk(
              b,
              {{"BussinessDocType",
                [&](xmlNode* x) -> Result<void> {
                  auto v = readInt(x, 0, 3);
                  if (!v) return std::unexpected(v.error());
                  bus.doc_type = static_cast<BusinessDocType>(*v);
                  return {};
                }},
               {"BussinessDocReason", into(bus.reason)},
               {"DocumentId", into(bus.document_id)},
               {"Paper",
                [&](xmlNode* x) -> Result<void> {
                  auto v = readInt(x, 0, 1);
                  if (!v) return std::unexpected(v.error());
                  bus.paper = *v == 1;
                  return {};
                }},
               {"StaffInfo",
                [&](xmlNode* x) -> Result<void> {
                  bus.staff_info.emplace();
                  return readStaffInfo(x, *bus.staff_info);
                }}},
              &bus.details);
          *business = std::move(bus);
          return r;
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

}  // namespace

// Reads a parsed tree into a Package; a friend of Attachment so that attachments can point into
// the tree.
class PackageParser {
 public:
  static Result<Package> read(std::shared_ptr<const XmlDocument> doc) {
    Package p;
    auto root = checkRoot(*doc);
    if (!root) return std::unexpected(root.error());
    auto r = walk(
        *root,
        {{"edXMLEnvelope",
          [&](xmlNode* env) -> Result<void> {
            return walk(
                env,
                {{"edXMLHeader",
                  [&](xmlNode* hdr) -> Result<void> { return readHeader(hdr, p); }},
                 {"edXMLBody",
                  [&](xmlNode* body) -> Result<void> {
                    return walk(body,
                                {{"edXMLManifest",
                                  [&](xmlNode* man) -> Result<void> {
                                    return walk(man,
                                                {{"Reference",
                                                  [&](xmlNode* ref) -> Result<void> {
                                                    return readReference(ref, p);
                                                  }}},
                                                &p.envelope_extras);
                                  }}},
                                &p.envelope_extras);
                  }}},
                &p.envelope_extras);
          }},
         {"AttachmentEncoded",
          [&](xmlNode* enc) -> Result<void> {
            return walk(enc,
                        {{"Attachment",
                          [&](xmlNode* a) -> Result<void> { return readAttachment(a, doc, p); }}},
                        &p.root_extras);
          }}},
        &p.root_extras);
    if (!r) return std::unexpected(r.error());
    if (auto c = p.check(); !c) return std::unexpected(c.error());
    return p;
  }

 private:
  static Result<void> readHeader(xmlNode* hdr, Package& p) {
    for (xmlNode* c = xml::firstElement(hdr); c; c = xml::nextElement(c)) {
      if (isSignature(c)) {
        if (!p.signature_xml.empty()) {
          return fail(ErrorCode::SchemaViolation, "more than one Signature in edXMLHeader",
                      xml::line(c), "Signature");
        }
        p.signature_xml = xml::fragment(c);
        continue;
      }
      if (xml::is(c, kEdxmlNs, "MessageHeader")) {
        if (auto r = readMessageHeader(c, p.header); !r) return r;
      } else if (xml::is(c, kEdxmlNs, "TraceHeaderList")) {
        if (auto r = readTraces(c, p.traces, &p.business); !r) return r;
      } else {
        p.header_extras.push_back(xml::fragment(c));
      }
    }
    return {};
  }

  static Result<void> readMessageHeader(xmlNode* n, MessageHeader& h) {
    h.line = xml::line(n);
    bool seen_from = false;
    return walk(
        n,
        {{"From",
          [&](xmlNode* x) -> Result<void> {
            if (seen_from) {
              return fail(ErrorCode::SchemaViolation, "more than one From in MessageHeader",
                          xml::line(x), "From");
            }
            seen_from = true;
            return readOrganization(x, h.from);
          }},
         {"To",
          [&](xmlNode* x) -> Result<void> {
            h.to.emplace_back();
            return readOrganization(x, h.to.back());
          }},
         {"Code",
          [&](xmlNode* x) -> Result<void> {
            return walk(x, {{"CodeNumber", into(h.code.number)},
                            {"CodeNotation", into(h.code.notation)}},
                        nullptr);
          }},
         {"PromulgationInfo",
          [&](xmlNode* x) -> Result<void> {
            return walk(x, {{"Place", into(h.place)},
                            {"PromulgationDate", into(h.promulgation_date)}},
                        nullptr);
          }},
         {"DocumentType",
          [&](xmlNode* x) -> Result<void> {
            return walk(x, {{"Type", into(h.type)},
                            {"TypeDetail", into(h.type_detail)},
                            {"TypeName", into(h.type_name)}},
                        nullptr);
          }},
         {"Subject", into(h.subject)},
         {"Content", into(h.content)},
         {"SignerInfo",
          [&](xmlNode* x) -> Result<void> {
            return walk(x, {{"Competence", into(h.signer.competence)},
                            {"Position", into(h.signer.position)},
                            {"FullName", into(h.signer.full_name)}},
                        nullptr);
          }},
         {"DueDate", into(h.due_date)},
         {"ToPlaces",
          [&](xmlNode* x) -> Result<void> {
            return walk(x,
                        {{"Place",
                          [&](xmlNode* pl) -> Result<void> {
                            h.to_places.push_back(xml::text(pl));
                            return {};
                          }}},
                        nullptr);
          }},
         {"OtherInfo",
          [&](xmlNode* x) -> Result<void> {
            auto& o = h.other_info;
            return walk(x,
                        {{"Priority",
                          [&](xmlNode* pr) -> Result<void> {
                            auto v = readInt(pr, 0, 4);
                            if (!v) return std::unexpected(v.error());
                            o.priority = static_cast<Priority>(*v);
                            return {};
                          }},
                         {"SphereOfPromulgation", into(o.sphere_of_promulgation)},
                         {"TyperNotation", into(o.typer_notation)},
                         {"PromulgationAmount", into(o.promulgation_amount)},
                         {"PageAmount", into(o.page_amount)},
                         {"SecurityLevel", into(o.security_level)},
                         {"Appendixes",
                          [&](xmlNode* ap) -> Result<void> {
                            for (xmlNode* c = xml::firstElement(ap); c; c = xml::nextElement(c)) {
                              o.appendixes.push_back(xml::fragment(c));
                            }
                            return {};
                          }}},
                        &o.extras);
          }},
         {"ResponseFor",
          [&](xmlNode* x) -> Result<void> {
            h.response_for.emplace_back();
            return readResponseFor(x, h.response_for.back());
          }},
         {"SteeringType", into(h.steering_type)},
         {"DocumentId", into(h.document_id)}},
        &h.extras);
  }

  static Result<void> readReference(xmlNode* ref, Package& p) {
    ManifestReference m;
    m.line = xml::line(ref);
    auto r = walk(ref,
                  {{"ContentId", into(m.content_id)},
                   {"ContentType", into(m.content_type)},
                   {"Description", into(m.description)},
                   {"AttachmentName", into(m.attachment_name)}},
                  nullptr);
    p.manifest.push_back(std::move(m));
    return r;
  }

  static Result<void> readAttachment(xmlNode* a, const std::shared_ptr<const XmlDocument>& doc,
                                     Package& p) {
    Attachment att;
    att.line = xml::line(a);
    xmlNode* payload = nullptr;
    auto r = walk(a,
                  {{"ContentId", into(att.content_id)},
                   {"ContentType", into(att.content_type)},
                   {"Description", into(att.description)},
                   {"AttachmentName", into(att.attachment_name)},
                   {"ContentTransferEncoded",
                    [&](xmlNode* x) -> Result<void> {
                      payload = x;
                      return {};
                    }}},
                  &att.extras);
    if (!r) return r;
    if (payload) {
      att.encoded_ = xml::rawText(payload);
      if (auto b = codec::checkBase64(att.encoded_); !b) {
        return fail(ErrorCode::BadBase64,
                    "attachment '" + att.content_id + "': " + b.error().message,
                    xml::line(payload), "ContentTransferEncoded");
      }
    }
    att.keep_alive_ = doc;
    p.attachments.push_back(std::move(att));
    return {};
  }
};

Result<Package> Package::parse(std::string_view bytes, const SchemaSet* schemas,
                               const XmlLimits& limits) {
  auto parsed = XmlDocument::parse(bytes, limits);
  if (!parsed) return std::unexpected(parsed.error());
  auto doc = std::make_shared<const XmlDocument>(std::move(*parsed));
  if (auto root = checkRoot(*doc); !root) return std::unexpected(root.error());
  if (schemas) {
    if (auto v = schemas->validate(*doc, SchemaKind::Document); !v) {
      return std::unexpected(v.error());
    }
  }
  return PackageParser::read(doc);
}

Result<StatusMessage> StatusMessage::parse(std::string_view bytes, const SchemaSet* schemas,
                                           const XmlLimits& limits) {
  auto doc = XmlDocument::parse(bytes, limits);
  if (!doc) return std::unexpected(doc.error());
  auto root = checkRoot(*doc);
  if (!root) return std::unexpected(root.error());
  if (schemas) {
    if (auto v = schemas->validate(*doc, SchemaKind::Status); !v) return std::unexpected(v.error());
  }
  StatusMessage s;
  bool seen_code = false;
  xmlNode* hdr = childNamed(childNamed(*root, "edXMLEnvelope"), "edXMLHeader");
  if (!hdr) {
    return fail(ErrorCode::MissingElement, "status message has no edXMLEnvelope/edXMLHeader",
                xml::line(*root), "edXMLHeader");
  }
  for (xmlNode* c = xml::firstElement(hdr); c; c = xml::nextElement(c)) {
    if (isSignature(c)) {
      if (!s.signature_xml.empty()) {
        return fail(ErrorCode::SchemaViolation, "more than one Signature in edXMLHeader",
                    xml::line(c), "Signature");
      }
      s.signature_xml = xml::fragment(c);
    } else if (xml::is(c, kEdxmlNs, "TraceHeaderList")) {
      if (auto r = readTraces(c, s.traces, nullptr); !r) return std::unexpected(r.error());
    } else if (xml::is(c, kEdxmlNs, "MessageHeader")) {
      auto r = walk(c,
                    {{"From", [&](xmlNode* x) { return readOrganization(x, s.from); }},
                     {"ResponseFor", [&](xmlNode* x) { return readResponseFor(x, s.response_for); }},
                     {"StaffInfo", [&](xmlNode* x) { return readStaffInfo(x, s.staff_info); }},
                     {"StatusCode",
                      [&](xmlNode* x) -> Result<void> {
                        auto code = parseStatusCode(xml::text(x));
                        if (!code) {
                          return fail(ErrorCode::SchemaViolation, code.error().message,
                                      xml::line(x), "StatusCode");
                        }
                        s.status = *code;
                        seen_code = true;
                        return {};
                      }},
                     {"Description", into(s.description)},
                     {"Timestamp", into(s.timestamp)}},
                    &s.extras);
      if (!r) return std::unexpected(r.error());
    } else {
      s.extras.push_back(xml::fragment(c));
    }
  }
  if (!seen_code) {
    return fail(ErrorCode::MissingElement, "status message has no StatusCode", xml::line(hdr),
                "StatusCode");
  }
  if (auto c = s.check(); !c) return std::unexpected(c.error());
  return s;
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
