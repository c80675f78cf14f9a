#include "lienthong/signing/pdf_sample.h"

#include <cmath>
#include <cstring>
#include <random>

#include "pdf_podofo.h"

namespace lienthong::signing {

using namespace PoDoFo;

namespace {

PdfString utf8(const std::string& s) {
  return PdfString(reinterpret_cast<const pdf_utf8*>(s.c_str()));
}

std::string writeToString(PdfMemDocument& doc) {
  PdfRefCountedBuffer buffer;
  {
    PdfOutputDevice device(&buffer);
    doc.Write(&device);
    return std::string(buffer.GetBuffer(), device.GetLength());
  }
}

// One A4 page: the title and the lines in DejaVu Sans.
void drawPage(PdfMemDocument& doc, PdfFont* font, const SamplePdfOptions& o, int number) {
  PdfPage* page = doc.CreatePage(PdfPage::CreateStandardPageSize(ePdfPageSize_A4));
  PdfPainter painter;
  painter.SetPage(page);
  font->SetFontSize(16);
  painter.SetFont(font);
  painter.DrawText(56, 770, utf8(o.title));
  font->SetFontSize(12);
  painter.SetFont(font);
  double y = 740;
  for (const auto& line : o.lines) {
    painter.DrawText(56, y, utf8(line));
    y -= 18;
  }
  painter.DrawText(56, 60, utf8("Trang " + std::to_string(number) + "/" + std::to_string(o.pages)));
  painter.FinishPage();
}

}  // namespace

Result<std::string> makeSamplePdf(const SamplePdfOptions& o) {
  if (o.pages < 1 || o.pages > 1000)
    return fail(ErrorCode::InvalidArgument, "pdf sample: pages must be 1..1000");
  if (!std::filesystem::exists(o.font_file))
    return fail(ErrorCode::InvalidArgument, "pdf sample: font '" + o.font_file.string() +
                                                "' not found (install fonts-dejavu-core)");
  try {
    pdf::quietPodofo();
    PdfMemDocument doc;
    PdfFont* font = doc.CreateFont(
        "DejaVu Sans", false, false, false, PdfEncodingFactory::GlobalIdentityEncodingInstance(),
        PdfFontCache::eFontCreationFlags_None, true, o.font_file.c_str());
    if (!font) return fail(ErrorCode::InvalidArgument, "pdf sample: cannot load the font");
    for (int i = 1; i <= o.pages; ++i) drawPage(doc, font, o, i);
    doc.GetInfo()->SetTitle(utf8(o.title));
    doc.GetInfo()->SetCreator(PdfString("lienthong pdf sample"));
    if (o.target_size == 0) return writeToString(doc);

    const std::size_t base = writeToString(doc).size();
    if (o.target_size <= base + 4096) return writeToString(doc);
    // Random RGB pixels do not compress: the image adds its own size to the file.
    const std::size_t pixels = (o.target_size - base - 1024) / 3;
    const auto side = static_cast<unsigned>(std::sqrt(static_cast<double>(pixels)));
    std::string data(static_cast<std::size_t>(side) * side * 3, '\0');
    std::mt19937_64 random(20200305);
    for (std::size_t i = 0; i + 8 <= data.size(); i += 8) {
      const std::uint64_t v = random();
      std::memcpy(data.data() + i, &v, 8);
    }
    PdfImage image(&doc);
    image.SetImageColorSpace(ePdfColorSpace_DeviceRGB);
    PdfMemoryInputStream stream(data.data(), static_cast<pdf_long>(data.size()));
    TVecFilters no_filters;
    image.SetImageData(side, side, 8, &stream, no_filters);
    data = std::string();
    PdfPainter painter;
    painter.SetPage(doc.GetPage(doc.GetPageCount() - 1));
    painter.DrawImage(400, 80, &image, 120.0 / side, 120.0 / side);
    painter.FinishPage();
    return writeToString(doc);
  } catch (const PdfError& e) {
    return fail(ErrorCode::Internal, "pdf sample: " + pdf::podofoReason(e));
  } catch (const std::exception& e) {
    return fail(ErrorCode::Internal, std::string("pdf sample: ") + e.what());
  }
}

}  // namespace lienthong::signing
