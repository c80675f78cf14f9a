// Builds the adapter for a unit from its directory entry (channel + settings), checking every
// setting first and naming exactly the one that is missing or bad. Cheap: no connection is made
// and no file is read except secret_file, so the gateway can rebuild adapters whenever the
// directory changes. Thread-safe.
//
// Settings per channel (names are case-sensitive; any other name is refused as a likely typo):
//   webhook: url (required, http(s)://...; plain http only to loopback unless allow_http=true),
//            secret or secret_file (exactly one; at least 16 characters; a file's trailing
//            newline is dropped), timeout_ms (default 10000, 100..600000), ca_file (https CA
//            bundle), allow_http (true|false)
//   folder:  path (required, an existing folder; in/ out/ rejected/ processing/ are created),
//            quiet_ms (default 2000, 0..3600000), max_bytes (default 104857600)
//   axis:    url (required, the axis base URL), client_id (required), secret or secret_file,
//            organ_id (the unit this node receives for; default client_id), timeout_ms, ca_file,
//            allow_http, max_bytes
// Mailbox and paper units have no adapter: makeAdapter refuses them with InvalidArgument.
#pragma once

#include <memory>

#include "lienthong/adapters/adapter.h"
#include "lienthong/schemas/directory.h"
#include "lienthong/schemas/schema_set.h"

namespace lienthong::adapters {

struct AdapterContext {
  std::shared_ptr<const schemas::SchemaSet> schemas;  // required: poll() checks what it takes
  Clock clock = systemClock();
};

// Config "unit <code> (<channel>): setting '<name>' ..." for a missing or bad setting.
Result<std::unique_ptr<Adapter>> makeAdapter(const schemas::Unit& unit,
                                             const AdapterContext& context);

}  // namespace lienthong::adapters
