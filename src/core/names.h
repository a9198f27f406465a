// Messages for a name that is not one of a known set ("unknown model 'szm' (did you mean 'szn'?);
// known: menet, szn"), and a small registry of named entries that uses them.
//
// Contract: did_you_mean() is "" or " (did you mean 'x'?)"; join_names() joins with ", ";
// unknown_name_message() is the whole sentence, with no trailing period; the caller prefixes the
// position (file:line:col) or the owner when it has one.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include "core/error.h"

namespace sodlab {

// s with ASCII letters in lower case (file extensions and names compared case-insensitively).
std::string ascii_lower(std::string s);

std::string join_names(const std::vector<std::string>& names, const std::string& sep = ", ");
// " (did you mean 'x'?)" for the closest candidate, or "" when none is reasonably close.
std::string did_you_mean(const std::string& name, const std::vector<std::string>& candidates);
// "unknown <kind> '<name>' (did you mean '…'?); known <plural>: a, b, c" (`plural` defaults to
// kind + "s"; `tail`, if given, is appended, e.g. ", or a path to a folder").
std::string unknown_name_message(const std::string& kind, const std::string& name,
                                 const std::vector<std::string>& known,
                                 const std::string& plural = "", const std::string& tail = "");

// An ordered table of entries, each with a `name` member, looked up by name. The registries of
// models, losses, datasets, augmentations and metric families are instances: one table each,
// defined in one file each, and no other file keeps a list of their names.
template <typename Entry>
class NameRegistry {
 public:
  NameRegistry(std::string kind, std::vector<Entry> entries)
      : kind_(std::move(kind)), entries_(std::move(entries)) {}
  const std::vector<Entry>& entries() const { return entries_; }
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto& e : entries_) out.push_back(e.name);
    return out;
  }
  const Entry* find(const std::string& name) const {
    for (const auto& e : entries_)
      if (e.name == name) return &e;
    return nullptr;
  }
  // The entry, or InputError "unknown <kind> '<name>' (did you mean …); known …".
  const Entry& at(const std::string& name) const {
    if (const Entry* e = find(name)) return *e;
    throw InputError(unknown_name_message(kind_, name, names()));
  }
  const std::string& kind() const { return kind_; }

 private:
  std::string kind_;
  std::vector<Entry> entries_;
};

}  // namespace sodlab
