#include "lienthong/signing/pdf_verifier.h"

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/sha.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <map>
#include <memory>
#include <set>
#include <sstream>

#include "lienthong/signing/timestamp.h"
#include "pdf_cms.h"
#include "pdf_podofo.h"

namespace lienthong::signing {

using namespace PoDoFo;
using pdf::key;
using pdf::nameOf;
using pdf::resolve;
using pdf::serialized;

namespace {

using CmsPtr = std::unique_ptr<CMS_ContentInfo, decltype(&CMS_ContentInfo_free)>;
using X509Ptr = std::unique_ptr<X509, decltype(&X509_free)>;
struct X509StackFree {
  void operator()(STACK_OF(X509) * s) const { sk_X509_pop_free(s, X509_free); }
};
using X509StackPtr = std::unique_ptr<STACK_OF(X509), X509StackFree>;

std::string jsonString(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned char>(c));
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

// The certificate of the CMS whose SHA-256 is `sha256` (the verified signer's).
X509Ptr cmsCertificate(std::string_view der, std::string_view sha256) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  CmsPtr cms(d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(der.size())), CMS_ContentInfo_free);
  if (!cms) return X509Ptr(nullptr, X509_free);
  X509StackPtr certs(CMS_get1_certs(cms.get()));
  for (int i = 0; certs && i < sk_X509_num(certs.get()); ++i) {
    X509* c = sk_X509_value(certs.get(), i);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (X509_digest(c, EVP_sha256(), md, &n) != 1) continue;
    static constexpr char kHex[] = "0123456789abcdef";
    std::string hex;
    for (unsigned int k = 0; k < n; ++k) {
      hex += kHex[md[k] >> 4];
      hex += kHex[md[k] & 15];
    }
    if (hex == sha256) {
      X509_up_ref(c);
      return X509Ptr(c, X509_free);
    }
  }
  return X509Ptr(nullptr, X509_free);
}

// The encapsulated content of a SignedData (adbe.pkcs7.sha1 carries the SHA-1 of the byte range
// there), nullopt when it is detached or unreadable.
std::optional<std::string> cmsEncapsulated(std::string_view der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  CmsPtr cms(d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(der.size())), CMS_ContentInfo_free);
  if (!cms) {
    ERR_clear_error();
    return std::nullopt;
  }
  ASN1_OCTET_STRING** content = CMS_get0_content(cms.get());
  if (content == nullptr || *content == nullptr) return std::nullopt;
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(*content)),
                     static_cast<std::size_t>(ASN1_STRING_length(*content)));
}

