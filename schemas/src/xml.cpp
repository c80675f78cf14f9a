#include "lienthong/schemas/xml.h"

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/SAX2.h>
#include <libxml/xmlsave.h>

#include <algorithm>
#include <cstring>
#include <mutex>

namespace lienthong::schemas {
namespace {

struct ParserCtxtFree {
  void operator()(xmlParserCtxt* c) const { xmlFreeParserCtxt(c); }
};
using ParserCtxtPtr = std::unique_ptr<xmlParserCtxt, ParserCtxtFree>;

// What our SAX hooks know while libxml2 builds the tree; reached through ctxt->_private.
struct Guard {
  const XmlLimits* limits = nullptr;
  startElementNsSAX2Func start = nullptr;
  endElementNsSAX2Func end = nullptr;
  charactersSAXFunc characters = nullptr;
  commentSAXFunc comment = nullptr;
  processingInstructionSAXFunc pi = nullptr;
  int depth = 0;
  std::size_t nodes = 0;
  std::size_t text_run = 0;
  bool failed = false;
  Error error;
  Error first_ns_error;  // the first namespace error (unbound prefix), reported as the reason
};

Guard& guardOf(void* ctx) {
  return *static_cast<Guard*>(static_cast<xmlParserCtxt*>(ctx)->_private);
}

void stop(void* ctx, ErrorCode code, std::string message) {
  auto* ctxt = static_cast<xmlParserCtxt*>(ctx);
  Guard& g = guardOf(ctx);
  if (!g.failed) {
    g.failed = true;
    g.error = Error{code, std::move(message), xmlSAX2GetLineNumber(ctx), {}};
  }
  xmlStopParser(ctxt);
}

void onStart(void* ctx, const xmlChar* localname, const xmlChar* prefix, const xmlChar* uri,
             int nb_namespaces, const xmlChar** namespaces, int nb_attributes, int nb_defaulted,
             const xmlChar** attributes) {
  Guard& g = guardOf(ctx);
  g.text_run = 0;
  if (++g.depth > g.limits->max_depth) {
    stop(ctx, ErrorCode::TooDeep,
         "elements nested deeper than " + std::to_string(g.limits->max_depth) + " levels");
    g.error.element = reinterpret_cast<const char*>(localname);
    return;
  }
  g.nodes += 1 + static_cast<std::size_t>(nb_attributes);
  if (g.nodes > g.limits->max_nodes) {
    stop(ctx, ErrorCode::TooManyNodes,
         "more than " + std::to_string(g.limits->max_nodes) + " elements, attributes and texts");
    return;
  }
  g.start(ctx, localname, prefix, uri, nb_namespaces, namespaces, nb_attributes, nb_defaulted,
          attributes);
}

void onEnd(void* ctx, const xmlChar* localname, const xmlChar* prefix, const xmlChar* uri) {
  Guard& g = guardOf(ctx);
  --g.depth;
  g.text_run = 0;
  g.end(ctx, localname, prefix, uri);
}

void onCharacters(void* ctx, const xmlChar* ch, int len) {
  Guard& g = guardOf(ctx);
  if (g.text_run == 0 && ++g.nodes > g.limits->max_nodes) {
    stop(ctx, ErrorCode::TooManyNodes,
         "more than " + std::to_string(g.limits->max_nodes) + " elements, attributes and texts");
    return;
  }
  g.text_run += static_cast<std::size_t>(len);
  if (g.text_run > g.limits->max_text_bytes) {
    stop(ctx, ErrorCode::TextTooLarge,
         "a text node is larger than " + std::to_string(g.limits->max_text_bytes) + " bytes");
    return;
  }
  g.characters(ctx, ch, len);
}

void onComment(void* ctx, const xmlChar* value) {
  Guard& g = guardOf(ctx);
  if (g.depth > 0 && !g.limits->allow_inner_comments) {
    stop(ctx, ErrorCode::MalformedXml,
         "a comment inside the document is refused: canonicalisation drops it, so what is signed "
         "and what is read could differ (chú thích bên trong văn bản không được chấp nhận)");
    return;
  }
  if (g.comment) g.comment(ctx, value);
}

void onProcessingInstruction(void* ctx, const xmlChar* target, const xmlChar* data) {
  Guard& g = guardOf(ctx);
  if (g.depth > 0 && !g.limits->allow_inner_comments) {
    stop(ctx, ErrorCode::MalformedXml,
         std::string("a processing instruction (<?") + reinterpret_cast<const char*>(target) +
             " ...?>) inside the document is refused");
    return;
  }
  if (g.pi) g.pi(ctx, target, data);
}

void onInternalSubset(void* ctx, const xmlChar* name, const xmlChar*, const xmlChar*) {
  stop(ctx, ErrorCode::DoctypeRefused,
       std::string("a DOCTYPE declaration (<!DOCTYPE ") + reinterpret_cast<const char*>(name) +
           ">) is not accepted: edXML never needs one and it can carry entity attacks");
}

void onEntityDecl(void* ctx, const xmlChar* name, int, const xmlChar*, const xmlChar*, xmlChar*) {
  stop(ctx, ErrorCode::EntityRefused,
       std::string("entity declaration '") + reinterpret_cast<const char*>(name) + "' refused");
}

xmlEntity* onGetEntity(void* ctx, const xmlChar* name) {
  // Predefined entities (&amp; &lt; ...) never reach this hook; anything else is refused.
  stop(ctx, ErrorCode::EntityRefused,
       std::string("entity reference '&") + reinterpret_cast<const char*>(name) + ";' refused");
  return nullptr;
}

void onStructuredError(void* ctx, xmlError* err) {
  // Errors are read from the context after the parse; nothing is printed. The first namespace
  // error is kept: libxml2 goes on after it, and the context keeps only the last error.
  if (!ctx || !err || err->domain != XML_FROM_NAMESPACE) return;
  auto* ctxt = static_cast<xmlParserCtxt*>(ctx);
  if (!ctxt->_private) return;
  Guard& g = guardOf(ctx);
  if (g.first_ns_error.message.empty()) {
    std::string msg = err->message ? err->message : "namespace error";
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    g.first_ns_error = Error{ErrorCode::MalformedXml, std::move(msg), err->line, {}};
  }
}

void initOnce() {
  static std::once_flag once;
  std::call_once(once, [] { xmlInitParser(); });
}

ErrorCode mapLibxmlError(int code) {
  switch (code) {
    case XML_ERR_INVALID_CHAR:
    case XML_ERR_INVALID_ENCODING:
      return ErrorCode::InvalidUtf8;
    case XML_ERR_UNSUPPORTED_ENCODING:
    case XML_ERR_UNKNOWN_ENCODING:
      return ErrorCode::EncodingRefused;
    case XML_ERR_UNDECLARED_ENTITY:
    case XML_WAR_UNDECLARED_ENTITY:
    case XML_ERR_ENTITY_LOOP:
      return ErrorCode::EntityRefused;
    default:
      return ErrorCode::MalformedXml;
  }
}

std::string trimmed(const char* s) {
  std::string out = s ? s : "";
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

}  // namespace

Result<XmlDocument> XmlDocument::parse(std::string_view bytes, const XmlLimits& limits) {
  initOnce();
  if (bytes.size() > limits.max_bytes) {
    return fail(ErrorCode::TooLarge, "input of " + std::to_string(bytes.size()) +
                                         " bytes is larger than the limit of " +
                                         std::to_string(limits.max_bytes) + " bytes");
  }
  if (bytes.empty()) return fail(ErrorCode::MalformedXml, "input is empty");
  if (bytes.size() >= 2 && ((bytes[0] == '\xFE' && bytes[1] == '\xFF') ||
                            (bytes[0] == '\xFF' && bytes[1] == '\xFE'))) {
    return fail(ErrorCode::EncodingRefused, "input is UTF-16 or UTF-32; edXML must be UTF-8");
  }
  // libxml2 reads a NUL byte as the end of the input: whatever follows it (a second document)
  // would never be parsed, yet be stored and passed on. NUL is never allowed in XML.
  if (const auto nul = bytes.find('\0'); nul != std::string_view::npos) {
    const auto line = 1 + std::count(bytes.begin(), bytes.begin() + static_cast<long>(nul), '\n');
    return fail(ErrorCode::MalformedXml,
                "byte " + std::to_string(nul) + " is NUL: nothing may follow the document, and NUL "
                "is not allowed in XML", static_cast<int>(line));
  }
  std::size_t bad = 0;
  if (!xml::isUtf8(bytes, &bad)) {
    const auto line = 1 + std::count(bytes.begin(), bytes.begin() + static_cast<long>(bad), '\n');
    return fail(ErrorCode::InvalidUtf8,
                "byte " + std::to_string(bad) + " is not valid UTF-8", static_cast<int>(line));
  }

  ParserCtxtPtr ctxt(xmlNewParserCtxt());
  if (!ctxt) return fail(ErrorCode::Internal, "libxml2 could not allocate a parser");
  Guard guard;
  guard.limits = &limits;
  xmlSAXHandler* sax = ctxt->sax;
  guard.start = sax->startElementNs;
  guard.end = sax->endElementNs;
  guard.characters = sax->characters;
  guard.comment = sax->comment;
  guard.pi = sax->processingInstruction;
  sax->comment = onComment;
  sax->processingInstruction = onProcessingInstruction;
  sax->startElementNs = onStart;
  sax->endElementNs = onEnd;
  sax->characters = onCharacters;
  sax->cdataBlock = onCharacters;
  sax->ignorableWhitespace = onCharacters;
  sax->internalSubset = onInternalSubset;
  sax->externalSubset = nullptr;
  sax->entityDecl = onEntityDecl;
  sax->getEntity = onGetEntity;
  sax->getParameterEntity = onGetEntity;
  sax->serror = onStructuredError;
  sax->error = nullptr;
  sax->warning = nullptr;
  ctxt->_private = &guard;

  const int options = XML_PARSE_NONET | XML_PARSE_NOCDATA | XML_PARSE_HUGE | XML_PARSE_BIG_LINES | XML_PARSE_NOERROR |
                      XML_PARSE_NOWARNING;
  xmlDoc* raw = xmlCtxtReadMemory(ctxt.get(), bytes.data(), static_cast<int>(bytes.size()),
                                  nullptr, nullptr, options);
  XmlDocument doc(raw);  // owns whatever was built, even on failure
  if (guard.failed) return std::unexpected(guard.error);
  if (!raw || !ctxt->wellFormed) {
    const xmlError* err = xmlCtxtGetLastError(ctxt.get());
    if (!err) return fail(ErrorCode::MalformedXml, "input is not well-formed XML");
    return fail(mapLibxmlError(err->code), "not well-formed XML: " + trimmed(err->message),
                err->line);
  }
  if (!ctxt->nsWellFormed) {
    // An unbound prefix (<x:To> without xmlns:x) or a bad namespace declaration: the element's
    // namespace, so its meaning, is unknown.
    if (!guard.first_ns_error.message.empty()) {
      return fail(ErrorCode::MalformedXml,
                  "not namespace-well-formed XML: " + guard.first_ns_error.message,
                  guard.first_ns_error.line);
    }
    const xmlError* err = xmlCtxtGetLastError(ctxt.get());
    return fail(ErrorCode::MalformedXml,
                "not namespace-well-formed XML: " +
                    (err && err->message ? trimmed(err->message) : std::string("a namespace error")),
                err ? err->line : 0);
  }
  if (raw->encoding != nullptr &&
      xmlStrcasecmp(raw->encoding, reinterpret_cast<const xmlChar*>("UTF-8")) != 0 &&
      xmlStrcasecmp(raw->encoding, reinterpret_cast<const xmlChar*>("UTF8")) != 0) {
    return fail(ErrorCode::EncodingRefused,
                std::string("declared encoding '") + reinterpret_cast<const char*>(raw->encoding) +
                    "' refused: edXML must be UTF-8");
  }
  if (!doc.root()) return fail(ErrorCode::MalformedXml, "input has no root element");
  return doc;
}

namespace xml {

std::string_view ns(const xmlNode* node) {
  if (!node || !node->ns || !node->ns->href) return {};
  return reinterpret_cast<const char*>(node->ns->href);
}

std::string_view name(const xmlNode* node) {
  return node && node->name ? reinterpret_cast<const char*>(node->name) : "";
}

bool is(const xmlNode* node, std::string_view ns_uri, std::string_view local_name) {
  return node && node->type == XML_ELEMENT_NODE && name(node) == local_name && ns(node) == ns_uri;
}

xmlNode* firstElement(const xmlNode* parent) {
  for (xmlNode* c = parent ? parent->children : nullptr; c; c = c->next) {
    if (c->type == XML_ELEMENT_NODE) return c;
  }
  return nullptr;
}

xmlNode* nextElement(const xmlNode* node) {
  for (xmlNode* c = node ? node->next : nullptr; c; c = c->next) {
    if (c->type == XML_ELEMENT_NODE) return c;
  }
  return nullptr;
}

std::string text(const xmlNode* node) {
  std::string out;
  for (const xmlNode* c = node ? node->children : nullptr; c; c = c->next) {
    if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content) {
      out += reinterpret_cast<const char*>(c->content);
    }
  }
  const auto first = out.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return {};
  const auto last = out.find_last_not_of(" \t\r\n");
  return out.substr(first, last - first + 1);
}

std::string_view rawText(const xmlNode* node) {
  for (const xmlNode* c = node ? node->children : nullptr; c; c = c->next) {
    if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content) {
      return reinterpret_cast<const char*>(c->content);
    }
  }
  return {};
}

int line(const xmlNode* node) { return node ? static_cast<int>(xmlGetLineNo(node)) : 0; }

std::string attribute(const xmlNode* node, const char* attr_name) {
  xmlChar* v = xmlGetProp(node, reinterpret_cast<const xmlChar*>(attr_name));
  if (!v) return {};
  std::string out(reinterpret_cast<const char*>(v));
  xmlFree(v);
  return out;
}

std::string fragment(const xmlNode* node) {
  struct DocFree {
    void operator()(xmlDoc* d) const { xmlFreeDoc(d); }
  };
  struct BufFree {
    void operator()(xmlBuffer* b) const { xmlBufferFree(b); }
  };
  std::unique_ptr<xmlDoc, DocFree> doc(xmlNewDoc(reinterpret_cast<const xmlChar*>("1.0")));
  xmlNode* copy = xmlDocCopyNode(const_cast<xmlNode*>(node), doc.get(), 1);
  if (!copy) return {};
  xmlDocSetRootElement(doc.get(), copy);
  xmlReconciliateNs(doc.get(), copy);
  std::unique_ptr<xmlBuffer, BufFree> buf(xmlBufferCreate());
  xmlNodeDump(buf.get(), doc.get(), copy, 0, 0);
  return std::string(reinterpret_cast<const char*>(xmlBufferContent(buf.get())),
                     static_cast<std::size_t>(xmlBufferLength(buf.get())));
}

void appendEscaped(std::string& out, std::string_view text) {
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\r': out += "&#13;"; break;
      default: out += c;
    }
  }
}

bool isUtf8(std::string_view bytes, std::size_t* bad_offset) {
  const auto* s = reinterpret_cast<const unsigned char*>(bytes.data());
  const std::size_t n = bytes.size();
  std::size_t i = 0;
  while (i < n) {
    // Fast path: eight ASCII bytes at a time.
    if (i + 8 <= n) {
      std::uint64_t chunk;
      std::memcpy(&chunk, s + i, 8);
      if ((chunk & 0x8080808080808080ULL) == 0) {
        i += 8;
        continue;
      }
    }
    const unsigned char c = s[i];
    std::size_t len = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      if (bad_offset) *bad_offset = i;
      return false;
    }
    if (i + len > n) {
      if (bad_offset) *bad_offset = i;
      return false;
    }
    for (std::size_t k = 1; k < len; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) {
        if (bad_offset) *bad_offset = i;
        return false;
      }
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    const bool overlong = (len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
                          (len == 4 && cp < 0x10000);
    if (overlong || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      if (bad_offset) *bad_offset = i;
      return false;
    }
    i += len;
  }
  return true;
}

}  // namespace xml
}  // namespace lienthong::schemas
