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

std::string organKey(std::string_view code) {
  std::string k(code);
  for (char& c : k) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return k;
}

std::string_view formName(OrganId::Form form) {
  switch (form) {
    case OrganId::Form::Legacy: return "legacy";
    case OrganId::Form::Current: return "Decision 20/2020";
    case OrganId::Form::Other: return "other";
  }
  return "other";
}

OrganId::OrganId(std::string text, Form form, int level)
    : text_(std::move(text)), key_(organKey(text_)), form_(form), level_(level) {}

namespace {

// Why `key` (upper case, safe characters) is not a legacy code, or "" when it is one; sets level.
std::string legacyProblem(std::string_view key, int& level) {
  const auto groups = splitDots(key);
  if (key.size() != 13 || groups.size() != 4 || groups[0].size() != 3 || groups[1].size() != 2 ||
      groups[2].size() != 2 || groups[3].size() != 3) {
    return "legacy codes have the form ddd.dd.dd.Ldd (13 characters)";
  }
  for (int i = 0; i < 3; ++i) {
    for (char c : groups[i]) {
      if (!isDigit(c)) return "the three left groups of a legacy code are digits";
    }
  }
  const auto l1 = groups[3];
  if (!isUpper(l1[0]) || !isDigit(l1[1]) || !isDigit(l1[2])) {
    return "the level-1 group of a legacy code is a letter and two digits (H41)";
  }
  // Level: count non-zero groups from the right; a non-zero group may not sit left of a zero one.
  level = 1;
  bool seen_zero = false;
  for (int i = 2; i >= 0; --i) {
    if (allZero(groups[i])) {
      seen_zero = true;
    } else {
      if (seen_zero) {
        return "group " + std::to_string(3 - i + 1) +
               " is set while a higher level is 0: the code has no parent";
      }
      ++level;
    }
  }
  return {};
}

// Why `key` is not a Decision 20/2020 code, or "" when it is one; sets level.
std::string currentProblem(std::string_view key, int& level) {
  if (key.size() > 35) return "Decision 20/2020 codes have at most 35 characters";
  for (char c : key) {
    if (!isDigit(c) && !isUpper(c) && c != '.') {
      return std::string("character '") + c + "' is not one of A-Z 0-9 '.'";
    }
  }
  const auto groups = splitDots(key);
  for (const auto& g : groups) {
    if (g.empty()) return "empty group between dots";
  }
  if (!isUpper(groups[0][0])) return "the level-1 group starts with a letter (H55)";
  if (groups.size() > 4) return std::to_string(groups.size()) + " levels; at most 4 are defined";
  level = static_cast<int>(groups.size());
  return {};
}

}  // namespace

Result<OrganId> OrganId::parse(std::string_view text) {
  if (text.empty()) return bad(text, "empty");
  if (text.size() > kMaxBytes) {
    return bad(text.substr(0, 40), "longer than " + std::to_string(kMaxBytes) + " bytes");
  }
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7F) return bad("", "a control character at byte " + std::to_string(i + 1));
    if (c == ' ') return bad(text, "white space at byte " + std::to_string(i + 1));
    // U+0080-U+009F (C1 controls), U+00A0 (no-break space), U+FEFF, U+2000-U+200F, U+2028/9,
    // U+3000: invisible or white space in UTF-8.
    if (c == 0xC2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) <= 0xA0) {
      return bad("", "an invisible or control character at byte " + std::to_string(i + 1));
    }
    if ((c == 0xE2 && i + 2 < text.size() && static_cast<unsigned char>(text[i + 1]) == 0x80 &&
         (static_cast<unsigned char>(text[i + 2]) <= 0x8F ||
          static_cast<unsigned char>(text[i + 2]) == 0xA8 ||
          static_cast<unsigned char>(text[i + 2]) == 0xA9)) ||
        (c == 0xE3 && text.substr(i, 3) == "\xE3\x80\x80") || (c == 0xEF && text.substr(i, 3) == "\xEF\xBB\xBF")) {
      return bad(text, "white space or an invisible character at byte " + std::to_string(i + 1));
    }
  }
  const std::string key = organKey(text);
  int level = 1;
  // The government forms are written in upper case; a code in lower case is compared by its
  // upper-case key but is not one of them.
  if (key != text) {
    OrganId other(std::string(text), Form::Other, 1);
    other.note_ = "lower-case letters: the government forms are written in upper case";
    return other;
  }
  if (isDigit(key.front())) {
    std::string why = legacyProblem(key, level);
    if (why.empty()) return OrganId(std::string(text), Form::Legacy, level);
    OrganId other(std::string(text), Form::Other, 1);
    other.note_ = std::move(why);
    return other;
  }
  std::string why = currentProblem(key, level);
  if (why.empty()) return OrganId(std::string(text), Form::Current, level);
  OrganId other(std::string(text), Form::Other, 1);
  other.note_ = std::move(why);
  return other;
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
  if (form_ == Form::Other || other.form_ == Form::Other) return key_ == other.key_;
  if (form_ != other.form_ || level_ < other.level_) return false;
  std::optional<OrganId> cur = *this;
  while (cur && cur->level_ > other.level_) cur = cur->parent();
  return cur && cur->key_ == other.key_;
}

}  // namespace lienthong::schemas