bool hasWarningText(const ValidationReport& r, std::string_view text) {
  return std::ranges::any_of(r.warnings,
                             [&](const std::string& w) { return w.find(text) != std::string::npos; });
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Hex digits (whitespace allowed) to bytes; nullopt on any other character.
std::optional<std::string> decodeHex(std::string_view hex) {
  std::string out;
  out.reserve(hex.size() / 2);
  int high = -1;
  for (char c : hex) {
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f') continue;
    int v = hexValue(c);
    if (v < 0) return std::nullopt;
    if (high < 0) {
      high = v;
    } else {
      out += static_cast<char>(high * 16 + v);
      high = -1;
    }
  }
  if (high >= 0) out += static_cast<char>(high * 16);
  return out;
}

// The DER element at the start of `padded` without the zero padding after it.
std::optional<std::string_view> derPrefix(std::string_view padded) {
  if (padded.size() < 2 || static_cast<unsigned char>(padded[0]) != 0x30) return std::nullopt;
  std::size_t len = static_cast<unsigned char>(padded[1]);
  std::size_t header = 2;
  if (len & 0x80) {
    std::size_t n = len & 0x7f;
    if (n == 0 || n > 4 || padded.size() < 2 + n) return std::nullopt;
    len = 0;
    for (std::size_t i = 0; i < n; ++i) len = len * 256 + static_cast<unsigned char>(padded[2 + i]);
    header += n;
  }
  if (header + len > padded.size()) return std::nullopt;
  return padded.substr(0, header + len);
}

// A revision ends with %%EOF and an optional end-of-line.
bool endsRevision(std::string_view data, std::size_t end) {
  if (end > data.size() || end < 5) return false;
  std::string_view head = data.substr(0, end);
  while (!head.empty() && (head.back() == '\n' || head.back() == '\r') && head.size() + 2 >= end)
    head.remove_suffix(1);
  return head.ends_with("%%EOF");
}

long long parserOffset(const PdfObject* o) {
  if (const auto* po = dynamic_cast<const PdfParserObject*>(o)) return po->GetOffset();
  return -1;
}

// "D:20261120100405+07'00'" (ISO 32000 7.9.4); seconds and the offset may be left out.
std::optional<std::chrono::system_clock::time_point> parsePdfDate(std::string_view d) {
  if (d.starts_with("D:")) d.remove_prefix(2);
  auto num = [&](std::size_t pos, std::size_t len, int fallback) -> std::optional<int> {
    if (d.size() < pos + len) return fallback;
    int v = 0;
    for (std::size_t i = pos; i < pos + len; ++i) {
      if (d[i] < '0' || d[i] > '9') return std::nullopt;
      v = v * 10 + (d[i] - '0');
    }
    return v;
  };
  if (d.size() < 8) return std::nullopt;
  auto y = num(0, 4, 0), mo = num(4, 2, 1), da = num(6, 2, 1), h = num(8, 2, 0), mi = num(10, 2, 0),
       se = num(12, 2, 0);
  if (!y || !mo || !da || !h || !mi || !se) return std::nullopt;
  std::tm tm{};
  tm.tm_year = *y - 1900;
  tm.tm_mon = *mo - 1;
  tm.tm_mday = *da;
  tm.tm_hour = *h;
  tm.tm_min = *mi;
  tm.tm_sec = *se;
  auto t = std::chrono::system_clock::from_time_t(timegm(&tm));
  if (d.size() > 14 && (d[14] == '+' || d[14] == '-')) {
    auto oh = num(15, 2, 0);
    auto om = d.size() >= 20 ? num(18, 2, 0) : std::optional<int>(0);
    if (!oh || !om) return std::nullopt;
    const auto offset = std::chrono::hours(*oh) + std::chrono::minutes(*om);
    t = d[14] == '+' ? t - offset : t + offset;
  }
  return t;
}

struct FoundSignature {
  std::string field_name;
  const PdfObject* value = nullptr;  // the signature dictionary (/V)
  long long value_offset = -1;       // where it was parsed from, -1 when unknown
};

bool isSignatureField(const PdfMemDocument& doc, const PdfObject* field) {
  for (int depth = 0; field && field->IsDictionary() && depth < 16; ++depth) {
    if (auto ft = nameOf(key(doc, field, "FT"))) return *ft == "Sig";
    field = key(doc, field, "Parent");
  }
  return false;
}

void collectSignatures(const PdfMemDocument& doc, const PdfObject* field, const std::string& prefix,
                       int depth, std::set<PdfReference>& seen, std::vector<FoundSignature>& out) {
  if (!field || !field->IsDictionary() || depth > 16) return;
  std::string name = prefix;
  if (auto t = pdf::textOf(key(doc, field, "T"))) name = prefix.empty() ? *t : prefix + "." + *t;
  if (const PdfObject* kids = key(doc, field, "Kids"); kids && kids->IsArray()) {
    for (const PdfObject& kid : kids->GetArray()) {
      if (kid.IsReference()) {
        if (!seen.insert(kid.GetReference()).second) continue;
      }
      collectSignatures(doc, resolve(doc, &kid), name, depth + 1, seen, out);
    }
  }
  if (!isSignatureField(doc, field)) return;
  const PdfObject* raw_v = field->GetDictionary().GetKey(PdfName("V"));
  const PdfObject* v = resolve(doc, raw_v);
  if (!v || !v->IsDictionary()) return;
  FoundSignature s;
  s.field_name = name;
  s.value = v;
  s.value_offset = raw_v && raw_v->IsReference() ? parserOffset(v) : parserOffset(field);
  out.push_back(std::move(s));
}

std::vector<FoundSignature> findSignatures(const PdfMemDocument& doc) {
  std::vector<FoundSignature> out;
  const PdfObject* root = resolve(doc, doc.GetTrailer()->GetDictionary().GetKey(PdfName("Root")));
  const PdfObject* form = key(doc, root, "AcroForm");
  const PdfObject* fields = key(doc, form, "Fields");
  if (!fields || !fields->IsArray()) return out;
  std::set<PdfReference> seen;
  for (const PdfObject& f : fields->GetArray()) {
    if (f.IsReference() && !seen.insert(f.GetReference()).second) continue;
    collectSignatures(doc, resolve(doc, &f), "", 0, seen, out);
  }
  return out;
}

// ---- What changed after a revision ----------------------------------------------------------

struct ChangeAnalysis {
  const PdfMemDocument& old_doc;
  const PdfMemDocument& new_doc;
  std::vector<std::string> changes;  // content changes
};

std::string refText(const PdfReference& r) {
  return std::to_string(r.ObjectNumber()) + " " + std::to_string(r.GenerationNumber()) + " R";
}

std::string kindOf(const PdfMemDocument& doc, const PdfObject& o) {
  if (o.HasStream()) {
    if (auto t = nameOf(key(doc, &o, "Subtype"))) return "stream /" + *t;
    return "content stream";
  }
  if (o.IsDictionary()) {
    if (auto t = nameOf(key(doc, &o, "Type"))) return "/" + *t;
    return "dictionary";
  }
  if (o.IsArray()) return "array";
  return "object";
}

std::string streamBytes(const PdfObject& o) {
  if (!o.HasStream()) return {};
  char* buf = nullptr;
  pdf_long len = 0;
  o.GetStream()->GetCopy(&buf, &len);
  std::string out(buf ? buf : "", buf ? static_cast<std::size_t>(len) : 0);
  podofo_free(buf);
  return out;
}

bool sameObject(const PdfObject& a, const PdfObject& b) {
  if (a.HasStream() != b.HasStream()) return false;
  if (serialized(a) != serialized(b)) return false;
  return !a.HasStream() || streamBytes(a) == streamBytes(b);
}

// Keys whose values differ (or that exist on one side only).
std::set<std::string> differingKeys(const PdfObject& a, const PdfObject& b) {
  std::set<std::string> out;
  const auto& ka = a.GetDictionary().GetKeys();
  const auto& kb = b.GetDictionary().GetKeys();
  for (const auto& [name, value] : ka) {
    auto it = kb.find(name);
    if (it == kb.end() || serialized(*value) != serialized(*it->second)) out.insert(name.GetName());
  }
  for (const auto& [name, value] : kb) {
    if (!ka.contains(name)) out.insert(name.GetName());
  }
  return out;
}

bool onlyKeys(const std::set<std::string>& diff, std::initializer_list<const char*> allowed) {
  return std::ranges::all_of(diff, [&](const std::string& k) {
    return std::ranges::any_of(allowed, [&](const char* a) { return k == a; });
  });
}

std::string joinKeys(const std::set<std::string>& keys) {
  std::string out;
  for (const auto& k : keys) out += (out.empty() ? "/" : ", /") + k;
  return out;
}

// Every old element still there, every added one a signature field or widget.
std::optional<std::string> additionsAreSignatures(const PdfMemDocument& new_doc,
                                                  const PdfArray& old_a, const PdfArray& new_a) {
  std::multiset<std::string> remaining;
  for (const PdfObject& o : new_a) remaining.insert(serialized(o));
  for (const PdfObject& o : old_a) {
    auto it = remaining.find(serialized(o));
    if (it == remaining.end()) return "entry " + serialized(o) + " removed";
    remaining.erase(it);
  }
  for (const PdfObject& o : new_a) {
    const std::string s = serialized(o);
    if (!remaining.contains(s)) continue;
    if (!isSignatureField(new_doc, resolve(new_doc, &o)))
      return "entry " + s + " added that is not a signature field";
  }
  return std::nullopt;
}

std::optional<std::string> arrayKeyAdditions(const ChangeAnalysis& ca, const PdfObject& old_o,
                                             const PdfObject& new_o, const char* name) {
  const PdfObject* a = old_o.GetDictionary().GetKey(PdfName(name));
  const PdfObject* b = new_o.GetDictionary().GetKey(PdfName(name));
  if (!b) return std::string("/") + name + " removed";
  if (a && a->IsReference() && b->IsReference() && a->GetReference() == b->GetReference())
    return std::nullopt;  // the array object itself is compared on its own
  const PdfObject* ra = a ? resolve(ca.old_doc, a) : nullptr;
  const PdfObject* rb = resolve(ca.new_doc, b);
  if (!rb || !rb->IsArray()) return std::string("/") + name + " is not an array";
  PdfArray empty;
  return additionsAreSignatures(ca.new_doc, ra && ra->IsArray() ? ra->GetArray() : empty,
                                rb->GetArray());
}

void compareChanged(ChangeAnalysis& ca, const PdfReference& ref, const PdfObject& old_o,
                    const PdfObject& new_o) {
  if (sameObject(old_o, new_o)) return;
  const PdfDictionary& new_trailer = ca.new_doc.GetTrailer()->GetDictionary();
  const PdfObject* root_ref = new_trailer.GetKey(PdfName("Root"));
  const PdfObject* info_ref = new_trailer.GetKey(PdfName("Info"));
  const std::string what = "object " + refText(ref) + " (" + kindOf(ca.new_doc, new_o) + ")";
  auto changed = [&](const std::string& why) { ca.changes.push_back(what + " changed: " + why); };

  if (info_ref && info_ref->IsReference() && info_ref->GetReference() == ref) return;  // metadata
  const bool both_dicts =
      old_o.IsDictionary() && new_o.IsDictionary() && !old_o.HasStream() && !new_o.HasStream();
  if (both_dicts && root_ref && root_ref->IsReference() && root_ref->GetReference() == ref) {
    auto diff = differingKeys(old_o, new_o);
    if (!onlyKeys(diff, {"AcroForm", "DSS", "Extensions"})) {
      diff.erase("AcroForm");
      diff.erase("DSS");
      diff.erase("Extensions");
      return changed("catalog keys " + joinKeys(diff));
    }
    const PdfObject* a = old_o.GetDictionary().GetKey(PdfName("AcroForm"));
    const PdfObject* b = new_o.GetDictionary().GetKey(PdfName("AcroForm"));
    if (b && b->IsDictionary()) {  // inline form: judge it here
      PdfObject empty{PdfDictionary()};
      const PdfObject& old_form = a && a->IsDictionary() ? *a : empty;
      auto fdiff = differingKeys(old_form, *b);
      if (!onlyKeys(fdiff, {"Fields", "SigFlags", "DA", "DR", "NeedAppearances"}))
        return changed("form keys " + joinKeys(fdiff));
      if (auto why = arrayKeyAdditions(ca, old_form, *b, "Fields")) return changed(*why);
    }
    return;
  }
  if (both_dicts) {
    const PdfObject* root = resolve(ca.new_doc, root_ref);
    const PdfObject* form =
        root && root->IsDictionary() ? root->GetDictionary().GetKey(PdfName("AcroForm")) : nullptr;
    if (form && form->IsReference() && form->GetReference() == ref) {
      auto diff = differingKeys(old_o, new_o);
      if (!onlyKeys(diff, {"Fields", "SigFlags", "DA", "DR", "NeedAppearances"}))
        return changed("form keys " + joinKeys(diff));
      if (diff.contains("Fields")) {
        if (auto why = arrayKeyAdditions(ca, old_o, new_o, "Fields")) return changed(*why);
      }
      return;
    }
    if (nameOf(key(ca.new_doc, &new_o, "Type")) == std::optional<std::string>("Page")) {
      auto diff = differingKeys(old_o, new_o);
      if (!onlyKeys(diff, {"Annots"})) {
        diff.erase("Annots");
        return changed("page keys " + joinKeys(diff));
      }
      if (auto why = arrayKeyAdditions(ca, old_o, new_o, "Annots")) return changed(*why);
      return;
    }
    if (isSignatureField(ca.new_doc, &new_o) && !old_o.GetDictionary().HasKey(PdfName("V"))) {
      auto diff = differingKeys(old_o, new_o);
      if (onlyKeys(diff, {"V", "AP", "F", "MK", "DA", "M"})) return;  // an empty field signed
      return changed("signature field keys " + joinKeys(diff));
    }
    return changed("dictionary differs");
  }
  if (old_o.IsArray() && new_o.IsArray()) {
    if (auto why = additionsAreSignatures(ca.new_doc, old_o.GetArray(), new_o.GetArray()))
      return changed(*why);
    return;
  }
  changed(new_o.HasStream() ? "stream data or dictionary differs" : "value differs");
}

std::vector<std::string> analyseChanges(const PdfMemDocument& old_doc, std::size_t revision_end,
                                        const PdfMemDocument& new_doc) {
  ChangeAnalysis ca{old_doc, new_doc, {}};
  for (const PdfObject* obj : new_doc.GetObjects()) {
    const PdfReference ref = obj->Reference();
    const PdfObject* old = old_doc.GetObjects().GetObject(ref);
    const long long off = parserOffset(obj);
    if (old && off >= 0 && static_cast<std::size_t>(off) < revision_end && parserOffset(old) == off)
      continue;          // parsed from the same signed bytes
    if (!old) continue;  // new objects matter only through the old objects that refer to them
    compareChanged(ca, ref, *old, *obj);
  }
  for (const PdfObject* obj : old_doc.GetObjects()) {
    if (!new_doc.GetObjects().GetObject(obj->Reference()))
      ca.changes.push_back("object " + refText(obj->Reference()) + " (" + kindOf(old_doc, *obj) +
                           ") removed");
  }
  return ca.changes;
}

std::string roleText(SignerRole r, bool vi) {
  switch (r) {
    case SignerRole::Personal:
      return vi ? "chữ ký cá nhân" : "personal signature";
    case SignerRole::Agency:
      return vi ? "chữ ký cơ quan" : "agency signature";
    case SignerRole::Unknown:
      break;
  }
  return vi ? "chữ ký không rõ loại" : "signature of unknown role";
}

std::string signerName(const PdfSignatureCheck& s) {
  if (!s.report.signer) return "?";
  return s.report.signer->common_name.empty() ? s.report.signer->subject
                                              : s.report.signer->common_name;
}

void decide(PdfVerification& v) {
  auto label = [](const PdfSignatureCheck& s, bool vi) {
    return (vi ? "Chữ ký thứ " : "Signature #") + std::to_string(s.index) + " (" +
           roleText(s.role, vi) + ", " + signerName(s) + ", " + (vi ? "trường " : "field ") +
           s.field_name + ")";
  };
  auto set = [&](PdfVerdict verdict, std::string en, std::string vi) {
    v.verdict = verdict;
    v.reason = std::move(en);
    v.reason_vi = std::move(vi);
  };
  if (v.signatures.empty())
    return set(PdfVerdict::NotSigned, "the PDF carries no signature", "Tệp PDF chưa được ký số.");
  for (const auto& s : v.signatures) {
    if (!s.covers_revision || s.report.indication == Indication::TotalFailed) {
      std::string why =
          std::string(subIndicationName(s.report.sub_indication)) + ": " + s.report.detail;
      return set(PdfVerdict::SignatureInvalid, label(s, false) + " is invalid: " + why,
                 label(s, true) + " không hợp lệ: " + why);
    }
  }
  for (const auto& s : v.signatures) {
    if (s.report.indication == Indication::Indeterminate) {
      std::string why =
          std::string(subIndicationName(s.report.sub_indication)) + ": " + s.report.detail;
      return set(PdfVerdict::SignatureIndeterminate,
                 label(s, false) + " could not be validated: " + why,
                 label(s, true) + " chưa xác định được tính hợp lệ: " + why);
    }
  }
  for (const auto& s : v.signatures) {
    if (s.after == PdfModification::ContentChanged) {
      std::string first = s.changes.empty() ? std::string() : s.changes.front();
      return set(PdfVerdict::ContentChanged,
                 "content changed after " + label(s, false) + ": " + first,
                 "Nội dung văn bản đã bị thay đổi sau " + label(s, true) + ": " + first);
    }
  }
  auto personal = std::ranges::find_if(
      v.signatures, [](const PdfSignatureCheck& s) { return s.role == SignerRole::Personal; });
  if (personal == v.signatures.end())
    return set(PdfVerdict::MissingPersonal,
               "no personal signature of the competent official (Decree 30/2020)",
               "Thiếu chữ ký số cá nhân của người có thẩm quyền (Nghị định 30/2020).");
  auto agency = std::find_if(personal, v.signatures.end(), [](const PdfSignatureCheck& s) {
    return s.role == SignerRole::Agency;
  });
  if (agency == v.signatures.end())
    return set(PdfVerdict::MissingAgency,
               "no agency signature over the personal signature (Decree 30/2020)",
               "Thiếu chữ ký số của cơ quan, tổ chức sau chữ ký cá nhân (Nghị định 30/2020).");
  set(PdfVerdict::Valid,
      "valid personal signature (" + signerName(*personal) + ") and agency signature (" +
          signerName(*agency) + ")",
      "Văn bản hợp lệ: chữ ký cá nhân (" + signerName(*personal) + ") và chữ ký cơ quan (" +
          signerName(*agency) + ") đều hợp lệ.");
}

}  // namespace

