#include "lienthong/signing/pdf_signer.h"

#include <openssl/sha.h>

#include <openssl/x509.h>

#include <cstdarg>
#include <cstdio>
#include <ctime>
#include <filesystem>

#include "lienthong/signing/cms.h"
#include "pdf_cms.h"
#include "pdf_podofo.h"

namespace lienthong::signing {

using namespace PoDoFo;

namespace {

// Both placeholders are replaced before the bytes leave sign(); neither survives in the output.
constexpr std::string_view kByteRangePlaceholder = "[0 ********** ********** **********]";

// An output device over "the original bytes (not copied) + what WriteUpdate appends", so an
// incremental update is written without copying the document into PoDoFo's buffers.
class AppendDevice : public PdfOutputDevice {
 public:
  explicit AppendDevice(std::string_view original) : original_(original), pos_(original.size()) {}

  void Write(const char* buffer, size_t len) override {
    if (pos_ < original_.size())
      PODOFO_RAISE_ERROR_INFO(ePdfError_InternalLogic, "write before the end");
    const std::size_t off = pos_ - original_.size();
    if (tail_.size() < off + len) tail_.resize(off + len);
    tail_.replace(off, len, buffer, len);
    pos_ += len;
  }
  void Print(const char* format, ...) override {
    va_list args;
    va_start(args, format);
    PrintV(format, 0, args);
    va_end(args);
  }
  void PrintV(const char* format, long, va_list args) override {
    va_list copy;
    va_copy(copy, args);
    const int n = std::vsnprintf(nullptr, 0, format, copy);
    va_end(copy);
    if (n <= 0) return;
    std::string text(static_cast<std::size_t>(n) + 1, '\0');
    std::vsnprintf(text.data(), text.size(), format, args);
    Write(text.data(), static_cast<std::size_t>(n));
  }
  size_t Read(char* buffer, size_t len) override {
    const std::size_t total = GetLength();
    if (pos_ >= total) return 0;
    len = std::min(len, total - pos_);
    for (std::size_t i = 0; i < len; ++i) {
      const std::size_t p = pos_ + i;
      buffer[i] = p < original_.size() ? original_[p] : tail_[p - original_.size()];
    }
    pos_ += len;
    return len;
  }
  void Seek(size_t offset) override { pos_ = offset; }
  size_t Tell() const override { return pos_; }
  size_t GetLength() const override { return original_.size() + tail_.size(); }
  void Flush() override {}

  std::string& tail() { return tail_; }

