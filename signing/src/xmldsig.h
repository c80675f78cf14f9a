// Pieces shared by XmlSigner and XmlVerifier: canonicalization straight into a digest or a
// string, the edXMLHeader lookup, and ECDSA signature format conversion. Private to signing/src.
#pragma once

#include <libxml/tree.h>
#include <openssl/evp.h>

#include <string>
#include <string_view>

#include "lienthong/schemas/error.h"
#include "lienthong/signing/algorithms.h"

namespace lienthong::signing::xmldsig {

// The C14N (without comments) of the whole document minus `excluded` (the enveloped-signature
// transform), hashed with `md`. The excluded node is unlinked for the duration and put back.
Result<std::string> digestDocument(xmlDoc* doc, xmlNode* excluded, Canonicalization c14n,
                                   const EVP_MD* md);
// The C14N of the subtree rooted at `element`, in the context of its document.
Result<std::string> canonicalizeSubtree(xmlDoc* doc, xmlNode* element, Canonicalization c14n);

// edXML/edXMLEnvelope/edXMLHeader, or nullptr when the document does not have that shape.
xmlNode* findHeader(xmlNode* root);

// XMLDSig ECDSA values are r||s, each the size of the field; OpenSSL uses DER.
Result<std::string> ecdsaDerToRaw(std::string_view der, int field_bytes);
Result<std::string> ecdsaRawToDer(std::string_view raw);
int ecFieldBytes(const EVP_PKEY* key);

}  // namespace lienthong::signing::xmldsig
