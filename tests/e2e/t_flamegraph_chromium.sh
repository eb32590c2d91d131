#!/bin/sh
# The flame graph SVG renders and works in headless Chromium: a screenshot
# of the SVG is not blank (frames and a title are drawn); a wrapper page
# then drives the SVG's own script (hover, search, Ctrl-F, click to zoom,
# Reset Zoom) and reports the resulting DOM, and a screenshot of the zoomed
# state shows the clicked frame across the full width.
# Skips (passes, with a note) when Chromium is not installed; scripts/deps.sh
# test installs it.
set -eu
src="$CPROF_SRCDIR"
. "$src/tests/e2e/flame_lib.sh"
# CHROMIUM=PATH picks the browser (CHROMIUM= skips the test).
chromium=${CHROMIUM-$(command -v chromium || command -v chromium-browser || true)}
if [ -z "$chromium" ]; then
    echo "SKIP: chromium is not installed (sh scripts/deps.sh test installs it)"
    exit 77
fi
py="python3 $src/tests/e2e"

# Chromium, quiet and offline, with a throw-away profile directory.
chrome() {
    timeout 60 "$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --disable-extensions --hide-scrollbars --allow-file-access-from-files \
        --user-data-dir="$(mktemp -d "$WORK/chrome.XXXXXX")" "$@" 2>"$WORK/chrome.err"
}

report flamegraph "$src/tests/fixtures/go/cpu.pb.gz" >"$WORK/flame.svg"
height=$(sed -n 's/^<svg .* height="\([0-9]*\)".*/\1/p' "$WORK/flame.svg")
[ -n "$height" ] || { echo "no height in the SVG"; exit 1; }

# 1. Static rendering: the frames are drawn (about 5 full-width rows of
#    15 px: root, runtime.main, main.main, main.writeCPU, main.cpuWork and
#    the burnSort + pprof.Do row) and the title is there.
chrome --screenshot="$WORK/flame.png" --window-size="1200,$height" "file://$WORK/flame.svg" \
    >/dev/null || { echo "chromium failed"; cat "$WORK/chrome.err"; exit 1; }
stats=$($py/png_stats.py "$WORK/flame.png")
echo "static: $stats"
set -- $stats
[ "$2" = "1200x$height" ] || { echo "screenshot size $2"; exit 1; }
[ "$4" -gt 50000 ] || { echo "too few frame pixels: $4"; exit 1; }
[ "$6" -ge 80 ] && [ "$6" -le 95 ] || { echo "full-width frame rows: $6, want 80..95"; exit 1; }
[ "$8" -gt 300 ] || { echo "no title text: $8"; exit 1; }

# 2. Interaction, through the SVG's own event handlers.
cat >"$WORK/zoom.html" <<EOF
<!DOCTYPE html>
<html><head><meta charset="utf-8"></head><body style="margin:0">
<object id="o" type="image/svg+xml" data="flame.svg" width="1200" height="$height"
  style="display:block"></object>
<pre id="result">pending</pre>
<script>
function frame(d, name) {
  var gs = d.getElementById('frames').children;
  for (var i = 0; i < gs.length; i++)
    if (gs[i].firstChild.textContent.indexOf(name + ' (') === 0) return gs[i];
  return null;
}
function rect(d, name) { return frame(d, name).childNodes[1]; }
function text(d, name) { var t = frame(d, name).childNodes[2]; return t ? t.textContent : ''; }
function click(e) { e.dispatchEvent(new MouseEvent('click', {bubbles: true})); }
document.getElementById('o').addEventListener('load', function () { setTimeout(function () {
  var res = {}, d, w;
  try {
    d = document.getElementById('o').contentDocument;
    w = d.defaultView;
    rect(d, 'main.burnHash').dispatchEvent(new MouseEvent('mouseover', {bubbles: true}));
    res.details = d.getElementById('details').textContent;
    w.prompt = function () { return 'burn'; };
    click(d.getElementById('search'));
    res.matched = d.getElementById('matched').textContent;
    res.searchFill = rect(d, 'main.burnSort').getAttribute('fill');
    click(d.getElementById('search'));
    res.resetFill = rect(d, 'main.burnSort').getAttribute('fill');
    res.resetMatched = d.getElementById('matched').textContent;
    w.prompt = function () { return '^main\\\\.mix\$'; };
    w.dispatchEvent(new w.KeyboardEvent('keydown', {key: 'f', ctrlKey: true, bubbles: true}));
    res.ctrlf = d.documentElement.getAttribute('data-matched');
    w.dispatchEvent(new w.KeyboardEvent('keydown', {key: 'Escape', bubbles: true}));
    res.escMatched = d.documentElement.getAttribute('data-matched');
    res.unzoomHidden = d.getElementById('unzoom').getAttribute('class');
    click(rect(d, 'main.burnHash'));
    res.zoomed = d.documentElement.getAttribute('data-zoomed');
    res.hashX = rect(d, 'main.burnHash').getAttribute('x');
    res.hashW = rect(d, 'main.burnHash').getAttribute('width');
    res.mixW = rect(d, 'main.mix').getAttribute('width');
    res.mixText = text(d, 'main.mix');
    res.sortClass = frame(d, 'main.burnSort').getAttribute('class');
    res.rootClass = frame(d, 'root').getAttribute('class');
    res.rootW = rect(d, 'root').getAttribute('width');
    res.unzoomShown = d.getElementById('unzoom').getAttribute('class');
    click(d.getElementById('unzoom'));
    res.unzoomedW = rect(d, 'main.burnHash').getAttribute('width');
    res.unzoomedSort = frame(d, 'main.burnSort').getAttribute('class');
    click(rect(d, 'main.burnHash'));
    document.getElementById('result').textContent = 'RESULT ' + JSON.stringify(res);
  } catch (e) {
    document.getElementById('result').textContent = 'ERROR ' + e + ' ' + JSON.stringify(res);
  }
}, 50); });
</script></body></html>
EOF
chrome --virtual-time-budget=5000 --dump-dom "file://$WORK/zoom.html" >"$WORK/dom.html" || {
    echo "chromium failed"; cat "$WORK/chrome.err"; exit 1; }
