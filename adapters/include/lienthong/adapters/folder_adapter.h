// A folder pair for a DMS without an API. Under the unit's `path`:
//   in/          the DMS drops packages and status messages as `*.edxml`. A file is taken only when
//                complete: the DMS writes it under another name (`x.edxml.part`, `.x.edxml`) and
//                renames it to `x.edxml` (rename-based hand-off); as a second guard a `.edxml`
//                file is left alone until it has not changed for `quiet_ms`.
//   processing/  where poll() moves a file it takes (an atomic rename that never replaces), so an
//                in/ file is returned at most once, even with two adapters on the same folder.
//   out/         what the node delivers: `<delivery id>-<document|status>-<DocumentId>.edxml`,
//                written as a hidden temp file, synced, then renamed; a redelivery rewrites the
//                same name, so the DMS recognises it by the delivery id.
//   rejected/    files refused, each with `<name>.error.json` saying why ({"error", "message",
//                "line", "element", "file", "stage", "rejected_at"}).
// poll() refuses by itself what is not well-formed edXML passing the schema (stage "check": moved
// to rejected/ at once, never returned); everything else is returned and waits in processing/ for
// settle(): accepted -> deleted, refused -> rejected/ with the gateway's reason (stage "gateway").
// Files left in processing/ by an earlier instance (a crash between poll and settle) are returned
// once by the first poll() of a new instance; the gateway dedupes them on DocumentId.
// Thread-safe.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "lienthong/adapters/adapter.h"
#include "lienthong/schemas/schema_set.h"

namespace lienthong::adapters {

struct FolderSettings {
  std::string path;                 // an existing folder; in/ out/ rejected/ processing/ are made
  int quiet_ms = 2000;              // a .edxml file younger than this is left for the next poll
  std::size_t max_bytes = 100u << 20;  // a bigger file is refused (too_large)
};

class FolderAdapter final : public Adapter {
 public:
  // Config when `path` is not an existing folder; Io when the sub-folders cannot be made.
  static Result<std::unique_ptr<FolderAdapter>> create(
      FolderSettings settings, std::shared_ptr<const schemas::SchemaSet> schemas,
      Clock clock = systemClock());

  std::string_view kind() const override { return "folder"; }
  DeliveryResult deliver(const Delivery& delivery) override;
  Result<std::vector<Inbound>> poll(std::size_t max_items) override;
  Result<void> settle(const std::string& ref, const Verdict& verdict) override;

  // The file name deliver() writes in out/ for this delivery.
  static std::string outName(const Delivery& delivery);

  struct Impl;
  ~FolderAdapter() override;

 private:
  explicit FolderAdapter(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace lienthong::adapters
