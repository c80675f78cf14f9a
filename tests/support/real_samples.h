// The real edXML packages in ../shared/real/ (the vendor SDK's examples), read from beside the
// worktree. Every test that uses them lists the folder, so a file added there is tested too.
#pragma once

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace lienthong::testing {

inline std::filesystem::path realDir() {
  return std::filesystem::path(LIENTHONG_SOURCE_DIR) / ".." / "shared" / "real";
}

inline std::string readReal(const std::string& name) {
  std::ifstream in(realDir() / name, std::ios::binary);
  REQUIRE(in);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Every *.edxml file in the folder, sorted by name.
inline std::vector<std::string> realFiles() {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(realDir())) {
    if (e.path().extension() == ".edxml") out.push_back(e.path().filename().string());
  }
  std::sort(out.begin(), out.end());
  REQUIRE(out.size() >= 14);
  return out;
}

}  // namespace lienthong::testing
