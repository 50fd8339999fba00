package topoview

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// script pans (drag) and zooms (wheel, around the pointer; the buttons)
// the picture, by the transform of #viewport. Below a zoom where they
// would be smaller than a few pixels on screen, the details (addresses,
// shaping), then the node names, are hidden (classes far and farther of
// the svg). It reads the page and nothing else.
const script = `(function () {
  "use strict";
  var svg = document.getElementById("topology");
  var view = document.getElementById("viewport");
  var s = 1, tx = 0, ty = 0, drag = null;
  function apply() {
    view.setAttribute("transform", "translate(" + tx + " " + ty + ") scale(" + s + ")");
    var m = svg.getScreenCTM();
    var px = (m ? m.a : 1) * s;
    svg.classList.toggle("far", px * 8 < 10);
    svg.classList.toggle("farther", px * 11 < 6);
  }
  function at(e) {
    var p = svg.createSVGPoint();
    p.x = e.clientX; p.y = e.clientY;
    return p.matrixTransform(svg.getScreenCTM().inverse());
  }
  function zoom(k, p) {
    var n = Math.min(64, Math.max(0.25, s * k));
    k = n / s;
    tx = p.x - (p.x - tx) * k;
    ty = p.y - (p.y - ty) * k;
    s = n;
    apply();
  }
  function middle() {
    var r = svg.getBoundingClientRect();
    return at({clientX: r.left + r.width / 2, clientY: r.top + r.height / 2});
  }
  svg.addEventListener("wheel", function (e) {
    e.preventDefault();
    zoom(Math.exp(-e.deltaY * 0.002), at(e));
  }, {passive: false});
  svg.addEventListener("pointerdown", function (e) {
    drag = {p: at(e), tx: tx, ty: ty};
    svg.setPointerCapture(e.pointerId);
    svg.classList.add("dragging");
  });
  svg.addEventListener("pointermove", function (e) {
    if (!drag) return;
    var p = at(e);
    tx = drag.tx + p.x - drag.p.x;
    ty = drag.ty + p.y - drag.p.y;
    apply();
  });
  function end() { drag = null; svg.classList.remove("dragging"); }
  svg.addEventListener("pointerup", end);
  svg.addEventListener("pointercancel", end);
  document.getElementById("zoom-in").addEventListener("click", function () { zoom(1.5, middle()); });
  document.getElementById("zoom-out").addEventListener("click", function () { zoom(1 / 1.5, middle()); });
  document.getElementById("zoom-fit").addEventListener("click", function () { s = 1; tx = 0; ty = 0; apply(); });
  window.addEventListener("resize", apply);
  apply();
})();
`

// page styles the page around the picture.
const page = `html,body{margin:0;height:100%;overflow:hidden;background:#fff;font-family:sans-serif}` +
	`body{display:flex}` +
	`#topology{display:block;flex:1;min-width:0;height:100vh;cursor:grab;touch-action:none}` +
	`#topology.dragging{cursor:grabbing}` +
	`#legend{flex:none;width:210px;box-sizing:border-box;height:100vh;overflow-y:auto;overflow-x:hidden;border-right:1px solid #d0d7de;background:#f6f8fa;padding:10px;font-size:12px;color:#1f2328}` +
	`#legend h1{font-size:14px;margin:0 0 4px}#legend p{margin:4px 0 0;color:#57606a}` +
	`#legend button{font:inherit;margin-right:4px;min-width:2em}`

// WriteHTML writes the picture as a self-contained HTML page: the SVG
// inline, the legend and zoom buttons over it, a little script for pan
// and zoom. The page loads nothing (its Content-Security-Policy forbids
// it; its icon is empty, so a browser does not ask for one).
func WriteHTML(out io.Writer, m *Model, l *Layout) error {
	w := bufio.NewWriter(out)
	var lg strings.Builder
	lw := bufio.NewWriter(&lg)
	lwidth, lheight := legend(lw, m, 0, 0)
	lw.Flush()
	title := esc(m.Experiment)
	fmt.Fprintf(w, `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<link rel="icon" href="data:,">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="benito graph -type=topology">
<title>%s: topology</title>
<style>%s</style>
</head>
<body>
`, title, page)
	fmt.Fprintf(w, `<div id="legend"><h1>%s</h1>`+"\n", title)
	fmt.Fprintf(w, `<svg xmlns="http://www.w3.org/2000/svg" class="topo" width="%s" height="%s" viewBox="0 0 %s %s">%s</svg>`+"\n", f1(lwidth), f1(lheight), f1(lwidth), f1(lheight), lg.String())
	fmt.Fprintf(w, `<p>%d nodes, %d switches. Scroll to zoom, drag to pan.</p>`+"\n", len(m.Nodes), len(m.Switches))
	w.WriteString(`<p><button id="zoom-in" type="button" title="zoom in">+</button><button id="zoom-out" type="button" title="zoom out">−</button><button id="zoom-fit" type="button">fit</button></p>` + "\n</div>\n")
	fmt.Fprintf(w, `<svg xmlns="http://www.w3.org/2000/svg" id="topology" class="topo" viewBox="0 0 %s %s" preserveAspectRatio="xMidYMid meet" role="img" aria-label="%s">`+"\n", f1(l.Width), f1(l.Height), esc("topology of experiment "+m.Experiment))
	fmt.Fprintf(w, "<style>%s</style>\n<g id=\"viewport\">\n", css())
	drawing(w, m, l)
	w.WriteString("\n</g>\n</svg>\n")
	fmt.Fprintf(w, "<script>\n%s</script>\n</body>\n</html>\n", script)
	return w.Flush()
}