 private:
  std::string_view original_;
  std::string tail_;
  std::size_t pos_;
};

std::string hexUpper(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

std::size_t derSize(X509* cert) {
  const int n = i2d_X509(cert, nullptr);
  return n > 0 ? static_cast<std::size_t>(n) : 0;
}

std::string subjectField(X509* cert, int nid) {
  const X509_NAME* name = X509_get_subject_name(cert);
  const int i = X509_NAME_get_index_by_NID(name, nid, -1);
  if (i < 0) return {};
  const ASN1_STRING* s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
  unsigned char* utf8 = nullptr;
  const int len = ASN1_STRING_to_UTF8(&utf8, s);
  if (len < 0) return {};
  std::string out(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(len));
  OPENSSL_free(utf8);
  return out;
}

PdfString utf8String(const std::string& s) {
  return PdfString(reinterpret_cast<const pdf_utf8*>(s.c_str()));
}

std::tm vietnamTm(std::chrono::system_clock::time_point t) {
  const std::time_t tt = std::chrono::system_clock::to_time_t(t + std::chrono::hours(7));
  std::tm tm{};
  gmtime_r(&tt, &tm);
  return tm;
}

std::string formatTm(const std::tm& tm, const char* format) {
  char buf[64];
  const std::size_t n = std::strftime(buf, sizeof buf, format, &tm);
  return std::string(buf, n);
}

struct Update {
  std::string tail;
  std::size_t contents_pos = 0;  // of the '<' of the placeholder, inside tail
  std::size_t contents_len = 0;  // placeholder length including '<' and '>'
};

}  // namespace

std::string isoTimeVietnam(std::chrono::system_clock::time_point t) {
  return formatTm(vietnamTm(t), "%Y-%m-%dT%H:%M:%S") + "+07:00";
}

std::string pdfDateVietnam(std::chrono::system_clock::time_point t) {
  return formatTm(vietnamTm(t), "D:%Y%m%d%H%M%S") + "+07'00'";
}

PdfSigner::PdfSigner(SigningKey key, PdfVerifier verifier, PdfSignOptions options)
    : key_(std::move(key)),
      verifier_(std::move(verifier)),
      options_(std::move(options)),
      role_(signerRole(key_.certificate(), options_.roles)) {}

Result<std::string> PdfSigner::sign(std::string_view pdf) const {
  if (!pdf.starts_with("%PDF-"))
    return fail(ErrorCode::InvalidArgument, "pdf: the input does not start with %PDF-");
  X509* cert = key_.certificate();
  if (role_ == SignerRole::Unknown)
    return fail(ErrorCode::InvalidArgument,
                "pdf: the certificate '" + subjectField(cert, NID_commonName) +
                    "' is neither a personal certificate (UID CCCD:/CMND:/HC:/PID:/PPID:/BHXH:, "
                    "or title) nor an organisation's (UID MST:/MNS:, organizationIdentifier, or a "
                    "registered seal or the sending agency's name), or its extendedKeyUsage "
                    "allows no document signing");
  if (X509_cmp_current_time(X509_get0_notBefore(cert)) > 0)
    return fail(ErrorCode::CertificateInvalid, "pdf: the signing certificate is not yet valid");
  if (X509_cmp_current_time(X509_get0_notAfter(cert)) < 0)
    return fail(ErrorCode::CertificateInvalid, "pdf: the signing certificate has expired");

  if (role_ == SignerRole::Agency) {
    auto existing = verifier_.verify(pdf, options_.roles);
    if (!existing) return std::unexpected(existing.error());
    if (!existing->hasValidPersonal())
      return fail(ErrorCode::SignatureInvalid,
                  "pdf: agency signature refused: the PDF carries no valid personal signature (" +
                      existing->reason + ")");
  }

  const auto when = options_.signing_time.value_or(std::chrono::system_clock::now());
  std::size_t reserve = 4096 + derSize(cert);
  for (X509* c : key_.chain()) reserve += derSize(c);
  if (options_.tsa) reserve += 8192;
  reserve = (reserve + 1023) / 1024 * 1024;

  Update update;
  try {
    pdf::LoadedPdf loaded = pdf::loadPdf(pdf, true);
    PdfMemDocument& doc = *loaded.doc;
    const int pages = doc.GetPageCount();
    if (pages < 1) return fail(ErrorCode::InvalidArgument, "pdf: the document has no page");
    const auto& ap = options_.appearance;
    const int page_index = ap ? ap->page - 1 : 0;
    if (page_index < 0 || page_index >= pages)
      return fail(ErrorCode::InvalidArgument, "pdf: page " + std::to_string(page_index + 1) +
                                                  " does not exist (the document has " +
                                                  std::to_string(pages) + ")");
    PdfPage* page = doc.GetPage(page_index);
    PdfRect rect(0, 0, 0, 0);
    if (ap) {
      const PdfRect media = page->GetMediaBox();
      if (ap->width <= 0 || ap->height <= 0 || ap->x < media.GetLeft() ||
          ap->y < media.GetBottom() || ap->x + ap->width > media.GetLeft() + media.GetWidth() ||
          ap->y + ap->height > media.GetBottom() + media.GetHeight())
        return fail(ErrorCode::InvalidArgument,
                    "pdf: the signature rectangle lies outside page " + std::to_string(ap->page));
      rect = PdfRect(ap->x, ap->y, ap->width, ap->height);
    }

    PdfAcroForm* form = doc.GetAcroForm(true, ePdfAcroFormDefaultAppearance_None);
    PdfDictionary& form_dict = form->GetObject()->GetDictionary();
    const PdfObject* flags = form_dict.GetKey(PdfName("SigFlags"));
    if (!flags || !flags->IsNumber() || flags->GetNumber() != 3)
      form_dict.AddKey(PdfName("SigFlags"), PdfObject(static_cast<pdf_int64>(3)));
    std::size_t existing_fields = 0;
    if (const PdfObject* f = pdf::resolve(doc, form_dict.GetKey(PdfName("Fields")));
        f && f->IsArray())
      existing_fields = f->GetArray().size();
    const std::string field_name =
        std::string(role_ == SignerRole::Agency ? "Agency" : "Personal") + "Signature" +
        std::to_string(existing_fields + 1);

    PdfAnnotation* widget = page->CreateAnnotation(ePdfAnnotation_Widget, rect);
    widget->SetFlags(ePdfAnnotationFlags_Print);
    PdfSignatureField field(widget, form, &doc);
    field.SetFieldName(PdfString(field_name));

    if (ap) {
      PdfXObject canvas(PdfRect(0, 0, ap->width, ap->height), &doc);
      PdfPainter painter;
      painter.SetPage(&canvas);
      std::vector<std::string> lines;
      if (role_ == SignerRole::Agency) {
        std::string agency = options_.agency_name;
        if (agency.empty()) agency = subjectField(cert, NID_organizationName);
        if (agency.empty()) agency = subjectField(cert, NID_commonName);
        lines = {agency, "Ký lúc: " + isoTimeVietnam(when)};
      } else if (ap->png.empty()) {
        lines = {subjectField(cert, NID_commonName), "Ký lúc: " + isoTimeVietnam(when)};
      }
      double image_width = ap->png.empty() ? 0 : (lines.empty() ? ap->width : ap->width / 3);
      if (!ap->png.empty()) {
        PdfImage image(&doc);
        image.LoadFromPngData(reinterpret_cast<const unsigned char*>(ap->png.data()),
                              static_cast<pdf_long>(ap->png.size()));
        const double scale =
            std::min(image_width / image.GetWidth(), ap->height / image.GetHeight());
        painter.DrawImage(0, (ap->height - image.GetHeight() * scale) / 2, &image, scale, scale);
      }
      if (!lines.empty()) {
        if (!std::filesystem::exists(options_.font_file)) {
          painter.FinishPage();
          return fail(ErrorCode::InvalidArgument,
                      "pdf: the appearance font '" + options_.font_file.string() +
                          "' does not exist (install fonts-dejavu-core)");
        }
        PdfFont* font =
            doc.CreateFont("DejaVu Sans", false, false, false,
                           PdfEncodingFactory::GlobalIdentityEncodingInstance(),
                           PdfFontCache::eFontCreationFlags_None, true, options_.font_file.c_str());
        if (!font) {
          painter.FinishPage();
          return fail(ErrorCode::InvalidArgument,
                      "pdf: cannot load the font '" + options_.font_file.string() + "'");
        }
        // The largest size up to 10 pt at which every line fits beside the image.
        double size = std::min(10.0, ap->height / (static_cast<double>(lines.size()) + 1.5));
        const double room = ap->width - image_width - 4;
        font->SetFontSize(static_cast<float>(size));
        for (const auto& line : lines) {
          const double w = font->GetFontMetrics()->StringWidth(utf8String(line));
          if (w > room && w > 0) size = std::min(size, size * room / w);
        }
        font->SetFontSize(static_cast<float>(size));
        painter.SetFont(font);
        if (role_ == SignerRole::Agency)
          painter.SetColor(0.8, 0.0, 0.0);
        else
          painter.SetColor(0.0, 0.0, 0.6);
        double y = ap->height - size * 1.3;
        for (const auto& line : lines) {
          painter.DrawText(image_width + 2, y, utf8String(line));
          y -= size * 1.3;
        }
      }
      painter.FinishPage();
      field.SetAppearanceStream(&canvas);
    }

    field.EnsureSignatureObject();
    PdfDictionary& sig = field.GetSignatureObject()->GetDictionary();
    sig.AddKey(PdfName("Type"), PdfName("Sig"));
    sig.AddKey(PdfName("Filter"), PdfName("Adobe.PPKLite"));
    sig.AddKey(PdfName("SubFilter"),
               PdfName(options_.format == PdfSignOptions::Format::Pkcs7Detached ? "adbe.pkcs7.detached"
                       : options_.format == PdfSignOptions::Format::Pkcs7Sha1   ? "adbe.pkcs7.sha1"
                                                                                : "ETSI.CAdES.detached"));
    sig.AddKey(PdfName("M"), PdfString(pdfDateVietnam(when)));
    if (!options_.reason.empty()) sig.AddKey(PdfName("Reason"), utf8String(options_.reason));
    if (!options_.location.empty()) sig.AddKey(PdfName("Location"), utf8String(options_.location));
    sig.AddKey(PdfName("ByteRange"),
               PdfVariant(PdfData(std::string(kByteRangePlaceholder).c_str())));
    const std::string contents_placeholder = "<" + std::string(2 * reserve, '0') + ">";
    sig.AddKey(PdfName("Contents"), PdfVariant(PdfData(contents_placeholder.c_str())));

    AppendDevice device(pdf);
    doc.WriteUpdate(&device, false);
    update.tail = std::move(device.tail());
    update.contents_pos = update.tail.find(contents_placeholder);
    update.contents_len = contents_placeholder.size();
    if (update.contents_pos == std::string::npos ||
        update.tail.find(contents_placeholder, update.contents_pos + 1) != std::string::npos)
      return fail(ErrorCode::Internal,
                  "pdf: the signature placeholder was not written exactly once");
  } catch (const PdfError& e) {
    return fail(ErrorCode::InvalidArgument,
                "pdf: cannot prepare the signature: " + pdf::podofoReason(e));
  } catch (const std::exception& e) {
    return fail(ErrorCode::Internal, std::string("pdf: ") + e.what());
  }

  // ByteRange: everything but the hole, up to the end of this revision.
  const std::size_t a = pdf.size() + update.contents_pos;
  const std::size_t b = a + update.contents_len;
  const std::size_t total = pdf.size() + update.tail.size();
  const std::size_t br_pos = update.tail.find(kByteRangePlaceholder);
  if (br_pos == std::string::npos)
    return fail(ErrorCode::Internal, "pdf: the /ByteRange placeholder was not written");
  std::string range =
      "[0 " + std::to_string(a) + " " + std::to_string(b) + " " + std::to_string(total - b);
  range.append(kByteRangePlaceholder.size() - 1 - range.size(), ' ');
  range += "]";
  update.tail.replace(br_pos, range.size(), range);

  // The signed bytes are the output without the hole: build them contiguously, sign, then put
  // the hole in (only the short tail after it moves; the capacity is reserved).
  std::string out;
  out.reserve(total);
  out.append(pdf);
  out.append(update.tail, 0, update.contents_pos);
  out.append(update.tail, update.contents_pos + update.contents_len);
  update.tail = std::string();

  const bool legacy = options_.format != PdfSignOptions::Format::Pades;
  CmsSignOptions cms_options;
  cms_options.signing_certificate = !legacy;
  if (legacy) {
    cms_options.tsa = options_.tsa;
    cms_options.signing_time = when;
  }
  Result<std::string> cades;
  if (options_.format == PdfSignOptions::Format::Pkcs7Sha1) {
    cms_options.detached = false;
    unsigned char md[SHA_DIGEST_LENGTH];
    SHA1(reinterpret_cast<const unsigned char*>(out.data()), out.size(), md);
    cades = CmsSigner(key_, cms_options).sign(std::string_view(reinterpret_cast<const char*>(md), sizeof md));
  } else {
    cades = CmsSigner(key_, cms_options).sign(out);
  }
  if (!cades) return std::unexpected(cades.error());
  auto cms = legacy ? std::move(cades) : pdf::toPades(*cades, key_, options_.tsa.get());
  if (!cms) return std::unexpected(cms.error());
  std::string hex = hexUpper(*cms);
  if (hex.size() > update.contents_len - 2)
    return fail(ErrorCode::CryptoFailure, "pdf: the CMS signature (" + std::to_string(cms->size()) +
                                              " bytes) is larger than the space reserved (" +
                                              std::to_string(reserve) + ")");
  hex.append(update.contents_len - 2 - hex.size(), '0');
  out.insert(a, "<" + hex + ">");
  return out;
}

}  // namespace lienthong::signing
