// PoDoFo 0.9.8 glue shared by the PDF signer, verifier and sample generator: loading a document
// from bytes without copying them, turning PoDoFo exceptions into reasons, and reading values.
// Every PoDoFo call of this library happens inside a try block of the calling function.
#pragma once

#include <podofo/podofo.h>

#include <memory>
#include <optional>
#include <spanstream>
#include <string>
#include <string_view>

namespace lienthong::signing::pdf {

// "ePdfError_InvalidXRef: (information)" from a PoDoFo exception.
std::string podofoReason(const PoDoFo::PdfError& e);

// PoDoFo logs to stderr and, in debug mode, prints trailers to stdout; both are process-wide
// switches in PoDoFo. Turned off before every use so that command output stays clean.
void quietPodofo();

// A document parsed from caller-owned bytes (they must outlive it): PoDoFo reads them through a
// span stream, objects are loaded on demand, nothing is copied up front.
struct LoadedPdf {
  std::unique_ptr<std::ispanstream> stream;  // declared first: destroyed after the document
  std::unique_ptr<PoDoFo::PdfMemDocument> doc;
};
// Throws PoDoFo::PdfError like PdfMemDocument::Load.
LoadedPdf loadPdf(std::string_view bytes, bool for_update);

// The object a value refers to (itself when it is not a reference); nullptr when dangling.
const PoDoFo::PdfObject* resolve(const PoDoFo::PdfMemDocument& doc, const PoDoFo::PdfObject* o);
PoDoFo::PdfObject* resolve(PoDoFo::PdfMemDocument& doc, PoDoFo::PdfObject* o);
// A dictionary key's value, resolved; nullptr when absent or not a dictionary.
const PoDoFo::PdfObject* key(const PoDoFo::PdfMemDocument& doc, const PoDoFo::PdfObject* dict,
                             const char* name);
std::optional<std::string> nameOf(const PoDoFo::PdfObject* o);
// Text of a PDF string (UTF-16BE with BOM or PDFDocEncoding) as UTF-8.
std::optional<std::string> textOf(const PoDoFo::PdfObject* o);
// The object written out compactly, for comparisons.
std::string serialized(const PoDoFo::PdfObject& o);

}  // namespace lienthong::signing::pdf
