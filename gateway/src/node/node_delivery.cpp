// Local delivery (a mailbox, or a unit's adapter), what a document's arrival or recall does
// there, and the statuses the node issues in its units' names.
#include "node_impl.h"

namespace lienthong::gateway {

using namespace node_parts;
namespace fs = std::filesystem;

// Issues a status as this node and submits it to its own intake, which routes it back.
Result<void> Node::Impl::issueStatus(const std::string& reporter, const std::string& doc_sender,
                         const std::string& doc_id, StatusCode code,
                         const std::string& description, std::int64_t at_ms) {
  StatusMessage s;
  s.from.organ_id = reporter;
  if (auto u = directory->current()->find(reporter)) s.from.organ_name = u->name;
  s.response_for.organ_id = doc_sender;
  s.response_for.document_id = doc_id;
  s.staff_info.department = "Lienthong node " + config.name;
  s.staff_info.staff = "system";
  s.status = code;
  s.description = description;
  s.timestamp = timestampVn(at_ms);
  auto bytes = signer->sign(s);
  if (!bytes) return std::unexpected(bytes.error());
  auto r = intake->submit(*bytes, Credential{Role::System, config.name, "internal"}, "",
                          MessageKind::Status);
  if (!r) {
    // A repeat of a status already issued (a redelivery after a crash) is not an error.
    if (r.error().error.code == ErrorCode::Conflict) return {};
    return std::unexpected(r.error().error);
  }
  log("status issued", doc_id, schemas::statusCodeText(code) + " from " + reporter);
  return {};
}

// A unit with an adapter gets the original bytes through it; then, as for a mailbox, the
// sender hears 01 for a document, and a status is recorded.
HandOver Node::Impl::deliverLocal(const Delivery& d, const StoredMessage& m) {
  auto adapter = adapters ? adapters->find(d.recipient) : nullptr;
  if (!adapter) return deliverMailbox(d, m);
  const adapters::Delivery out{d.id, d.recipient, m.sender, m.document_id,
                               m.kind == MessageKind::Status ? schemas::MessageKind::Status
                                                             : schemas::MessageKind::Document,
                               m.bytes};
  const auto r = adapter->deliver(out);
  const std::string how(adapter->kind());
  switch (r.kind) {
    case adapters::DeliveryResult::Kind::RetryLater:
      return {HandOver::Kind::Retry, how + ": " + r.error.describe()};
    case adapters::DeliveryResult::Kind::Permanent:
      return {HandOver::Kind::Permanent, how + ": " + r.error.describe()};
    case adapters::DeliveryResult::Kind::Delivered:
      break;
  }
  if (m.kind == MessageKind::Document) {
    if (auto s = issueStatus(d.recipient, m.sender, m.document_id, StatusCode::Arrived,
                             "Văn bản đã được chuyển tới hệ thống quản lý văn bản của đơn vị nhận",
                             d.created_ms);
        !s) {
      return {HandOver::Kind::Retry, "status 01: " + s.error().message};
    }
    log("delivered to " + how, m.document_id, d.recipient);
    return {};
  }
  auto st = StatusMessage::parse(m.bytes, nullptr);
  if (!st) return {HandOver::Kind::Permanent, st.error().message};
  StatusRecord rec{st->response_for.organ_id, st->response_for.document_id, st->from.organ_id,
                   static_cast<int>(st->status), st->description, st->timestamp, 0};
  if (auto s = store->recordStatus(rec, d.id, nowMs()); !s) {
    return {HandOver::Kind::Retry, s.error().message};
  }
  log("status delivered to " + how, rec.document_id,
      schemas::statusCodeText(st->status) + " from " + rec.reporter);
  return {};
}

HandOver Node::Impl::deliverMailbox(const Delivery& d, const StoredMessage& m) {
  if (m.kind == MessageKind::Document) {
    if (m.business_type != 0 && !m.target_document.empty()) {
      const DeliveryState state = m.business_type == 1   ? DeliveryState::Revoked
                                  : m.business_type == 2 ? DeliveryState::Updated
                                                         : DeliveryState::Replaced;
      // One target a line; a replacement acts at the recipients its ReplacementInfo names.
      std::optional<schemas::Package> pkg;
      if (m.business_type == 3) {
        if (auto p = schemas::Package::parse(m.bytes, nullptr)) pkg = std::move(*p);
      }
      std::istringstream targets(m.target_document);
      for (std::string target; std::getline(targets, target);) {
        const auto at = pkg ? pkg->replacedAt(target) : std::vector<std::string>{};
        const bool here = at.empty() || std::any_of(at.begin(), at.end(), [&](const std::string& o) {
                            return routing->sameUnit(o, d.recipient);
                          });
        if (!here) continue;
        if (auto r = store->setMailboxState(m.sender, target, d.recipient, state); !r) {
          return {HandOver::Kind::Retry, "marking " + target + " " + std::string(deliveryStateName(state)) + ": " +
                                             r.error().message};
        }
      }
    }
    if (auto r = issueStatus(d.recipient, m.sender, m.document_id, StatusCode::Arrived,
                             "Văn bản đã đến hộp thư của đơn vị nhận", d.created_ms);
        !r) {
      return {HandOver::Kind::Retry, "status 01: " + r.error().message};
    }
    log("delivered to mailbox", m.document_id, d.recipient);
    return {};
  }
  auto st = StatusMessage::parse(m.bytes, nullptr);
  if (!st) return {HandOver::Kind::Permanent, st.error().message};
  StatusRecord rec{st->response_for.organ_id, st->response_for.document_id, st->from.organ_id,
                   static_cast<int>(st->status), st->description, st->timestamp, 0};
  if (st->status == StatusCode::RecallRequested) {
    // The recipient's home answers a recall: agreed while the document waits unacknowledged
    // in the mailbox (it is withdrawn), refused once the office has taken it.
    auto entries = store->mailbox(d.recipient, {});
    if (!entries) return {HandOver::Kind::Retry, entries.error().message};
    bool waiting = false, taken = false;
    for (const auto& e : *entries) {
      if (e.sender != rec.document_sender || e.document_id != rec.document_id) continue;
      if (e.delivery.state == DeliveryState::Delivered) waiting = true;
      if (e.delivery.state == DeliveryState::Acknowledged || e.delivery.state == DeliveryState::Processing) taken = true;
    }
    const bool agree = waiting || !taken;
    if (agree) {
      if (auto r = store->setMailboxState(rec.document_sender, rec.document_id, d.recipient, DeliveryState::Recalled);
          !r) {
        return {HandOver::Kind::Retry, "withdrawing the recalled document: " + r.error().message};
      }
    }
    if (auto r = issueStatus(d.recipient, rec.document_sender, rec.document_id,
                             agree ? StatusCode::RecallAgreed : StatusCode::RecallRefused,
                             agree ? "Đồng ý thu hồi văn bản" : "Văn bản đã được tiếp nhận, không thu hồi tự động",
                             d.created_ms);
        !r) {
      return {HandOver::Kind::Retry, r.error().message};
    }
  }
  if (auto r = store->recordStatus(rec, d.id, nowMs()); !r) {
    return {HandOver::Kind::Retry, r.error().message};
  }
  log("status recorded", rec.document_id,
      schemas::statusCodeText(st->status) + " from " + rec.reporter);
  return {};
}

void Node::Impl::deliveryFailed(const Delivery& d, const StoredMessage& m, const std::string& reason) {
  log("delivery failed", m.document_id, d.recipient + ": " + reason);
  if (m.kind != MessageKind::Document) return;
  if (auto r = issueStatus(d.recipient, m.sender, m.document_id, StatusCode::Rejected,
                           "Không chuyển được văn bản tới " + d.recipient + " (node " + config.name +
                               "): " + reason.substr(0, 400) + " / Could not deliver to " + d.recipient,
                           nowMs());
      !r) {
    // The delivery is failed in the store either way; the sender's office learns it from
    // `lienthong documents` or the status history when the notice itself cannot be stored.
    log("failure notice not sent / không gửi được thông báo lỗi", m.document_id,
        m.sender + ": " + r.error().message);
  }
}

}  // namespace lienthong::gateway