std::string_view signerRoleName(SignerRole role) {
  switch (role) {
    case SignerRole::Personal:
      return "personal";
    case SignerRole::Agency:
      return "agency";
    case SignerRole::Unknown:
      break;
  }
  return "unknown";
}

std::string_view modificationName(PdfModification m) {
  switch (m) {
    case PdfModification::None:
      return "none";
    case PdfModification::SignaturesOnly:
      return "signatures_only";
    case PdfModification::ContentChanged:
      return "content_changed";
  }
  return "content_changed";
}

std::string_view verdictName(PdfVerdict v) {
  switch (v) {
    case PdfVerdict::Valid:
      return "valid";
    case PdfVerdict::NotSigned:
      return "not_signed";
    case PdfVerdict::SignatureInvalid:
      return "signature_invalid";
    case PdfVerdict::SignatureIndeterminate:
      return "signature_indeterminate";
    case PdfVerdict::ContentChanged:
      return "content_changed";
    case PdfVerdict::MissingPersonal:
      return "missing_personal";
    case PdfVerdict::MissingAgency:
      return "missing_agency";
  }
  return "signature_invalid";
}

bool PdfVerification::hasValidPersonal() const {
  return std::ranges::any_of(signatures, [](const PdfSignatureCheck& s) {
    return s.role == SignerRole::Personal && s.valid() &&
           s.after != PdfModification::ContentChanged;
  });
}

