// The canonical layout of edXML output: edXML prefix on every element, two-space indentation,
// known children in the standard's order, empty fields left out, unknown elements last.
#include "lienthong/schemas/edxml.h"

namespace lienthong::schemas {
namespace {

class Writer {
 public:
  explicit Writer(std::size_t reserve) { out_.reserve(reserve); }

  // `attributes`: already escaped, e.g. version="1.0".
  void open(std::string_view name, const std::string& attributes = {}) {
    indent();
    out_ += "<edXML:";
    out_ += name;
    if (!attributes.empty()) {
      out_ += ' ';
      out_ += attributes;
    }
    out_ += ">\n";
    ++depth_;
  }
  void close(std::string_view name) {
    --depth_;
    indent();
    out_ += "</edXML:";
    out_ += name;
    out_ += ">\n";
  }
  // Writes <edXML:name>value</edXML:name> unless value is empty.
  void leaf(std::string_view name, std::string_view value) {
    if (value.empty()) return;
    leafAlways(name, value);
  }
  void leafAlways(std::string_view name, std::string_view value) {
    indent();
    out_ += "<edXML:";
    out_ += name;
    out_ += '>';
    xml::appendEscaped(out_, value);
    out_ += "</edXML:";
    out_ += name;
    out_ += ">\n";
  }
  void raw(std::string_view fragment) {
    if (fragment.empty()) return;
    indent();
    out_ += fragment;
    out_ += '\n';
  }
  void rawAll(const Extras& extras) {
    for (const auto& e : extras) raw(e);
  }
  void payload(std::string_view name, std::string_view base64) {
    indent();
    out_ += "<edXML:";
    out_ += name;
    out_ += '>';
    out_ += base64;  // base64 needs no escaping
    out_ += "</edXML:";
    out_ += name;
    out_ += ">\n";
  }
  void organization(std::string_view name, const Organization& o) {
    open(name);
    leafAlways("OrganId", o.organ_id);
    leaf("OrganizationInCharge", o.organization_in_charge);
    leaf("OrganName", o.organ_name);
    leaf("OrganAdd", o.organ_add);
    leaf("Email", o.email);
    leaf("Telephone", o.telephone);
    leaf("Fax", o.fax);
    leaf("Website", o.website);
    rawAll(o.extras);
    close(name);
  }
  void staff(const StaffInfo& s) {
    open("StaffInfo");
    leaf("Department", s.department);
    leaf("Staff", s.staff);
    leaf("Mobile", s.mobile);
    leaf("Email", s.email);
    rawAll(s.extras);
    close("StaffInfo");
  }
  void responseFor(const ResponseFor& r) {
    open("ResponseFor");
    leaf("OrganId", r.organ_id);
    leaf("Code", r.code);
    leaf("PromulgationDate", r.promulgation_date);
    leaf("DocumentId", r.document_id);
    close("ResponseFor");
  }
  void traces(const std::vector<TraceHeader>& traces, const std::optional<Business>& business) {
    if (traces.empty() && !business) return;
    open("TraceHeaderList");
    for (const auto& t : traces) {
      open("TraceHeader");
      leaf("OrganId", t.organ_id);
      leaf("Timestamp", t.timestamp);
      close("TraceHeader");
    }
    if (business) {
      open("Bussiness");
      leafAlways("BussinessDocType", std::to_string(static_cast<int>(business->doc_type)));
      leaf("BussinessDocReason", business->reason);
      leaf("DocumentId", business->document_id);
      leafAlways("Paper", business->paper ? "1" : "0");
      if (business->staff_info) staff(*business->staff_info);
      rawAll(business->details);
      close("Bussiness");
    }
    close("TraceHeaderList");
  }
  void start() {
    out_ += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    out_ += "<edXML:edXML xmlns:edXML=\"";
    out_ += kEdxmlNs;
    out_ += "\">\n";
    ++depth_;
  }
  std::string finish() {
    --depth_;
    out_ += "</edXML:edXML>\n";
    return std::move(out_);
  }

