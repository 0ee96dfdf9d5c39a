#!/usr/bin/env bash
# Open the HTML report of the bundled articles in headless Chromium, as a
# reader would: check what the browser actually builds from it (five article
# sections, the outlet chart as inline SVG, nothing fetched from elsewhere)
# and take a desktop and a phone-size screenshot.
# Run from the repository root: bash .ci/browser.sh
# Screenshots are copied to $STANCE_ARTIFACTS (default: the run's temp folder).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1; then
  echo "== installing chromium (Debian package)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium >/dev/null
fi
echo "== $(chromium --version 2>/dev/null | head -n 1)"

stance="${STANCE_BIN:-target/release/stance}"
if [ -z "${STANCE_BIN:-}" ] && [ ! -x "$stance" ]; then
  echo "== cargo build --release (target/release/stance is missing)"
  cargo build --release
fi

tmp="$(mktemp -d "${TMPDIR:-/tmp}/stance-browser.XXXXXX")"
profiles=()
cleanup() {
  # Only the throwaway browser profiles; the report and screenshots stay in $tmp.
  if [ ${#profiles[@]} -gt 0 ]; then rm -rf "${profiles[@]}"; fi
}
trap cleanup EXIT

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok   - $*"; }
fail() { failed=$((failed + 1)); echo "FAIL - $*"; }
finish() {
  echo "browser: $passed passed, $failed failed"
  if [ "$failed" -gt 0 ]; then
    echo "browser checks failed; the report, DOM and browser logs are in $tmp" >&2
    exit 1
  fi
  exit 0
}

# chromium ARGS... : headless Chromium with a fresh profile, no network
# chatter, a time limit; its log goes to $tmp/chromium.log.
chromium_run() {
  local profile
  profile="$(mktemp -d "${TMPDIR:-/tmp}/stance-chromium-profile.XXXXXX")"
  profiles+=("$profile")
  timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --disable-dev-shm-usage --user-data-dir="$profile" "$@" 2>>"$tmp/chromium.log"
}

report="$tmp/report.html"
url="file://$report"

# 1. The report is written.
if "$stance" report data/articles --out "$report" >"$tmp/report.log" 2>&1 && [ -s "$report" ]; then
  ok "stance report data/articles wrote $(wc -c <"$report") bytes"
else
  fail "stance report data/articles --out report.html did not write a report:"
  sed 's/^/       /' "$tmp/report.log"
  finish
fi

# 2. Chromium loads it and gives back the DOM it built.
if chromium_run --dump-dom "$url" >"$tmp/dom.html" && [ -s "$tmp/dom.html" ]; then
  ok "chromium --dump-dom: $(wc -c <"$tmp/dom.html") bytes of DOM"
else
  fail "chromium --dump-dom gave no DOM (log: $tmp/chromium.log)"
  tail -n 20 "$tmp/chromium.log" | sed 's/^/       /'
  finish
fi

# 3-6. What the DOM holds. One line per check: "ok|message" or "fail|message".
expected_articles="$(find data/articles -maxdepth 1 -name '*.txt' | wc -l | tr -d ' ')"
dom_checks="$(python3 - "$tmp/dom.html" "$report" data/articles "$expected_articles" <<'PY'
import sys
from html.parser import HTMLParser
from pathlib import Path

dom_file, report_file, articles_dir, expected = sys.argv[1], sys.argv[2], Path(sys.argv[3]), int(sys.argv[4])
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Elements(HTMLParser):
    """Every element with its attributes and the tags of its ancestors."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack = []  # (tag, attrs)
        self.elements = []  # (tag, attrs, ancestors)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.elements.append((tag, attrs, list(self.stack)))
        if tag not in VOID:
            self.stack.append((tag, attrs))

    def handle_startendtag(self, tag, attrs):
        self.elements.append((tag, dict(attrs), list(self.stack)))

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break


def parse(path):
    parser = Elements()
    parser.feed(Path(path).read_text(encoding="utf-8", errors="replace"))
    parser.close()
    return parser.elements


def say(good, message):
    print(f"{'ok' if good else 'fail'}|{message}")


dom = parse(dom_file)

sections = [attrs for tag, attrs, _ in dom if tag == "section" and "article" in (attrs.get("class") or "").split()]
say(len(sections) == expected,
    f'{len(sections)} <section class="article"> element(s) in the DOM (expected {expected}, one per article)')

ids = [attrs.get("data-article") for attrs in sections]
wanted = sorted(p.stem for p in articles_dir.glob("*.txt"))
if any(not i for i in ids):
    say(False, f"{sum(1 for i in ids if not i)} article section(s) without a data-article attribute")
elif sorted(ids) != wanted:
    say(False, f"data-article values {sorted(ids)} are not the article ids {wanted}")
else:
    say(True, f"every article section has data-article, one per article id ({', '.join(i.split('_')[0] for i in sorted(ids))})")

charts = [attrs for tag, attrs, _ in dom if attrs.get("id") == "outlet-chart"]
svgs = [tag for tag, _, ancestors in dom if tag == "svg" and any(a.get("id") == "outlet-chart" for _, a in ancestors)]
if len(charts) != 1:
    say(False, f"{len(charts)} element(s) with id outlet-chart (expected 1)")
elif not svgs:
    say(False, "#outlet-chart holds no <svg>")
else:
    chart_tag = next(tag for tag, attrs, _ in dom if attrs.get("id") == "outlet-chart")
    say(True, f"#outlet-chart (<{chart_tag}>) holds an inline <svg>")

# Self-contained: nothing the page loads comes from outside the file.
external = []
for tag, attrs, _ in parse(report_file):
    for attr in ("src", "href", "data", "srcset", "poster"):
        value = (attrs.get(attr) or "").strip()
        if not value or value.startswith(("data:", "#")) or (tag == "a" and attr == "href"):
            continue
        if tag == "link" and not set((attrs.get("rel") or "").lower().split()) & {"stylesheet", "icon", "preload", "modulepreload", "manifest", "prefetch"}:
            continue
        external.append(f"<{tag} {attr}={value[:60]}>")
say(not external, "the report loads nothing from outside the file" if not external
    else f"the report is not self-contained: {', '.join(external[:5])}")
PY
)" || true
if [ "$(grep -c '|' <<<"$dom_checks")" -ne 4 ]; then
  fail "the DOM checks did not run to the end:"
  printf '%s\n' "$dom_checks" | sed 's/^/       /'
fi
while IFS='|' read -r verdict message; do
  case "$verdict" in
    ok) ok "$message" ;;
    fail) fail "$message" ;;
  esac
done <<<"$dom_checks"

# 7-8. Screenshots, desktop and phone size: each a real picture of the requested size.
png_check() { # FILE WIDTH HEIGHT NAME
  python3 - "$@" <<'PY'
import struct, sys
path, width, height, name = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
try:
    data = open(path, "rb").read()
except OSError:
    print(f"fail|{name}: no screenshot written")
    sys.exit()
if data[:8] != b"\x89PNG\r\n\x1a\n":
    print(f"fail|{name}: not a PNG")
    sys.exit()
w, h = struct.unpack(">II", data[16:24])
good = len(data) > 10_000 and (w, h) == (width, height)
print(f"{'ok' if good else 'fail'}|{name}: {w}x{h}, {len(data) // 1024} kB (want {width}x{height}, > 10 kB)")
PY
}
for shot in "report.png 1280 2000 desktop" "report-phone.png 390 1600 phone"; do
  read -r file width height name <<<"$shot"
  chromium_run --screenshot="$tmp/$file" --window-size="$width,$height" "$url" >/dev/null || true
  IFS='|' read -r verdict message < <(png_check "$tmp/$file" "$width" "$height" "$name screenshot")
  if [ "$verdict" = ok ]; then ok "$message"; else fail "$message"; fi
done

artifacts="${STANCE_ARTIFACTS:-$tmp}"
mkdir -p "$artifacts"
for file in report.png report-phone.png; do
  if [ -f "$tmp/$file" ]; then
    [ "$artifacts" -ef "$tmp" ] || cp "$tmp/$file" "$artifacts/$file"
    echo "screenshot: $artifacts/$file"
  fi
done

finish
