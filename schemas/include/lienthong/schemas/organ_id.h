// An organization identifier (mã định danh), in one of three families:
//  - legacy QCVN 102:2016: 13 characters "ddd.dd.dd.Ldd", level 1 at the RIGHT (000.00.00.H41 is a
//    provincial People's Committee; 000.00.31.H41 a unit at level 2 under it);
//  - current Decision 20/2020/QĐ-TTg: up to 35 characters from A-Z 0-9 '.', dot-separated groups,
//    level 1 at the LEFT (H55 is level 1, H55.242 level 2 under it);
//  - other: whatever real producers and axes also send (enterprise ids "02" + tax code such as
//    020100107370, codes like 28.22.H17, an axis's system id such as vxp.saas.03). No hierarchy
//    is derived from them (level 1, no parent); note() says why the code fits neither form.
// Syntax refuses only what is unsafe to carry: an empty code, control characters, white space, or
// more than 100 bytes. Whether a code can be routed is the directory's answer. Codes compare
// case-insensitively (ASCII): key() is the upper-case form used for look-ups. Value type.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "lienthong/schemas/error.h"

namespace lienthong::schemas {

enum class OrganLevel {
  Level1 = 1,  // province, ministry, central body
  Level2 = 2,  // district, provincial department
  Level3 = 3,  // commune, unit under a district
  Level4 = 4,  // below
};

// "tỉnh/bộ" style label in English for display: "province/ministry", "district/department", ...
std::string_view levelLabel(OrganLevel level);

// The ASCII upper-case form of a code, for case-insensitive comparison and look-up.
std::string organKey(std::string_view code);

class OrganId {
 public:
  enum class Form { Legacy, Current, Other };
  static constexpr std::size_t kMaxBytes = 100;

  static Result<OrganId> parse(std::string_view text);

  const std::string& str() const { return text_; }
  // The comparison key: ASCII upper case ("vxp.saas.03" and "VXP.SAAS.03" are one unit).
  const std::string& key() const { return key_; }
  Form form() const { return form_; }
  // For Form::Other: why the code fits neither government form ("" otherwise).
  const std::string& note() const { return note_; }
  // Level of the unit: 1 at the top.
  int level() const { return level_; }
  // The unit one level up, or nothing at level 1.
  std::optional<OrganId> parent() const;
  // True when this unit is `other` or lies below it (same form only).
  bool isWithin(const OrganId& other) const;

  friend bool operator==(const OrganId& a, const OrganId& b) { return a.key_ == b.key_; }
  friend auto operator<=>(const OrganId& a, const OrganId& b) { return a.key_ <=> b.key_; }

 private:
  OrganId(std::string text, Form form, int level);
  std::string text_;
  std::string key_;
  std::string note_;
  Form form_ = Form::Current;
  int level_ = 1;
};

// "legacy", "Decision 20/2020", "other".
std::string_view formName(OrganId::Form form);

}  // namespace lienthong::schemas
