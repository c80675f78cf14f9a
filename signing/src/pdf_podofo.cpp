#include "pdf_podofo.h"

#include <mutex>
#include <span>

namespace lienthong::signing::pdf {

using namespace PoDoFo;

std::string podofoReason(const PdfError& e) {
  std::string out = PdfError::ErrorName(e.GetError()) ? PdfError::ErrorName(e.GetError()) : "";
  if (const char* m = PdfError::ErrorMessage(e.GetError()); m && *m)
    out += std::string(" (") + m + ")";
  for (const auto& info : e.GetCallstack()) {
    if (!info.GetInformation().empty()) out += ": " + info.GetInformation();
  }
  return out;
}

void quietPodofo() {
  // PoDoFo keeps these switches in unguarded statics: set them once, before any document.
  static std::once_flag once;
  std::call_once(once, [] {
    PdfError::EnableDebug(false);
    PdfError::EnableLogging(false);
  });
}

LoadedPdf loadPdf(std::string_view bytes, bool for_update) {
  quietPodofo();
  LoadedPdf out;
  // An input stream only reads; the span type of ispanstream is not const in libstdc++ 12.
  out.stream = std::make_unique<std::ispanstream>(
      std::span<char>(const_cast<char*>(bytes.data()), bytes.size()), std::ios::binary);
  // The input device does not own the stream; the refcounted device owns the input device.
  PdfRefCountedInputDevice device(new PdfInputDevice(out.stream.get()));
  out.doc = std::make_unique<PdfMemDocument>();
  out.doc->LoadFromDevice(device, for_update);
  return out;
}

const PdfObject* resolve(const PdfMemDocument& doc, const PdfObject* o) {
  if (o && o->IsReference()) return doc.GetObjects().GetObject(o->GetReference());
  return o;
}

PdfObject* resolve(PdfMemDocument& doc, PdfObject* o) {
  if (o && o->IsReference()) return doc.GetObjects().GetObject(o->GetReference());
  return o;
}

const PdfObject* key(const PdfMemDocument& doc, const PdfObject* dict, const char* name) {
  if (!dict || !dict->IsDictionary()) return nullptr;
  return resolve(doc, dict->GetDictionary().GetKey(PdfName(name)));
}

std::optional<std::string> nameOf(const PdfObject* o) {
  if (!o || !o->IsName()) return std::nullopt;
  return o->GetName().GetName();
}

std::optional<std::string> textOf(const PdfObject* o) {
  if (!o || !(o->IsString() || o->IsHexString())) return std::nullopt;
  return o->GetString().GetStringUtf8();
}

std::string serialized(const PdfObject& o) {
  std::string s;
  o.ToString(s, ePdfWriteMode_Compact);
  const auto first = s.find_first_not_of(" \r\n");
  if (first == std::string::npos) return {};
  return s.substr(first, s.find_last_not_of(" \r\n") - first + 1);
}

}  // namespace lienthong::signing::pdf
