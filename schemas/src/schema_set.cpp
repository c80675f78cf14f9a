#include "lienthong/schemas/schema_set.h"

#include <libxml/xmlschemas.h>

#include <array>
#include <string_view>

namespace lienthong::schemas {
namespace embedded {
std::string_view edxml_document();
std::string_view edxml_status();
std::string_view directory();
}  // namespace embedded

namespace {
struct SchemaFree {
  void operator()(xmlSchema* s) const { xmlSchemaFree(s); }
};
struct ParserCtxtFree {
  void operator()(xmlSchemaParserCtxt* c) const { xmlSchemaFreeParserCtxt(c); }
};
struct ValidCtxtFree {
  void operator()(xmlSchemaValidCtxt* c) const { xmlSchemaFreeValidCtxt(c); }
};
using SchemaPtr = std::unique_ptr<xmlSchema, SchemaFree>;

struct FirstError {
  bool set = false;
  Error error{ErrorCode::SchemaViolation, {}, 0, {}};
};

void collect(void* ctx, xmlError* err) {
  auto* first = static_cast<FirstError*>(ctx);
  if (first->set || !err) return;
  first->set = true;
  std::string msg = err->message ? err->message : "schema violation";
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  first->error.message = "schema: " + msg;
  first->error.line = err->line;
  if (err->node) {
    const auto* node = static_cast<const xmlNode*>(err->node);
    if (node->name) first->error.element = reinterpret_cast<const char*>(node->name);
  }
}

Result<SchemaPtr> compile(std::string_view text, const char* name) {
  std::unique_ptr<xmlSchemaParserCtxt, ParserCtxtFree> pctxt(
      xmlSchemaNewMemParserCtxt(text.data(), static_cast<int>(text.size())));
  if (!pctxt) return fail(ErrorCode::Internal, std::string("cannot read embedded XSD ") + name);
  FirstError first;
  xmlSchemaSetParserStructuredErrors(pctxt.get(), collect, &first);
  SchemaPtr schema(xmlSchemaParse(pctxt.get()));
  if (!schema) {
    return fail(ErrorCode::Internal,
                std::string("embedded XSD ") + name + " does not compile: " + first.error.message);
  }
  return schema;
}
struct AllErrors {
  std::vector<Error>* out = nullptr;
  std::size_t seen = 0;
};

void collectAll(void* ctx, xmlError* err) {
  auto* all = static_cast<AllErrors*>(ctx);
  if (!err) return;
  ++all->seen;
  if (all->seen > 100) return;
  FirstError one;
  collect(&one, err);
  all->out->push_back(std::move(one.error));
}

}  // namespace

struct SchemaSet::Impl {
  std::array<SchemaPtr, 3> schemas;
};

SchemaSet::SchemaSet(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SchemaSet::~SchemaSet() = default;

Result<std::shared_ptr<const SchemaSet>> SchemaSet::load() {
  auto impl = std::make_unique<Impl>();
  auto doc = compile(embedded::edxml_document(), "edxml_document.xsd");
  if (!doc) return std::unexpected(doc.error());
  auto status = compile(embedded::edxml_status(), "edxml_status.xsd");
  if (!status) return std::unexpected(status.error());
  auto dir = compile(embedded::directory(), "directory.xsd");
  if (!dir) return std::unexpected(dir.error());
  impl->schemas = {std::move(*doc), std::move(*status), std::move(*dir)};
  return std::shared_ptr<const SchemaSet>(new SchemaSet(std::move(impl)));
}

Result<void> SchemaSet::validate(const XmlDocument& doc, SchemaKind kind) const {
  xmlSchema* schema = impl_->schemas[static_cast<std::size_t>(kind)].get();
  std::unique_ptr<xmlSchemaValidCtxt, ValidCtxtFree> vctxt(xmlSchemaNewValidCtxt(schema));
  if (!vctxt) return fail(ErrorCode::Internal, "cannot allocate a schema validation context");
  FirstError first;
  xmlSchemaSetValidStructuredErrors(vctxt.get(), collect, &first);
  const int rc = xmlSchemaValidateDoc(vctxt.get(), doc.get());
  if (rc == 0) return {};
  if (first.set) return std::unexpected(first.error);
  return fail(ErrorCode::SchemaViolation, "schema: document does not match the XSD");
}

void SchemaSet::validateAll(const XmlDocument& doc, SchemaKind kind,
                            std::vector<Error>& errors) const {
  xmlSchema* schema = impl_->schemas[static_cast<std::size_t>(kind)].get();
  std::unique_ptr<xmlSchemaValidCtxt, ValidCtxtFree> vctxt(xmlSchemaNewValidCtxt(schema));
  if (!vctxt) {
    errors.push_back(Error{ErrorCode::Internal, "cannot allocate a schema validation context", 0, {}});
    return;
  }
  AllErrors all{&errors, 0};
  const std::size_t before = errors.size();
  xmlSchemaSetValidStructuredErrors(vctxt.get(), collectAll, &all);
  const int rc = xmlSchemaValidateDoc(vctxt.get(), doc.get());
  if (all.seen > 100) {
    errors.push_back(Error{ErrorCode::SchemaViolation,
                           "schema: " + std::to_string(all.seen - 100) + " more problems not listed",
                           0, {}});
  }
  if (rc != 0 && errors.size() == before) {
    errors.push_back(Error{ErrorCode::SchemaViolation, "schema: document does not match the XSD", 0, {}});
  }
}

}  // namespace lienthong::schemas
