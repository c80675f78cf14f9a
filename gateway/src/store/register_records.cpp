// The register's records: directions, and the channel of a recipient and of a document.
#include "lienthong/gateway/store/register_store.h"

namespace lienthong::gateway {

std::string_view directionName(RegisterDirection d) {
  return d == RegisterDirection::Outgoing ? "out" : "in";
}

Result<RegisterDirection> parseDirection(std::string_view text) {
  if (text == "out" || text == "outgoing") return RegisterDirection::Outgoing;
  if (text == "in" || text == "incoming") return RegisterDirection::Incoming;
  return fail(ErrorCode::InvalidArgument,
              "direction '" + std::string(text) + "' is neither 'out' nor 'in'");
}

std::string_view issueChannelName(IssueChannel c) {
  switch (c) {
    case IssueChannel::ElectronicOnly: return "electronic";
    case IssueChannel::PaperOnly: return "paper";
    case IssueChannel::Both: return "both";
    case IssueChannel::NotIssued: return "not_issued";
  }
  return "not_issued";
}

namespace {

IssueChannel channelOf(bool electronic, bool paper) {
  if (electronic && paper) return IssueChannel::Both;
  if (electronic) return IssueChannel::ElectronicOnly;
  if (paper) return IssueChannel::PaperOnly;
  return IssueChannel::NotIssued;
}

}  // namespace

IssueChannel RegisterRecipient::channel() const { return channelOf(electronic, paper); }

IssueChannel EntryTally::channel() const { return channelOf(electronic, paper); }

IssueChannel RegisterEntry::channel() const {
  bool e = false, p = false;
  for (const auto& r : recipients) {
    e = e || r.electronic;
    p = p || r.paper;
  }
  return channelOf(e, p);
}

std::map<std::string, RegisterTally> tallyRegister(const std::vector<RegisterEntry>& outgoing,
                                                   const std::vector<RegisterEntry>& incoming) {
  std::map<std::string, RegisterTally> out;
  for (const auto& e : outgoing) {
    auto& t = out[e.unit];
    ++t.outgoing;
    switch (e.channel()) {
      case IssueChannel::ElectronicOnly: ++t.electronic_only; break;
      case IssueChannel::PaperOnly: ++t.paper_only; break;
      case IssueChannel::Both: ++t.both; break;
      case IssueChannel::NotIssued: ++t.not_issued; break;
    }
  }
  for (const auto& e : incoming) ++out[e.unit].incoming;
  return out;
}

std::string RegisterEntry::numberNotation() const {
  if (number.empty()) return notation;
  if (notation.empty()) return number;
  return number + "/" + notation;
}

}  // namespace lienthong::gateway
