// Draws the forecast's stacked bars, one per year, from the JSON the page carries (no
// request of its own, no inline script). Each category's colour is app.css's --ahead-<name>,
// the one the table's and the legend's swatches show.
(function () {
  "use strict";
  var FALLBACK = "#55606e";

  function colour(name) {
    var value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
    return value || FALLBACK;
  }

  function draw() {
    var holder = document.getElementById("forecast-data");
    var canvas = document.getElementById("chart-forecast");
    if (!holder || !canvas || typeof Chart === "undefined") return;
    var payload = JSON.parse(holder.textContent);
    var lang = document.documentElement.lang || "en";
    var numbers = new Intl.NumberFormat(lang === "fr" ? "fr-FR" : "en-GB", { maximumFractionDigits: 0 });
    var chart = payload.chart;
    new Chart(canvas, {
      type: "bar",
      data: {
        labels: chart.years,
        // in the table's order (the JSON's keys come sorted)
        datasets: payload.categories.map(function (name) {
          return {
            label: payload.labels[name] || name,
            backgroundColor: colour("--ahead-" + name),
            data: chart.series[name]
          };
        })
      },
      options: {
        animation: false, responsive: true, maintainAspectRatio: false,
        plugins: {
          tooltip: { callbacks: { label: function (item) {
            return item.dataset.label + ": " + numbers.format(item.raw) + " EUR";
          } } }
        },
        scales: {
          x: { stacked: true },
          y: { stacked: true, beginAtZero: true,
               ticks: { precision: 0, callback: function (value) { return numbers.format(value); } } }
        }
      }
    });
    canvas.dataset.categories = payload.categories.join(" ");
    document.body.dataset.chartsDrawn = "true";
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
