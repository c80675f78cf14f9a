// The project's compiled XSDs, loaded once per test executable.
#pragma once

#include <catch2/catch.hpp>

#include "lienthong/schemas/schema_set.h"

namespace lienthong::testing {

inline const schemas::SchemaSet& schemaSet() {
  static const auto set = [] {
    auto s = schemas::SchemaSet::load();
    REQUIRE(s);
    return *s;
  }();
  return *set;
}

}  // namespace lienthong::testing
