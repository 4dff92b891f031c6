#include "impl/api/kind.h"

#include <cctype>

namespace ipcspec {

bool IsValidKindName(const std::string& name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

}  // namespace ipcspec
