// The project's XSDs (edXML document, edXML status, directory), compiled once from the copies
// embedded in the binary. Validation is thread-safe: each call uses its own validation context
// over the shared, read-only compiled schemas. Build one at start-up and pass it in.
#pragma once

#include <memory>
#include <vector>

#include "lienthong/schemas/error.h"
#include "lienthong/schemas/xml.h"

namespace lienthong::schemas {

enum class SchemaKind { Document, Status, Directory };

class SchemaSet {
 public:
  static Result<std::shared_ptr<const SchemaSet>> load();
  ~SchemaSet();
  SchemaSet(const SchemaSet&) = delete;
  SchemaSet& operator=(const SchemaSet&) = delete;

  // SchemaViolation with the line, the element and libxml2's reason for the first problem.
  Result<void> validate(const XmlDocument& doc, SchemaKind kind) const;
  // Every problem libxml2 reports, each with its line, element and reason, appended to `errors`
  // (at most 100, then one saying how many more).
  void validateAll(const XmlDocument& doc, SchemaKind kind, std::vector<Error>& errors) const;

 private:
  struct Impl;
  explicit SchemaSet(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace lienthong::schemas
