// The one safe entry point from bytes to an XML tree, used by every module. Refuses any DOCTYPE
// (and so every entity declaration), never loads anything from the network or disk, checks that
// the bytes are UTF-8, and bounds size, depth, node count and the size of one text node; each
// refusal has its own ErrorCode. An XmlDocument owns its libxml2 tree; it is movable, not
// copyable, and safe to read from several threads once parsed.
#pragma once

#include <libxml/tree.h>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "lienthong/schemas/error.h"

namespace lienthong::schemas {

struct XmlLimits {
  std::size_t max_bytes = 100u << 20;       // whole input
  int max_depth = 128;                      // element nesting
  std::size_t max_nodes = 1'000'000;        // elements + attributes + text nodes
  std::size_t max_text_bytes = 72u << 20;   // one text node: a 50 MB file in base64 fits
  // Comments and processing instructions inside the root element. The gateway's intake refuses
  // them (false): exclusive C14N drops them, so a comment splitting a value (say an attachment's
  // base64) leaves the signature valid while a reader of the first text node would see less than
  // was signed. Before and after the root element they are always allowed (outside what is read
  // and signed). Operators' files (directory) and the signing tools keep them.
  bool allow_inner_comments = true;
};

class XmlDocument {
 public:
  static Result<XmlDocument> parse(std::string_view bytes, const XmlLimits& limits = {});

  xmlDoc* get() const { return doc_.get(); }
  xmlNode* root() const { return xmlDocGetRootElement(doc_.get()); }

 private:
  struct Free {
    void operator()(xmlDoc* d) const { xmlFreeDoc(d); }
  };
  explicit XmlDocument(xmlDoc* doc) : doc_(doc) {}
  std::unique_ptr<xmlDoc, Free> doc_;
};

// Helpers for walking a parsed tree (namespace-aware, prefix-agnostic).
namespace xml {
// The namespace URI of an element, or "" for none.
std::string_view ns(const xmlNode* node);
std::string_view name(const xmlNode* node);
bool is(const xmlNode* node, std::string_view ns_uri, std::string_view local_name);
// The first/next element child (skipping text, comments).
xmlNode* firstElement(const xmlNode* parent);
xmlNode* nextElement(const xmlNode* node);
// Concatenated text of the node's children (text and CDATA), trimmed of surrounding white space.
std::string text(const xmlNode* node);
// A view of the node's single text child, untouched; empty when there is none. Valid while the
// document lives. Used for large base64 payloads so they are not copied.
std::string_view rawText(const xmlNode* node);
int line(const xmlNode* node);
std::string attribute(const xmlNode* node, const char* attr_name);
// The element and its subtree as a self-contained XML fragment (namespaces declared on it).
std::string fragment(const xmlNode* node);
// Escapes text for element content or attribute values.
void appendEscaped(std::string& out, std::string_view text);
// True when the bytes are well-formed UTF-8; on failure sets the byte offset of the first bad byte.
bool isUtf8(std::string_view bytes, std::size_t* bad_offset = nullptr);
}  // namespace xml

}  // namespace lienthong::schemas