sed -n 's/.*<pre id="result">\(.*\)<\/pre>.*/\1/p' "$WORK/dom.html" >"$WORK/result"
echo "dom: $(cat "$WORK/result")"
python3 - "$WORK/flame.svg" "$WORK/result" <<'EOF'
import html, json, re, sys
svg = open(sys.argv[1]).read()
line = html.unescape(open(sys.argv[2]).read().strip())
if not line.startswith("RESULT "):
    sys.exit("page script failed: " + line)
r = json.loads(line[7:])

def geom(name):
    m = re.search(r"<title>%s \(([^)]*)\)</title><rect x=\"([0-9.]+)\" y=\"[0-9]+\" "
                  r"width=\"([0-9.]+)\"" % re.escape(name), svg)
    return m.group(1), float(m.group(2)), float(m.group(3))

def close(a, b, what):
    if abs(float(a) - b) > 0.02:
        sys.exit("%s: %s, want %.2f" % (what, a, b))

hlabel, hx, hw = geom("main.burnHash")
_, mx, mw = geom("main.mix")
want = {"details": "Frame: main.burnHash (%s)" % hlabel, "searchFill": "rgb(200,40,220)",
        "resetMatched": " ", "escMatched": None, "unzoomHidden": "button hide",
        "zoomed": "main.burnHash", "mixText": "main.mix", "sortClass": "hide",
        "rootClass": "parent", "unzoomShown": "button", "unzoomedSort": ""}
for k, v in want.items():
    if r.get(k) != v:
        sys.exit("%s: %r, want %r" % (k, r.get(k), v))
if r["resetFill"] == r["searchFill"]:
    sys.exit("search highlight not reset")
# Matched share: the burn* frames, nested matches counted once.
spans = sorted((x, w) for n, x, w in
               ((n, *geom(n)[1:]) for n in ("main.burnSort", "main.burnHash", "main.burnFloat")))
close(r["matched"].replace("Matched: ", "").rstrip("%"), 100 * sum(w for _, w in spans) / 1180,
      "matched")
close(r["ctrlf"], 100 * mw / 1180, "Ctrl-F matched")
close(r["hashX"], 10, "zoomed x")
close(r["hashW"], 1180, "zoomed width")
close(r["mixW"], mw * 1180 / hw, "zoomed child width")
close(r["rootW"], 1180, "ancestor width")
close(r["unzoomedW"], hw, "width after Reset Zoom")
print("interaction ok")
EOF

# 3. The zoomed state on screen: one saturated full-width row (main.burnHash;
#    its ancestors are dimmed, main.mix is a fifth of the width).
chrome --virtual-time-budget=5000 --screenshot="$WORK/zoom.png" --window-size="1200,$height" \
    "file://$WORK/zoom.html" >/dev/null || { echo "chromium failed"; cat "$WORK/chrome.err"; exit 1; }
stats=$($py/png_stats.py "$WORK/zoom.png")
echo "zoomed: $stats"
set -- $stats
[ "$6" -ge 12 ] && [ "$6" -le 16 ] || { echo "full-width frame rows: $6, want 12..16"; exit 1; }
[ "$4" -gt 15000 ] || { echo "too few frame pixels: $4"; exit 1; }
if [ -n "${FLAME_SCREENSHOTS:-}" ]; then
    cp "$WORK/flame.png" "$WORK/zoom.png" "$FLAME_SCREENSHOTS/"
fi
