// HTML building blocks of `sodlab report` (site.h): escaping, a page with the report's inline
// style sheet (no script, font or style from elsewhere: a page opens from disk anywhere), simple
// tables, and a paper table as HTML (the same cells and notes as its Markdown, paper_table.h).
#pragma once

#include <string>
#include <vector>

#include "report/paper_table.h"

namespace sodlab::report::html {

// Text as HTML character data or a double-quoted attribute value (& < > " ' escaped).
std::string escape(const std::string& text);

// A complete document: <title>, the style sheet, a navigation line linking `root`index.html
// ("" for the index itself, "../" for a page one folder down), then `body` (HTML).
std::string page(const std::string& title, const std::string& body, const std::string& root);

// <table> with a header row (none when every header is empty); cells are HTML (escape text first). Columns flagged numeric are
// right-aligned. `css_class` is added to the table element ("" = none).
std::string table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows,
                  const std::vector<bool>& numeric = {}, const std::string& css_class = "");

// A paper table: heading (<h3>), "Reproduces", the table (class "paper"; our cells class "ours",
// published cells class "paper-value", published-only rows class "published"), then the notes as a
// list and the caption.
std::string paper_table(const PaperTable& t);

}  // namespace sodlab::report::html
