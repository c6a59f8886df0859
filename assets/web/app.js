// mlf's web UI: MLflow's hash routes, and the metric charts (uPlot). No inline script runs
// under the page's Content-Security-Policy, so everything the pages do in the browser is here.
(function () {
  "use strict";

  // MLflow's links (`/#/experiments/1/runs/ID`, `/#/models/NAME/versions/3`) land on `/`.
  function followHashRoute() {
    var h = window.location.hash;
    if (!h || h.indexOf("#/") !== 0) return;
    var parts = h.slice(2).split("?")[0].split("/").filter(Boolean);
    var enc = encodeURIComponent;
    var to = null;
    if (parts[0] === "experiments" && parts[2] === "runs" && parts[3]) {
      to = "/ui/runs/" + enc(decodeURIComponent(parts[3]));
    } else if (parts[0] === "experiments" && parts[1]) {
      to = "/ui/experiments/" + enc(decodeURIComponent(parts[1]));
    } else if (parts[0] === "models" && parts[1] && parts[2] === "versions" && parts[3]) {
      to = "/ui/models/" + enc(decodeURIComponent(parts[1])) + "/versions/" + enc(parts[3]);
    } else if (parts[0] === "models" && parts[1]) {
      to = "/ui/models/" + enc(decodeURIComponent(parts[1]));
    } else if (parts[0] === "models") {
      to = "/ui/models";
    }
    if (to) window.location.replace(to);
  }

  var palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"];

  function axisChoice() {
    var checked = document.querySelector('input[name="x-axis"]:checked');
    return checked ? checked.value : "step";
  }

  // Joins several series on their x values for uPlot (one x array, a y array per run).
  function join(series) {
    if (series.length === 1) return [series[0].x, series[0].y];
    var xs = {};
    series.forEach(function (s) { s.x.forEach(function (x) { xs[x] = true; }); });
    var x = Object.keys(xs).map(Number).sort(function (a, b) { return a - b; });
    var index = {};
    x.forEach(function (v, i) { index[v] = i; });
    var ys = series.map(function (s) {
      var y = new Array(x.length).fill(null);
      s.x.forEach(function (v, i) { y[index[v]] = s.y[i]; });
      return y;
    });
    return [x].concat(ys);
  }

  // Exponential moving average, as TensorBoard's smoothing (nulls are left alone).
  function smooth(y, weight) {
    if (!weight) return y;
    var last = null;
    return y.map(function (v) {
      if (v === null || !isFinite(v)) return v;
      last = last === null ? v : last * weight + v * (1 - weight);
      return last;
    });
  }

  function drawChart(fig) {
    var key = fig.getAttribute("data-key");
    var runs = fig.getAttribute("data-runs").split(",").filter(Boolean);
    var axis = axisChoice();
    var plot = fig.querySelector(".plot");
    var note = fig.querySelector(".note");
    Promise.all(runs.map(function (run) {
      var url = "/ui/runs/" + encodeURIComponent(run) + "/metric?key=" + encodeURIComponent(key) + "&x=" + axis;
      return fetch(url, { credentials: "same-origin" }).then(function (r) {
        if (!r.ok) return { x: [], y: [], total: 0, shown: 0, sampled: false };
        return r.json();
      });
    })).then(function (series) {
      var data = join(series);
      var weight = Number((document.getElementById("smoothing") || {}).value || 0);
      data = [data[0]].concat(data.slice(1).map(function (y) { return smooth(y, weight); }));
      var logBox = document.getElementById("log-y");
      var positive = data.slice(1).every(function (y) { return y.every(function (v) { return v === null || v > 0; }); });
      var logY = !!(logBox && logBox.checked && positive);
      var width = Math.max(280, Math.min(plot.clientWidth || 600, 900));
      var opts = {
        width: width,
        height: 220,
        scales: { x: { time: axis === "wall" }, y: logY ? { distr: 3 } : {} },
        axes: [{ label: axis === "step" ? "step" : axis === "wall" ? "time" : "seconds" }, {}],
        series: [{ label: axis }].concat(runs.map(function (run, i) {
          return { label: runs.length > 1 ? run.slice(0, 8) : key, stroke: palette[i % palette.length], spanGaps: true, points: { show: data[0].length <= 30 } };
        }))
      };
      plot.textContent = "";
      fig.uplot = new uPlot(opts, data, plot);
      var sampled = series.filter(function (s) { return s.sampled; });
      var notes = [];
      if (logBox && logBox.checked && !positive) notes.push("Linear scale: the series has values at or below 0.");
      note.textContent = notes.concat(sampled.length
        ? "Down-sampled on the server: " + sampled.map(function (s) { return s.shown + " of " + s.total; }).join(", ") +
          " points drawn (the lowest and highest of each stretch are kept)."
        : []).join(" ");
      fig.setAttribute("data-drawn", "1");
    });
  }

  function drawCharts() {
    if (typeof uPlot === "undefined") return;
    document.querySelectorAll("figure.chart").forEach(function (fig) {
      if (fig.uplot) { fig.uplot.destroy(); fig.uplot = null; }
      drawChart(fig);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    followHashRoute();
    drawCharts();
    document.querySelectorAll('input[name="x-axis"], #log-y, #smoothing').forEach(function (r) {
      r.addEventListener("change", drawCharts);
    });
  });
  window.addEventListener("hashchange", followHashRoute);
})();
