// An organization identifier (mã định danh). Two forms exist:
//  - legacy QCVN 102:2016: 13 characters "ddd.dd.dd.Ldd", level 1 at the RIGHT (000.00.00.H41 is a
//    provincial People's Committee; 000.00.31.H41 a unit at level 2 under it);
//  - current Decision 20/2020/QĐ-TTg: up to 35 characters from A-Z 0-9 '.', dot-separated groups,
//    level 1 at the LEFT (H55 is level 1, H55.242 level 2 under it).
// Value type.
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

class OrganId {
 public:
  enum class Form { Legacy, Current };

  static Result<OrganId> parse(std::string_view text);

  const std::string& str() const { return text_; }
  Form form() const { return form_; }
  // Level of the unit: 1 at the top.
  int level() const { return level_; }
  // The unit one level up, or nothing at level 1.
  std::optional<OrganId> parent() const;
  // True when this unit is `other` or lies below it (same form only).
  bool isWithin(const OrganId& other) const;

  friend bool operator==(const OrganId& a, const OrganId& b) { return a.text_ == b.text_; }
  friend auto operator<=>(const OrganId& a, const OrganId& b) { return a.text_ <=> b.text_; }

 private:
  OrganId(std::string text, Form form, int level) : text_(std::move(text)), form_(form), level_(level) {}
  std::string text_;
  Form form_ = Form::Current;
  int level_ = 1;
};

}  // namespace lienthong::schemas
