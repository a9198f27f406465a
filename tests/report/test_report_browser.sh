#!/usr/bin/env bash
# `sodlab report` loaded in a real browser: headless Chromium driven over WebDriver (Debian's
# chromium + chromium-driver, curl, jq). A smoke store (Kolkin Table 4, MEnet Table IV and Fig. 9,
# the 6-point AF sensitivity sweep with 2 workers, and the DSS maps of ../shared evaluated with
# --db when ../shared is there) is reported; then every page of the report is opened in the
# browser, which must find:
#   - every paper table of the overview (one table.paper per experiment file), the sweep overview,
#     the figures the store has data for (Kolkin Table 4 PR and training curves, MEnet Fig. 9
#     adaptive F against sigma), every image decoded (naturalWidth > 0);
#   - every link resolving: a relative file that exists, or an #anchor present on its page; no
#     resource from outside the report folder;
#   - on every run page its provenance, resolved config and results.
# The checker is shown to fail on a report with a deleted figure and a deleted run page. A
# screenshot of the index is left in $SODLAB_REPORT_SCREENSHOT (default: the build folder).
# Exit 77 (ctest: skipped) where Chromium or its driver is missing.
#   tests/report/test_report_browser.sh BUILD/sodlab SOURCE_DIR
set -euo pipefail
sodlab=$1
src=$2
for tool in chromium chromedriver curl jq; do
  command -v "$tool" >/dev/null || { echo "SKIPPED: $tool not installed (scripts/install-deps.sh)"; exit 77; }
done
work=$(mktemp -d /tmp/sodlab-report-test-XXXXXX)
driver_pid=""
wd=""
session=""
cleanup() {
  # Closing the session quits the browser; a killed driver would leave Chromium running.
  [[ -n "$session" ]] && curl -sf -m 10 -X DELETE "$wd/session/$session" >/dev/null 2>&1 || true
  [[ -n "$driver_pid" ]] && kill "$driver_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAILED: $*" >&2; exit 1; }

cd "$src"
db="$work/results.db"
common=(--profile smoke --db "$db" --runs-dir "$work/runs" --cache-dir "$work/cache")
"$sodlab" run kolkin2017/table4 "${common[@]}" >"$work/run.log" 2>&1 || { cat "$work/run.log"; fail "kolkin2017/table4"; }
"$sodlab" run menet/table4 "${common[@]}" >>"$work/run.log" 2>&1 || { cat "$work/run.log"; fail "menet/table4"; }
"$sodlab" run menet/fig9 "${common[@]}" >>"$work/run.log" 2>&1 || { cat "$work/run.log"; fail "menet/fig9"; }
"$sodlab" sweep ablations/kolkin2017_af_sensitivity --jobs 2 "${common[@]}" >>"$work/run.log" 2>&1 ||
  { cat "$work/run.log"; fail "sweep"; }
maps="$src/../shared/fixtures/sod300-published-maps/DSS"
masks="$src/../shared/data/sod300/masks"
evaluated=0
if [[ -d "$maps" && -d "$masks" ]]; then
  "$sodlab" eval --pred "DSS=$maps" --gt "$masks" --db "$db" >/dev/null 2>>"$work/run.log" || fail "eval --db"
  evaluated=1
else
  echo "note: ../shared absent: no evaluation section checked"
