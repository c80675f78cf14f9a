#include <catch2/catch.hpp>

#include "lienthong/schemas/organ_id.h"

using namespace lienthong;
using namespace lienthong::schemas;

TEST_CASE("legacy codes give level and parent with level 1 at the right") {
  auto province = OrganId::parse("000.00.00.H41");
  REQUIRE(province);
  CHECK(province->form() == OrganId::Form::Legacy);
  CHECK(province->level() == 1);
  CHECK_FALSE(province->parent());

  auto district = OrganId::parse("000.00.31.H41");
  REQUIRE(district);
  CHECK(district->level() == 2);
  CHECK(district->parent()->str() == "000.00.00.H41");

  auto commune = OrganId::parse("000.12.31.H41");
  REQUIRE(commune);
  CHECK(commune->level() == 3);
  CHECK(commune->parent()->str() == "000.00.31.H41");
  CHECK(commune->isWithin(*province));
  CHECK(commune->isWithin(*district));
  CHECK_FALSE(district->isWithin(*commune));

  auto below = OrganId::parse("007.12.31.H41");
  REQUIRE(below);
  CHECK(below->level() == 4);
  CHECK(below->parent()->str() == "000.12.31.H41");
}

TEST_CASE("current codes give level and parent with level 1 at the left") {
  auto g = OrganId::parse("G22");
  REQUIRE(g);
  CHECK(g->form() == OrganId::Form::Current);
  CHECK(g->level() == 1);
  auto d = OrganId::parse("H55.242");
  REQUIRE(d);
  CHECK(d->level() == 2);
  CHECK(d->parent()->str() == "H55");
  auto c = OrganId::parse("H55.242.07");
  REQUIRE(c);
  CHECK(c->level() == 3);
  CHECK(c->parent()->str() == "H55.242");
  CHECK(c->isWithin(*d));
  CHECK_FALSE(c->isWithin(*OrganId::parse("H55.243")));
}

TEST_CASE("malformed codes are refused with the reason") {
  struct Case {
    const char* code;
    const char* reason;
  };
  const Case cases[] = {
      {"", "empty"},
      {"000.00.00.h41", "character 'h'"},
      {"000.0.00.H41", "ddd.dd.dd.Ldd"},
      {"000.00.00.441", "letter and two digits"},
      {"000.12.00.H41", "no parent"},
      {"H55..242", "empty group"},
      {"H55.242.1.2.3", "at most 4"},
      {"H55-242", "character '-'"},
      {"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789X", "longer than 35"},
  };
  for (const auto& c : cases) {
    INFO(c.code);
    auto r = OrganId::parse(c.code);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ErrorCode::BadOrganId);
    CHECK(r.error().message.find(c.reason) != std::string::npos);
  }
}
