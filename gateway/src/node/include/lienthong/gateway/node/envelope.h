// The signature seam of the gateway. Intake checks an incoming envelope through an
// EnvelopeChecker; the node signs the status messages it issues through a MessageSigner. The
// XMLDSig implementations over lienthong::signing are in signature.h; the policy wrapper here
// decides what happens to unsigned messages. Implementations are thread-safe.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "lienthong/schemas/edxml.h"

namespace lienthong::gateway {

// What intake knows of the message when it checks the signature.
struct EnvelopeContext {
  std::string from;        // From/OrganId of the package or status
  bool is_status = false;  // a status message (may be signed by the node hosting `from`)
  // When given, a checker that lets a message pass without a verified signature (the policy
  // allows unsigned messages) says why here; intake keeps it as a warning with the message.
  std::vector<std::string>* warnings = nullptr;
};

class EnvelopeChecker {
 public:
  virtual ~EnvelopeChecker() = default;
  // Checks the enveloped signature and the signer's certificate of `bytes` (a package or a
  // status). On refusal: SignatureInvalid or CertificateInvalid, and `report_json` receives the
  // validation report as a JSON object ({"report": {...}}).
  virtual Result<void> check(std::string_view bytes, bool is_signed, const EnvelopeContext& ctx,
                             std::string& report_json) const = 0;
};

class MessageSigner {
 public:
  virtual ~MessageSigner() = default;
  // The status message as signed edXML bytes.
  virtual Result<std::string> sign(const schemas::StatusMessage& status) const = 0;
};

// Unsigned messages pass only when `allow_unsigned`; signed ones go to `verifier`, and are
// refused when there is none. With `allow_unsigned`, a signature that does not verify (the
// vendor SDK's samples carry a truncated placeholder certificate) does not make the message worse
// than an unsigned one: it passes as unverified, with a warning naming the verifier's reason.
std::unique_ptr<EnvelopeChecker> makePolicyChecker(bool allow_unsigned,
                                                   std::shared_ptr<const EnvelopeChecker> verifier);
// Serializes without a signature: for nodes whose policy accepts unsigned statuses.
std::unique_ptr<MessageSigner> makeUnsignedSigner();

}  // namespace lienthong::gateway