 private:
  void indent() { out_.append(static_cast<std::size_t>(depth_) * 2, ' '); }
  std::string out_;
  int depth_ = 0;
};

}  // namespace

std::string Package::serialize(bool with_signature) const {
  std::size_t reserve = 8192;
  for (const auto& a : attachments) reserve += a.encoded().size() + 512;
  Writer w(reserve);
  const auto& h = header;
  w.start();
  w.open("edXMLEnvelope");
  w.open("edXMLHeader");
  w.open("MessageHeader");
  w.organization("From", h.from);
  for (const auto& to : h.to) w.organization("To", to);
  if (!h.code.number.empty() || !h.code.notation.empty()) {
    w.open("Code");
    w.leaf("CodeNumber", h.code.number);
    w.leaf("CodeNotation", h.code.notation);
    w.close("Code");
  }
  if (!h.place.empty() || !h.promulgation_date.empty()) {
    w.open("PromulgationInfo");
    w.leaf("Place", h.place);
    w.leaf("PromulgationDate", h.promulgation_date);
    w.close("PromulgationInfo");
  }
  if (!h.type.empty() || !h.type_detail.empty() || !h.type_name.empty()) {
    w.open("DocumentType");
    w.leaf("Type", h.type);
    w.leaf("TypeDetail", h.type_detail);
    w.leaf("TypeName", h.type_name);
    w.close("DocumentType");
  }
  w.leaf("Subject", h.subject);
  w.leaf("Content", h.content);
  if (!h.signer.competence.empty() || !h.signer.position.empty() || !h.signer.full_name.empty()) {
    w.open("SignerInfo");
    w.leaf("Competence", h.signer.competence);
    w.leaf("Position", h.signer.position);
    w.leaf("FullName", h.signer.full_name);
    w.close("SignerInfo");
  }
  w.leaf("DueDate", h.due_date);
  if (!h.to_places.empty()) {
    w.open("ToPlaces");
    for (const auto& p : h.to_places) w.leafAlways("Place", p);
    w.close("ToPlaces");
  }
  const auto& o = h.other_info;
  w.open("OtherInfo");
  w.leafAlways("Priority", std::to_string(static_cast<int>(o.priority)));
  w.leaf("SphereOfPromulgation", o.sphere_of_promulgation);
  w.leaf("TyperNotation", o.typer_notation);
  w.leaf("PromulgationAmount", o.promulgation_amount);
  w.leaf("PageAmount", o.page_amount);
  w.leaf("Direction", o.direction);
  w.leaf("SecurityLevel", o.security_level);
  if (!o.appendixes.empty()) {
    w.open("Appendixes");
    w.rawAll(o.appendixes);
    w.close("Appendixes");
  }
  w.rawAll(o.extras);
  w.close("OtherInfo");
  for (const auto& r : h.response_for) w.responseFor(r);
  w.leaf("SteeringType", h.steering_type);
  w.leaf("DocumentId", h.document_id);
  w.rawAll(h.extras);
  w.close("MessageHeader");
  w.traces(traces, business);
  w.rawAll(header_extras);
  if (with_signature) w.raw(signature_xml);
  w.close("edXMLHeader");
  w.open("edXMLBody");
  std::string manifest_attr;
  if (!manifest_version.empty()) {
    manifest_attr = "version=\"";
    xml::appendEscaped(manifest_attr, manifest_version);
    manifest_attr += '"';
  }
  w.open("edXMLManifest", manifest_attr);
  for (const auto& m : manifest) {
    w.open("Reference");
    w.leafAlways("ContentId", m.content_id);
    w.leaf("ContentType", m.content_type);
    w.leaf("Description", m.description);
    w.leaf("AttachmentName", m.attachment_name);
    w.close("Reference");
  }
  w.close("edXMLManifest");
  w.close("edXMLBody");
  w.rawAll(envelope_extras);
  w.close("edXMLEnvelope");
  if (!attachments.empty()) {
    w.open("AttachmentEncoded");
    for (const auto& a : attachments) {
      w.open("Attachment");
      w.leafAlways("ContentId", a.content_id);
      w.leaf("ContentType", a.content_type);
      w.leaf("Description", a.description);
      w.leaf("AttachmentName", a.attachment_name);
      w.rawAll(a.extras);
      w.payload("ContentTransferEncoded", a.encoded());
      w.close("Attachment");
    }
    w.close("AttachmentEncoded");
  }
  w.rawAll(root_extras);
  return w.finish();
}

std::string StatusMessage::serialize(bool with_signature) const {
  Writer w(4096);
  w.start();
  w.open("edXMLEnvelope");
  w.open("edXMLHeader");
  w.open("MessageHeader");
  w.organization("From", from);
  w.responseFor(response_for);
  w.staff(staff_info);
  w.leafAlways("StatusCode", statusCodeText(status));
  w.leaf("Description", description);
  w.leaf("Timestamp", timestamp);
  w.rawAll(extras);
  w.close("MessageHeader");
  w.traces(traces, std::nullopt);
  if (with_signature) w.raw(signature_xml);
  w.close("edXMLHeader");
  w.close("edXMLEnvelope");
  return w.finish();
}

}  // namespace lienthong::schemas
