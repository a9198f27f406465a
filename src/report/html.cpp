#include "report/html.h"

#include <sstream>

namespace sodlab::report::html {
namespace {

constexpr const char* kStyle = R"(
body { font-family: "DejaVu Sans", sans-serif; margin: 1.5em auto; max-width: 78em; padding: 0 1em;
       color: #1b1b1b; line-height: 1.4; }
h1 { font-size: 1.6em; } h2 { margin-top: 2em; border-bottom: 1px solid #ccc; } h3 { margin-top: 1.4em; }
nav { font-size: 0.9em; margin-bottom: 1em; }
table { border-collapse: collapse; margin: 0.6em 0; font-size: 0.88em; }
.scroll { overflow-x: auto; }
th, td { border: 1px solid #d0d0d0; padding: 0.2em 0.5em; vertical-align: top; }
th { background: #f0f0f0; text-align: left; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
table.paper td.paper-value, table.paper th.paper-value { background: #f7f7ff; color: #333; }
table.paper tr.published td { color: #555; font-style: italic; }
.status-completed { color: #176117; } .status-failed { color: #a31515; }
.status-interrupted, .status-running, .status-queued { color: #8a5a00; }
.meta { color: #555; font-size: 0.9em; }
.problem { color: #8a5a00; }
figure { display: inline-block; margin: 0.5em 1em 0.5em 0; vertical-align: top; }
figure img { max-width: 100%; border: 1px solid #ddd; }
figcaption { font-size: 0.85em; color: #444; }
pre { background: #f6f6f6; padding: 0.6em; overflow-x: auto; font-size: 0.85em; }
ul.notes { font-size: 0.85em; color: #444; }
)";

}  // namespace

std::string escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string page(const std::string& title, const std::string& body, const std::string& root) {
  std::ostringstream os;
  os << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>" << escape(title)
     << "</title>\n<style>" << kStyle << "</style>\n</head>\n<body>\n";
  if (!root.empty()) os << "<nav><a href=\"" << escape(root) << "index.html\">← report index</a></nav>\n";
  os << body << "\n</body>\n</html>\n";
  return os.str();
}

std::string table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows,
                  const std::vector<bool>& numeric, const std::string& css_class) {
  auto cls = [&](std::size_t i) { return i < numeric.size() && numeric[i] ? " class=\"num\"" : ""; };
  std::ostringstream os;
  os << "<div class=\"scroll\"><table" << (css_class.empty() ? "" : " class=\"" + escape(css_class) + "\"")
     << ">\n";
  bool any_header = false;
  for (const auto& h : header) any_header = any_header || !h.empty();
  if (any_header) {
    os << "<thead><tr>";
    for (std::size_t i = 0; i < header.size(); ++i) os << "<th" << cls(i) << ">" << header[i] << "</th>";
    os << "</tr></thead>\n";
  }
  os << "<tbody>\n";
  for (const auto& row : rows) {
    os << "<tr>";
    for (std::size_t i = 0; i < row.size(); ++i) os << "<td" << cls(i) << ">" << row[i] << "</td>";
    os << "</tr>\n";
  }
  os << "</tbody></table></div>\n";
  return os.str();
}

std::string paper_table(const PaperTable& t) {
  const TableGrid g = layout_table(t);
  auto cell_class = [](GridCell::Kind k) {
    return k == GridCell::Kind::ours    ? " class=\"num ours\""
           : k == GridCell::Kind::paper ? " class=\"num paper-value\""
                                        : "";
  };
  std::ostringstream os;
  os << "<h3>" << escape(g.heading) << "</h3>\n";
  if (!g.reproduces.empty()) os << "<p class=\"meta\">Reproduces: " << escape(g.reproduces) << "</p>\n";
  os << "<div class=\"scroll\"><table class=\"paper\">\n<thead><tr>";
  for (const auto& h : g.header) os << "<th" << cell_class(h.kind) << ">" << escape(h.text) << "</th>";
  os << "</tr></thead>\n<tbody>\n";
  for (std::size_t r = 0; r < g.rows.size(); ++r) {
    // Rows of the methods layout are the table's rows; a published-only row is styled apart.
    const bool published = t.layout != "metrics" && r < t.rows.size() && t.rows[r].variant.empty();
    os << (published ? "<tr class=\"published\">" : "<tr>");
    for (const auto& c : g.rows[r]) os << "<td" << cell_class(c.kind) << ">" << escape(c.text) << "</td>";
    os << "</tr>\n";
  }
  os << "</tbody></table></div>\n<ul class=\"notes\">\n";
  for (const auto& n : g.notes) os << "<li>" << escape(n) << "</li>\n";
  os << "</ul>\n";
  if (!g.caption.empty()) os << "<p class=\"meta\">" << escape(g.caption) << "</p>\n";
  return os.str();
}

}  // namespace sodlab::report::html