fi
report="$work/report"
"$sodlab" report --profile smoke --db "$db" --out-dir "$report" >/dev/null 2>"$work/report.log" || { cat "$work/report.log"; fail "sodlab report"; }
sections=$(ls experiments/*/*.toml ablations/*.toml | wc -l)

# ---- the browser --------------------------------------------------------------------------
port=$(( 20000 + RANDOM % 20000 ))
chromedriver --port="$port" >"$work/driver.log" 2>&1 &
driver_pid=$!
wd="http://127.0.0.1:$port"
for _ in $(seq 100); do curl -sf "$wd/status" | jq -e '.value.ready' >/dev/null 2>&1 && break; sleep 0.1; done
curl -sf "$wd/status" >/dev/null || { cat "$work/driver.log"; fail "chromedriver did not start"; }
caps='{"capabilities":{"alwaysMatch":{"browserName":"chrome","goog:chromeOptions":{"binary":"'"$(command -v chromium)"'",
  "args":["--headless=new","--no-sandbox","--disable-gpu","--disable-dev-shm-usage","--window-size=1400,1800"]}}}}'
session=$(curl -sf -X POST -H 'Content-Type: application/json' -d "$caps" "$wd/session" | jq -r '.value.sessionId')
[[ -n "$session" && "$session" != null ]] || fail "no WebDriver session"
post() { curl -sf -X POST -H 'Content-Type: application/json' -d "$2" "$wd/session/$session/$1"; }

# What the browser sees on a page, as JSON: the title, tables (all / paper), images and whether
# each decoded, every link, and the anchors and headings present.
probe='return JSON.stringify({
  title: document.title,
  tables: document.querySelectorAll("table").length,
  paper_tables: document.querySelectorAll("table.paper").length,
  sweep_tables: document.querySelectorAll("table.sweep-points").length,
  images: [...document.images].map(i => ({src: i.getAttribute("src"), ok: i.complete && i.naturalWidth > 0})),
  links: [...document.querySelectorAll("a[href]")].map(a => a.getAttribute("href")),
  resources: [...document.querySelectorAll("[src], link[href]")].map(e => e.getAttribute("src") || e.getAttribute("href")),
  ids: [...document.querySelectorAll("[id]")].map(e => e.id),
  headings: [...document.querySelectorAll("h2")].map(h => h.textContent),
  text: document.body.innerText })'

# check_page FILE: loads it, checks its images and links; prints the probe JSON.
check_page() {
  local page=$1 dir json
  dir=$(dirname "$page")
  post url "{\"url\":\"file://$page\"}" >/dev/null || fail "cannot open $page"
  json=$(post execute/sync "$(jq -n --arg s "$probe" '{script: $s, args: []}')" | jq -r '.value')
  [[ -n "$json" && "$json" != null ]] || fail "no answer from the page $page"
  local broken
  broken=$(jq -r '.images[] | select(.ok | not) | .src' <<<"$json")
  [[ -z "$broken" ]] || { echo "broken image(s) on $page: $broken" >&2; return 1; }
  while IFS= read -r href; do
    [[ -z "$href" ]] && continue
    case "$href" in
      http:* | https:* | //*) echo "external link on $page: $href" >&2; return 1 ;;
      \#*) jq -e --arg id "${href#\#}" '.ids | index($id)' <<<"$json" >/dev/null ||
             { echo "anchor $href missing on $page" >&2; return 1; } ;;
      *) [[ -f "$dir/${href%%#*}" ]] || { echo "broken link on $page: $href" >&2; return 1; } ;;
    esac
  done < <(jq -r '.links[]' <<<"$json")
  if jq -r '.resources[]' <<<"$json" | grep -qE '^(https?:)?//'; then
    echo "external resource on $page" >&2; return 1
  fi
  printf '%s' "$json"
}

index=$(check_page "$report/index.html") || fail "index.html"
[[ $(jq -r '.paper_tables' <<<"$index") == "$sections" ]] ||
  fail "$(jq -r '.paper_tables' <<<"$index") paper tables on the index, $sections experiment files"
[[ $(jq -r '.sweep_tables' <<<"$index") == 2 ]] || fail "sweep overview: not 2 sweep point tables"
jq -e '.headings | index("Sweep overview")' <<<"$index" >/dev/null || fail "no sweep overview"
for figure in figures/kolkin2017-table4-pr.png figures/kolkin2017-table4-training.png \
              figures/menet-fig9-distortion-awgn.png figures/ablations-kolkin2017_af_sensitivity-pr.png; do
  jq -e --arg f "$figure" '[.images[].src] | index($f)' <<<"$index" >/dev/null || fail "figure $figure not on the index"
  [[ -f "$report/${figure%.png}.gp" && -f "$report/${figure%.png}.dat" ]] || fail "$figure: script or data not kept"
done
text=$(jq -r '.text' <<<"$index")
grep -q "profile smoke" <<<"$text" || fail "the index does not name the profile"
grep -qE "7 / 7" <<<"$text" || fail "Kolkin Table 4: not 7 / 7 runs completed on the overview"
grep -q "0.988" <<<"$text" || fail "Kolkin Table 4: the published value 0.988 (Proposed, F_1^w MSRA-B) is missing"
if ((evaluated)); then
  jq -e '.headings | map(test("Evaluations")) | any' <<<"$index" >/dev/null || fail "no evaluations section"
fi

pages=0
for page in "$report"/runs/*.html; do
  json=$(check_page "$page") || fail "$page"
  jq -e '.headings | (index("Provenance") and index("Resolved config") and index("Results"))' <<<"$json" >/dev/null ||
    fail "$page lacks provenance, results or resolved config"
  pages=$((pages + 1))
done
# 7 + 3 trained runs, 6 sweep points, the evaluation.
[[ $pages -ge $((16 + evaluated)) ]] || fail "$pages run pages, expected at least $((16 + evaluated))"

# The screenshot someone looks at, then the checker must catch a broken report.
shot=${SODLAB_REPORT_SCREENSHOT:-$(dirname "$sodlab")/report-index.png}
post url "{\"url\":\"file://$report/index.html\"}" >/dev/null
curl -sf "$wd/session/$session/screenshot" | jq -r '.value' | base64 -d >"$shot"
[[ $(head -c 8 "$shot" | od -An -tx1 | tr -d ' \n') == 89504e470d0a1a0a ]] || fail "the screenshot is not a PNG"

broken="$work/broken"
cp -r "$report" "$broken"
rm "$broken/figures/kolkin2017-table4-pr.png"
if check_page "$broken/index.html" >/dev/null 2>&1; then fail "the checker missed a deleted figure"; fi
cp "$report/figures/kolkin2017-table4-pr.png" "$broken/figures/"
rm "$(ls "$broken"/runs/*.html | head -1)"
if check_page "$broken/index.html" >/dev/null 2>&1; then fail "the checker missed a deleted run page"; fi

curl -sf -X DELETE "$wd/session/$session" >/dev/null || true
session=""
echo "report: $sections tables, $pages run pages, every image decoded and every link resolved in Chromium $(chromium --version 2>/dev/null | awk '{print $2}'); screenshot $shot"
