/* The console's pages inside Airflow's UI: follow its theme, draw the charts with uPlot.
 *
 * Airflow shows plugin views in a same-origin iframe: the parent's <html> carries its color mode
 * ("light"/"dark" classes, next-themes) and its CSS variables (Chakra's tokens), read here and
 * followed when the user switches. Opened on its own, a page follows the system's preference.
 */
(function () {
  "use strict";
  var root = document.documentElement;
  var TOKENS = {
    "--bg": "--chakra-colors-bg",
    "--fg": "--chakra-colors-fg",
    "--muted": "--chakra-colors-fg-muted",
    "--border": "--chakra-colors-border",
    "--subtle": "--chakra-colors-bg-subtle",
    "--font": "--chakra-fonts-body",
    "--mono": "--chakra-fonts-mono",
  };

  function parentRoot() {
    try {
      if (window.parent !== window && window.parent.document) return window.parent.document.documentElement;
    } catch (e) { /* another origin: keep our own theme */ }
    return null;
  }

  function applyTheme() {
    var p = parentRoot();
    var dark;
    if (p && (p.classList.contains("dark") || p.classList.contains("light"))) {
      dark = p.classList.contains("dark");
      var style = window.parent.getComputedStyle(p);
      Object.keys(TOKENS).forEach(function (ours) {
        var value = style.getPropertyValue(TOKENS[ours]).trim();
        if (value) root.style.setProperty(ours, value); else root.style.removeProperty(ours);
      });
    } else {
      dark = window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches;
    }
    var was = root.classList.contains("dark");
    root.classList.toggle("dark", !!dark);
    root.classList.toggle("light", !dark);
    return was !== !!dark;
  }

  function color(name) {
    return getComputedStyle(root).getPropertyValue(name).trim() || "#888";
  }

  function utcText(seconds) {
    return new Date(seconds * 1000).toISOString().replace("T", " ").slice(0, 19) + " UTC";
  }

  function tickText(seconds) {
    var iso = new Date(seconds * 1000).toISOString();
    return iso.slice(0, 10) + "\n" + iso.slice(11, 16);
  }

  function number(v) {
    return v === null || v === undefined ? "" : (Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(4) : +v.toPrecision(6) + "");
  }

  // Vertical lines at deploys / retrain builds, drawn under the series.
  function eventsPlugin(events) {
    return {
      hooks: {
        drawAxes: [function (u) {
          var ctx = u.ctx;
          ctx.save();
          ctx.strokeStyle = color("--event");
          ctx.setLineDash([2, 3]);
          ctx.lineWidth = 1.5 * devicePixelRatio;
          events.forEach(function (e) {
            var x = Math.round(u.valToPos(e.t, "x", true));
            if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) return;
            ctx.beginPath();
            ctx.moveTo(x, u.bbox.top);
            ctx.lineTo(x, u.bbox.top + u.bbox.height);
            ctx.stroke();
          });
          ctx.restore();
        }],
      },
    };
  }

  // The hover card: exact value, threshold, subject (build id), time, outcome.
  function tooltipPlugin(d, tip) {
    return {
      hooks: {
        setCursor: [function (u) {
          var i = u.cursor.idx;
          if (i === null || i === undefined || u.cursor.left < 0) { tip.hidden = true; return; }
          var lines = [
            utcText(d.t[i]),
            d.y + " = " + number(d.v[i]) + (d.th[i] === null ? "" : " (threshold " + number(d.th[i]) + ")"),
            (d.s[i] ? d.s[i] + ": " : "") + (d.m[i] ? d.marked_as : d.unmarked_as),
          ];
          tip.textContent = "";
          lines.forEach(function (line) { var div = document.createElement("div"); div.textContent = line; tip.appendChild(div); });
          tip.hidden = false;
          var left = u.cursor.left + u.bbox.left / devicePixelRatio + 12;
          var width = tip.offsetWidth;
          if (left + width > u.over.parentNode.clientWidth) left = Math.max(0, left - width - 24);
          tip.style.left = left + "px";
          tip.style.top = Math.max(0, u.cursor.top - 10) + "px";
        }],
      },
    };
  }

  // One point: an hour either side of it (uPlot's own range for a zero-width span runs for years).
  function single(times) {
    if (times.length !== 1) return { time: true };
    var lo = times[0] - 3600, hi = times[0] + 3600;
    return { time: true, range: function () { return [lo, hi]; } };
  }

  function draw(figure) {
    figure.removeAttribute("data-drawn");
    var d = JSON.parse(figure.getAttribute("data-chart"));
    var box = figure.querySelector(".plot");
    box.textContent = "";
    var tip = document.createElement("div");
    tip.className = "tip";
    tip.hidden = true;
    box.appendChild(tip);
    var marked = d.v.map(function (v, i) { return d.m[i] ? v : null; });
    var unmarked = d.v.map(function (v, i) { return d.m[i] ? null : v; });
    var fg = color("--fg"), grid = color("--border");
    var axis = { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 }, font: "12px " + color("--font") , labelFont: "12px " + color("--font") };
    var events = d.events || [];
    var opts = {
      width: Math.max(280, box.clientWidth),
      height: 240,
      tzDate: function (ts) { return uPlot.tzDate(new Date(ts * 1000), "Etc/UTC"); },
      legend: { show: false },
      cursor: { drag: { x: true, y: false }, points: { size: 8 } },
      scales: { x: single(d.t) },
      axes: [
        // Every tick a date and a time (UTC), on two lines: when something happened reads at a glance.
        Object.assign({}, axis, { label: "time (UTC)", labelSize: 20, size: 56, space: 90,
          values: function (u, splits) {
            var labels = splits.map(tickText);
            // What the x axis shows, for a reader without the canvas (and the browser test).
            figure.setAttribute("data-x-ticks", JSON.stringify(labels));
            return labels;
          } }),
        Object.assign({}, axis, { label: d.y, labelSize: 20, size: 56 }),
      ],
      series: [
        { label: "time" },
        { label: d.y, stroke: color("--line"), width: 2, points: { show: false } },
        { label: "threshold", stroke: color("--threshold"), width: 2, dash: [6, 4], points: { show: false },
          paths: uPlot.paths.stepped({ align: 1 }) },
        { label: d.marked_as, stroke: color("--ok"), fill: color("--ok"), width: 0, paths: function () { return null; },
          points: { show: true, size: 9, fill: color("--ok"), stroke: color("--ok") } },
        { label: d.unmarked_as, stroke: color("--muted"), width: 0, paths: function () { return null; },
          points: { show: true, size: 7, fill: color("--bg"), stroke: color("--muted") } },
      ],
      plugins: [eventsPlugin(events), tooltipPlugin(d, tip)],
      // uPlot draws in a microtask after construction: "drawn" once the canvas and axes are there.
      hooks: { draw: [function () { figure.setAttribute("data-drawn", "1"); }] },
    };
    var plot = new uPlot(opts, [d.t, d.v, d.th, marked, unmarked], box);
    figure.uplot = plot;
  }

  function drawAll() {
    if (typeof uPlot === "undefined") return;  // the <noscript> table stays the content
    document.querySelectorAll("figure.chart").forEach(function (figure) {
      if (figure.uplot) figure.uplot.destroy();
      figure.uplot = null;
      draw(figure);
      var table = figure.querySelector("table.fallback");
      if (table) table.hidden = true;
    });
  }

  function resize() {
    document.querySelectorAll("figure.chart").forEach(function (figure) {
      var box = figure.querySelector(".plot");
      var width = box ? Math.max(280, box.clientWidth) : 0;
      if (figure.uplot && box && figure.uplot.width !== width) figure.uplot.setSize({ width: width, height: 240 });
    });
  }

  applyTheme();
  document.addEventListener("DOMContentLoaded", function () {
    drawAll();
    var p = parentRoot();
    if (p && window.MutationObserver) {
      new MutationObserver(function () { if (applyTheme()) drawAll(); })
        .observe(p, { attributes: true, attributeFilter: ["class", "style"] });
    }
    // The frame's width changes with the window, Airflow's panels and a vertical scrollbar appearing
    // once the charts are drawn: each chart follows its box, never wider than the page.
    if (window.ResizeObserver) {
      document.querySelectorAll("figure.chart .plot").forEach(function (box) {
        new ResizeObserver(function () { resize(); }).observe(box);
      });
    } else {
      var timer = null;
      window.addEventListener("resize", function () { clearTimeout(timer); timer = setTimeout(resize, 100); });
    }
  });
})();
