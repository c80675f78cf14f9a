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

// Issue 14 changed this test: codes of neither government form are the "other" family (with the
// reason as a note); only unsafe codes are refused.
TEST_CASE("codes of neither form are the other family, with the reason") {
  struct Case {
    const char* code;
    const char* reason;
  };
  const Case cases[] = {
      {"000.0.00.H41", "ddd.dd.dd.Ldd"},
      {"000.00.00.441", "letter and two digits"},
      {"000.12.00.H41", "no parent"},
      {"H55..242", "empty group"},
      {"H55.242.1.2.3", "at most 4"},
      {"H55-242", "character '-'"},
      {"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789X", "at most 35"},
      {"020100107370", "ddd.dd.dd.Ldd"},
      {"28.22.H17", "ddd.dd.dd.Ldd"},
      {"vxp.saas.03", "lower-case"},
      {"000.00.00.h41", "lower-case"},
  };
  for (const auto& c : cases) {
    INFO(c.code);
    auto r = OrganId::parse(c.code);
    REQUIRE(r);
    CHECK(r->form() == OrganId::Form::Other);
    CHECK(r->level() == 1);
    CHECK_FALSE(r->parent());
    CHECK(r->note().find(c.reason) != std::string::npos);
  }
  auto g12 = OrganId::parse("G12");
  REQUIRE(g12);
  CHECK(g12->form() == OrganId::Form::Current);
}

TEST_CASE("codes compare case-insensitively in every family") {
  CHECK(*OrganId::parse("vxp.saas.03") == *OrganId::parse("VXP.SAAS.03"));
  CHECK(OrganId::parse("vxp.saas.03")->key() == "VXP.SAAS.03");
  CHECK(OrganId::parse("vxp.saas.03")->str() == "vxp.saas.03");
  auto lower = OrganId::parse("000.00.00.h41");
  REQUIRE(lower);
  CHECK(*lower == *OrganId::parse("000.00.00.H41"));
  CHECK(OrganId::parse("G12")->isWithin(*OrganId::parse("g12")));
  CHECK(OrganId::parse("g12")->isWithin(*OrganId::parse("G12")));
  CHECK_FALSE(OrganId::parse("28.22.H17")->isWithin(*OrganId::parse("H17")));
}

TEST_CASE("only unsafe codes are refused, with the reason") {
  struct Case {
    std::string code;
    const char* reason;
  };
  const Case cases[] = {
      {"", "empty"},
      {"000.00.00.H41 ", "white space"},
      {"H55\t242", "control character"},
      {std::string("H55\x00", 4), "control character"},
      {"H55\x7F", "control character"},
      {"H55\xC2\xA0" "242", "invisible"},
      {"H55\xE2\x80\x8B" "242", "invisible"},
      {std::string(101, 'A'), "longer than 100"},
  };
  for (const auto& c : cases) {
    INFO(c.code);
    auto r = OrganId::parse(c.code);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ErrorCode::BadOrganId);
    CHECK(r.error().message.find(c.reason) != std::string::npos);
  }
  CHECK(OrganId::parse(std::string(100, 'A')));
}