std::string PdfVerification::toJson() const {
  std::ostringstream o;
  o << "{\"verdict\":" << jsonString(verdictName(verdict))
    << ",\"valid\":" << (valid() ? "true" : "false") << ",\"reason\":" << jsonString(reason)
    << ",\"reason_vi\":" << jsonString(reason_vi) << ",\"signatures\":[";
  for (std::size_t i = 0; i < signatures.size(); ++i) {
    const auto& s = signatures[i];
    if (i) o << ",";
    o << "{\"index\":" << s.index << ",\"field\":" << jsonString(s.field_name)
      << ",\"role\":" << jsonString(signerRoleName(s.role))
      << ",\"role_basis\":" << jsonString(s.role_basis)
      << ",\"sub_filter\":" << jsonString(s.sub_filter) << ",\"byte_range\":[";
    for (std::size_t j = 0; j < s.byte_range.size(); ++j) o << (j ? "," : "") << s.byte_range[j];
    o << "],\"revision_end\":" << s.revision_end
      << ",\"covers_revision\":" << (s.covers_revision ? "true" : "false")
      << ",\"claimed_time\":" << jsonString(s.claimed_time)
      << ",\"after\":" << jsonString(modificationName(s.after)) << ",\"changes\":[";
    for (std::size_t j = 0; j < s.changes.size(); ++j)
      o << (j ? "," : "") << jsonString(s.changes[j]);
    o << "],\"report\":" << s.report.toJson() << "}";
  }
  o << "]}";
  return o.str();
}

