#include "lienthong/gateway/node/envelope.h"

namespace lienthong::gateway {

namespace {

class PolicyChecker final : public EnvelopeChecker {
 public:
  PolicyChecker(bool allow_unsigned, std::shared_ptr<const EnvelopeChecker> verifier)
      : allow_unsigned_(allow_unsigned), verifier_(std::move(verifier)) {}

  Result<void> check(std::string_view bytes, bool is_signed, const EnvelopeContext& ctx,
                     std::string& report_json) const override {
    if (!is_signed) {
      if (allow_unsigned_) return {};
      report_json = R"({"report":{"signed":false,"verdict":"invalid","reason":"no Signature element"}})";
      return fail(ErrorCode::SignatureInvalid,
                  "the message carries no signature and this node's policy requires one",
                  0, "Signature");
    }
    if (!verifier_) {
      if (allow_unsigned_) {
        if (ctx.warnings) {
          ctx.warnings->push_back("the signature was not verified: this node has no trust store; "
                                  "accepted as unsigned (policy.allow_unsigned)");
        }
        return {};
      }
      report_json = R"({"report":{"signed":true,"verdict":"unknown","reason":"no verifier configured"}})";
      return fail(ErrorCode::SignatureInvalid,
                  "the message is signed but this node has no trust store to verify it with");
    }
    auto r = verifier_->check(bytes, is_signed, ctx, report_json);
    if (!r && allow_unsigned_ &&
        (r.error().code == ErrorCode::SignatureInvalid || r.error().code == ErrorCode::CertificateInvalid)) {
      if (ctx.warnings) {
        ctx.warnings->push_back("the signature does not verify (" + r.error().message +
                                "): accepted as unsigned (policy.allow_unsigned)");
      }
      report_json.clear();
      return {};
    }
    return r;
  }

 private:
  bool allow_unsigned_;
  std::shared_ptr<const EnvelopeChecker> verifier_;
};

class UnsignedSigner final : public MessageSigner {
 public:
  Result<std::string> sign(const schemas::StatusMessage& status) const override {
    if (auto r = status.check(); !r) return std::unexpected(r.error());
    return status.serialize(false);
  }
};

}  // namespace

std::unique_ptr<EnvelopeChecker> makePolicyChecker(
    bool allow_unsigned, std::shared_ptr<const EnvelopeChecker> verifier) {
  return std::make_unique<PolicyChecker>(allow_unsigned, std::move(verifier));
}

std::unique_ptr<MessageSigner> makeUnsignedSigner() { return std::make_unique<UnsignedSigner>(); }

}  // namespace lienthong::gateway
