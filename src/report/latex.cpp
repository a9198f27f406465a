#include "report/latex.h"

#include <cctype>
#include <utility>
#include <vector>

namespace sodlab::report {
namespace {

// Unicode symbols of labels → (in math mode, in text mode).
const std::vector<std::pair<std::string, std::pair<std::string, std::string>>> kSymbols{
    {"β", {"\\beta", "$\\beta$"}},   {"σ", {"\\sigma", "$\\sigma$"}}, {"θ", {"\\theta", "$\\theta$"}},
    {"φ", {"\\phi", "$\\phi$"}},     {"²", {"^2", "$^2$"}},          {"±", {"\\pm", "$\\pm$"}},
    {"×", {"\\times", "$\\times$"}}, {"→", {"\\to", "$\\to$"}},     {"≤", {"\\leq", "$\\leq$"}},
    {"≥", {"\\geq", "$\\geq$"}},     {"–", {"--", "--"}}};

// The symbol at s[i], if any: its length and replacements.
const std::pair<std::string, std::pair<std::string, std::string>>* symbol_at(const std::string& s, std::size_t i) {
  for (const auto& entry : kSymbols)
    if (s.compare(i, entry.first.size(), entry.first) == 0) return &entry;
  return nullptr;
}

bool math_word(const std::string& w) {
  if (w.empty() || !std::isalpha(static_cast<unsigned char>(w[0]))) return false;
  bool scripted = false;
  for (std::size_t i = 0; i < w.size();) {
    const char c = w[i];
    if (c == '_' || c == '^') {
      scripted = true;
      ++i;
      if (i >= w.size()) return false;
      if (w[i] == '{') {
        const std::size_t close = w.find('}', i);
        if (close == std::string::npos) return false;
        for (std::size_t k = i + 1; k < close; ++k)
          if (!std::isalnum(static_cast<unsigned char>(w[k])) && w[k] != '.' && w[k] != ',') return false;
        i = close + 1;
      } else if (const auto* sym = symbol_at(w, i)) {
        i += sym->first.size();
      } else if (std::isalnum(static_cast<unsigned char>(w[i]))) {
        ++i;
      } else {
        return false;
      }
      if (i < w.size() && w[i] != '_' && w[i] != '^') return false;  // one character only
      continue;
    }
    if (const auto* sym = symbol_at(w, i)) {
      i += sym->first.size();
    } else if (std::isalnum(static_cast<unsigned char>(c))) {
      ++i;
    } else {
      return false;
    }
  }
  return scripted;
}

std::string text_word(const std::string& w) {
  std::string out;
  for (std::size_t i = 0; i < w.size();) {
    if (const auto* sym = symbol_at(w, i)) {
      out += sym->second.second;
      i += sym->first.size();
      continue;
    }
    const char c = w[i++];
    switch (c) {
      case '_': case '%': case '&': case '#': case '$': case '{': case '}':
        out += '\\';
        out += c;
        break;
      case '^': out += "\\^{}"; break;
      case '~': out += "\\~{}"; break;
      case '\\': out += "\\textbackslash{}"; break;
      case '|': out += "\\textbar{}"; break;
      case '<': out += "\\textless{}"; break;
      case '>': out += "\\textgreater{}"; break;
      default: out += c;
    }
  }
  return out;
}

std::string math_of(const std::string& w) {
  std::string out = "$";
  for (std::size_t i = 0; i < w.size();) {
    if (const auto* sym = symbol_at(w, i)) {
      out += sym->second.first;
      i += sym->first.size();
      // A command word must not run into a following letter (\beta w, not \betaw).
      if (i < w.size() && std::isalpha(static_cast<unsigned char>(w[i])) && sym->second.first[0] == '\\') out += ' ';
    } else {
      out += w[i++];
    }
  }
  return out + "$";
}

}  // namespace

std::string latex_text(const std::string& text) {
  std::string out, word;
  auto flush = [&] {
    out += math_word(word) ? math_of(word) : text_word(word);
    word.clear();
  };
  for (char c : text) {
    if (c == ' ') {
      flush();
      out += ' ';
    } else {
      word += c;
    }
  }
  flush();
  return out;
}

}  // namespace sodlab::report