std::string PdfVerification::textVi() const {
  std::string out = reason_vi + "\n";
  for (const auto& s : signatures) {
    out += "  " + std::to_string(s.index) + ". " + roleText(s.role, true) + " [" + s.field_name +
           "]: " + s.report.textVi();
    if (s.after == PdfModification::ContentChanged) out += " Nội dung bị thay đổi sau chữ ký này.";
    out += "\n";
  }
  return out;
}

std::string PdfVerification::textEn() const {
  std::string out = reason + "\n";
  for (const auto& s : signatures) {
    out += "  " + std::to_string(s.index) + ". " + roleText(s.role, false) + " [" + s.field_name +
           "]: " + s.report.textEn();
    if (s.after == PdfModification::ContentChanged) out += " Content changed after this signature.";
    out += "\n";
  }
  return out;
}

PdfVerifier::PdfVerifier(TrustStore trust, ValidationPolicy policy)
    : trust_(trust), policy_(policy), cms_(std::move(trust), std::move(policy)) {}

Result<PdfVerification> PdfVerifier::verify(std::string_view data, const RoleContext& roles) const {
  if (!data.starts_with("%PDF-"))
    return fail(ErrorCode::InvalidArgument, "pdf: the file does not start with %PDF-");
  PdfVerification result;
  try {
    pdf::LoadedPdf full = pdf::loadPdf(data, false);
    std::vector<FoundSignature> found = findSignatures(*full.doc);
    struct Item {
      FoundSignature sig;
      PdfSignatureCheck check;
      std::string der;
    };
    std::vector<Item> items;
    for (auto& f : found) {
      Item item{f, {}, {}};
      PdfSignatureCheck& c = item.check;
      c.field_name = f.field_name;
      c.sub_filter = nameOf(key(*full.doc, f.value, "SubFilter")).value_or("");
      c.claimed_time = pdf::textOf(key(*full.doc, f.value, "M")).value_or("");
      c.report.format = "PAdES";
      const PdfObject* br = key(*full.doc, f.value, "ByteRange");
      if (br && br->IsArray()) {
        for (const PdfObject& n : br->GetArray()) {
          if (n.IsNumber())
            c.byte_range.push_back(n.GetNumber());
          else
            c.byte_range.push_back(-1);
        }
      }
      const auto& r = c.byte_range;
      const long long size = static_cast<long long>(data.size());
      if (r.size() != 4 || r[0] != 0 || r[1] <= 0 || r[2] <= r[1] || r[3] < 0 ||
          r[2] + r[3] > size) {
        c.report.setFailure(SubIndication::FormatFailure,
                            "/ByteRange is not [0 a b c] inside the file");
        items.push_back(std::move(item));
        continue;
      }
      c.revision_end = static_cast<std::size_t>(r[2] + r[3]);
      const std::string_view hole =
          data.substr(static_cast<std::size_t>(r[1]), static_cast<std::size_t>(r[2] - r[1]));
      std::optional<std::string> hole_bytes;
      if (hole.size() >= 2 && hole.front() == '<' && hole.back() == '>')
        hole_bytes = decodeHex(hole.substr(1, hole.size() - 2));
      const PdfObject* contents = key(*full.doc, f.value, "Contents");
      std::optional<std::string_view> der;
      if (hole_bytes) der = derPrefix(*hole_bytes);
      if (!hole_bytes || !contents || !(contents->IsString() || contents->IsHexString()) || !der) {
        c.report.setFailure(SubIndication::FormatFailure,
                            "the /ByteRange hole is not a hex string holding a CMS signature");
        items.push_back(std::move(item));
        continue;
      }
      const PdfString& cs = contents->GetString();
      if (std::string_view(cs.GetString(), cs.GetLength()).substr(0, der->size()) != *der) {
        c.report.setFailure(SubIndication::FormatFailure,
                            "the /ByteRange hole is not this signature's /Contents");
        items.push_back(std::move(item));
        continue;
      }
      item.der = std::string(*der);
      c.covers_revision =
          endsRevision(data, c.revision_end) && f.value_offset >= 0 && f.value_offset < r[1];
      items.push_back(std::move(item));
    }
    std::ranges::stable_sort(items, [](const Item& a, const Item& b) {
      return a.check.revision_end < b.check.revision_end;
    });

    std::string content;  // reused for each signature's signed bytes
    int index = 0;
    for (auto& item : items) {
      PdfSignatureCheck& c = item.check;
      c.index = ++index;
      if (!item.der.empty()) {
        const auto& r = c.byte_range;
        content.clear();
        content.reserve(static_cast<std::size_t>(r[1] + r[3]));  // one allocation, no growth
        content.append(data.substr(0, static_cast<std::size_t>(r[1])));
        content.append(data.substr(static_cast<std::size_t>(r[2]), static_cast<std::size_t>(r[3])));
        const bool pades = c.sub_filter == "ETSI.CAdES.detached";
        const bool pkcs7_detached = c.sub_filter == "adbe.pkcs7.detached";
        const bool pkcs7_sha1 = c.sub_filter == "adbe.pkcs7.sha1";
        const CmsProfile profile = pades ? CmsProfile::CadesBes : CmsProfile::Pkcs7;
        // adbe.pkcs7.sha1: the SignedData encapsulates the SHA-1 of the byte range and signs that.
        std::optional<std::string> encapsulated;
        bool sha1_mismatch = false;
        if (pkcs7_sha1) {
          encapsulated = cmsEncapsulated(item.der);
          if (encapsulated) {
            unsigned char md[20];
            SHA1(reinterpret_cast<const unsigned char*>(content.data()), content.size(), md);
            sha1_mismatch = encapsulated->size() != sizeof md ||
                            std::memcmp(encapsulated->data(), md, sizeof md) != 0;
          }
        }
        const std::string_view signed_content =
            pkcs7_sha1 && encapsulated ? std::string_view(*encapsulated) : std::string_view(content);
        // A valid signature time-stamp proves the signature existed then: the certificate is
        // checked as of that time (PAdES-T), unless the policy fixes the validation time.
        const auto parts = pdf::cmsParts(item.der);
        std::optional<TimeStampInfo> stamp;
        std::string stamp_problem;
        if (parts && !parts->timestamp_token.empty()) {
          auto ts = verifyTimeStampToken(parts->timestamp_token, parts->signature_value, trust_);
          if (ts) stamp = *ts;
          else stamp_problem = "signature time-stamp not valid: " + ts.error().message;
        }
        // /M is inside the byte range: a signed, claimed time. It is used only when the policy
        // trusts claimed times and the CMS carries neither a time-stamp nor a signing-time.
        const auto m_time = parsePdfDate(c.claimed_time);
        const bool use_m = !stamp && m_time && c.covers_revision && policy_.trust_claimed_signing_time &&
                           !policy_.validation_time && parts && !parts->has_signing_time &&
                           *m_time <= std::chrono::system_clock::now() + policy_.revocation.clock_skew;
        if (!c.sub_filter.empty() && !pades && !pkcs7_detached && !pkcs7_sha1) {
          c.report.setFailure(SubIndication::FormatFailure,
                              "SubFilter /" + c.sub_filter + " is not supported");
        } else if (pkcs7_sha1 && !encapsulated) {
          c.report.setFailure(SubIndication::FormatFailure,
                              "adbe.pkcs7.sha1 without the encapsulated SHA-1 of the byte range");
        } else if (sha1_mismatch) {
          c.report.integrity = "broken";
          c.report.setFailure(SubIndication::HashFailure,
                              "the SHA-1 the adbe.pkcs7.sha1 signature encapsulates is not the "
                              "SHA-1 of the byte range: the file changed");
        } else if ((stamp || use_m) && !policy_.validation_time) {
          ValidationPolicy at_time = policy_;
          at_time.validation_time = stamp ? stamp->time : *m_time;
          c.report = CmsVerifier(trust_, at_time).verify(signed_content, item.der, profile);
        } else {
          c.report = cms_.verify(signed_content, item.der, profile);
        }
        if (c.report.signer) {
          X509Ptr signer = cmsCertificate(item.der, c.report.signer->sha256);
          RoleDecision role = classifySigner(signer.get(), roles);
          c.role = role.role;
          c.role_basis = std::move(role.basis);
        } else {
          c.role_basis = "the signer certificate could not be established";
        }
        const bool timestamped = stamp.has_value();
        if (stamp) {
          c.report.signing_time = stamp->time;
          c.report.signing_time_source = "timestamp";
        } else if (use_m && (c.report.passed() || c.report.signer)) {
          c.report.signing_time = *m_time;
          c.report.signing_time_source = "claimed";
          c.report.warnings.push_back("the claimed signing time /M " + c.claimed_time +
                                      " is used as the signing time (policy trusts claimed times)");
        }
        if (!c.report.claimed_time && m_time) {
          c.report.claimed_time = *m_time;
          c.report.claimed_time_signed = c.covers_revision;
        }
        if (!stamp_problem.empty()) c.report.warnings.push_back(stamp_problem);
        if (parts && parts->has_signing_time && pades)
          c.report.warnings.push_back(
              "signing-time signed attribute present: not PAdES baseline (the time belongs in /M)");
        if (pades) {
          c.report.format = timestamped ? "PAdES-B-T" : "PAdES-B-B";
        } else if (pkcs7_detached || pkcs7_sha1) {
          c.report.format = pkcs7_sha1 ? "PKCS#7 SHA-1 (PDF)" : "PKCS#7 detached (PDF)";
          c.report.warnings.push_back("SubFilter " + c.sub_filter +
                                      " is a legacy PDF signature, not PAdES baseline");
        }
        // adbe.pkcs7.sha1 rests on the SHA-1 of the byte range, whatever the CMS digest.
        if (pkcs7_sha1 && c.report.indication != Indication::TotalFailed) {
          if (!policy_.allow_sha1) {
            c.report.setFailure(SubIndication::CryptoConstraintsFailure,
                                "adbe.pkcs7.sha1 rests on SHA-1, refused by the validation policy");
          } else if (!hasWarningText(c.report, "SHA-1 is weak")) {
            c.report.warnings.push_back("SHA-1 is weak; accepted by policy");
          }
        }
        if (!c.covers_revision && c.report.indication != Indication::TotalFailed)
          c.report.setFailure(SubIndication::FormatFailure,
                              "the byte range does not cover a whole revision ending in %%EOF");
      }
      if (c.revision_end > 0 && c.revision_end < data.size()) {
        pdf::LoadedPdf old = pdf::loadPdf(data.substr(0, c.revision_end), false);
        c.changes = analyseChanges(*old.doc, c.revision_end, *full.doc);
        c.after =
            c.changes.empty() ? PdfModification::SignaturesOnly : PdfModification::ContentChanged;
      } else if (c.revision_end == 0) {
        c.after = PdfModification::ContentChanged;
        c.changes.push_back("the signed revision could not be determined");
      }
      result.signatures.push_back(std::move(c));
    }
  } catch (const PdfError& e) {
    return fail(ErrorCode::InvalidArgument, "pdf: cannot read the PDF: " + pdf::podofoReason(e));
  } catch (const std::exception& e) {
    return fail(ErrorCode::Internal, std::string("pdf: ") + e.what());
  }
  decide(result);
  return result;
}

}  // namespace lienthong::signing
