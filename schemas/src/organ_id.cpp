#include "lienthong/schemas/organ_id.h"

#include <cctype>
#include <vector>

namespace lienthong::schemas {
namespace {

bool isDigit(char c) { return c >= '0' && c <= '9'; }
bool isUpper(char c) { return c >= 'A' && c <= 'Z'; }

std::vector<std::string_view> splitDots(std::string_view s) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == '.') {
      parts.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  return parts;
}

bool allZero(std::string_view g) {
  for (char c : g) {
    if (c != '0') return false;
  }
  return true;
}

std::unexpected<Error> bad(std::string_view text, std::string reason) {
  return fail(ErrorCode::BadOrganId, "organization code '" + std::string(text) + "': " + reason);
}

}  // namespace

std::string_view levelLabel(OrganLevel level) {
  switch (level) {
    case OrganLevel::Level1: return "province/ministry";
    case OrganLevel::Level2: return "district/department";
    case OrganLevel::Level3: return "commune/unit";
    case OrganLevel::Level4: return "sub-unit";
  }
  return "unit";
}

Result<OrganId> OrganId::parse(std::string_view text) {
  if (text.empty()) return bad(text, "empty");
  if (text.size() > 35) return bad(text, "longer than 35 characters");
  for (char c : text) {
    if (!isDigit(c) && !isUpper(c) && c != '.') {
      return bad(text, std::string("character '") + c + "' is not one of A-Z 0-9 '.'");
    }
  }
  const auto groups = splitDots(text);
  for (const auto& g : groups) {
    if (g.empty()) return bad(text, "empty group between dots");
  }

  // Legacy form: ddd.dd.dd.Ldd, all-digit groups to the left, a letter group at the right.
  if (isDigit(text.front())) {
    if (text.size() != 13 || groups.size() != 4 || groups[0].size() != 3 ||
        groups[1].size() != 2 || groups[2].size() != 2 || groups[3].size() != 3) {
      return bad(text, "legacy codes have the form ddd.dd.dd.Ldd (13 characters)");
    }
    for (int i = 0; i < 3; ++i) {
      for (char c : groups[i]) {
        if (!isDigit(c)) return bad(text, "the three left groups of a legacy code are digits");
      }
    }
    const auto l1 = groups[3];
    if (!isUpper(l1[0]) || !isDigit(l1[1]) || !isDigit(l1[2])) {
      return bad(text, "the level-1 group of a legacy code is a letter and two digits (H41)");
    }
    // Level: count non-zero groups from the right; a non-zero group may not sit left of a zero one.
    int level = 1;
    bool seen_zero = false;
    for (int i = 2; i >= 0; --i) {
      if (allZero(groups[i])) {
        seen_zero = true;
      } else {
        if (seen_zero) {
          return bad(text, "group " + std::to_string(3 - i + 1) +
                               " is set while a higher level is 0: the code has no parent");
        }
        ++level;
      }
    }
    return OrganId(std::string(text), Form::Legacy, level);
  }

  // Current form: level 1 at the left, one group per level.
  if (!isUpper(groups[0][0])) return bad(text, "the level-1 group starts with a letter (H55)");
  if (groups.size() > 4) {
    return bad(text, std::to_string(groups.size()) + " levels; at most 4 are defined");
  }
  return OrganId(std::string(text), Form::Current, static_cast<int>(groups.size()));
}

std::optional<OrganId> OrganId::parent() const {
  if (level_ <= 1) return std::nullopt;
  if (form_ == Form::Legacy) {
    // Zero the leftmost non-zero group: 000.12.31.H41 -> 000.00.31.H41.
    std::string p = text_;
    const std::size_t starts[3] = {0, 4, 7};
    const std::size_t lens[3] = {3, 2, 2};
    const int idx = 3 - (level_ - 1);  // group index holding this unit's own number
    for (std::size_t k = 0; k < lens[idx]; ++k) p[starts[idx] + k] = '0';
    return OrganId(std::move(p), form_, level_ - 1);
  }
  return OrganId(text_.substr(0, text_.rfind('.')), form_, level_ - 1);
}

bool OrganId::isWithin(const OrganId& other) const {
  if (form_ != other.form_ || level_ < other.level_) return false;
  std::optional<OrganId> cur = *this;
  while (cur && cur->level_ > other.level_) cur = cur->parent();
  return cur && cur->text_ == other.text_;
}

}  // namespace lienthong::schemas
