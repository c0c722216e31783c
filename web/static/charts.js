// Draws the portfolio's charts from the JSON the page carries (no request of its own).
(function () {
  "use strict";
  function draw() {
    var holder = document.getElementById("chart-data");
    if (!holder || typeof Chart === "undefined") return;
    var payload = JSON.parse(holder.textContent);
    var data = payload.charts;
    var palette = ["#1f5fa8", "#c0392b", "#2e8b57", "#8e44ad", "#d68910", "#17a2b8", "#7f8c8d", "#b03a2e"];

    var years = {};
    Object.values(data.released_by_year).forEach(function (perYear) {
      Object.keys(perYear).forEach(function (y) { years[y] = true; });
    });
    var yearList = Object.keys(years).sort();
    new Chart(document.getElementById("chart-released"), {
      type: "bar",
      data: {
        labels: yearList,
        datasets: Object.keys(data.released_by_year).sort().map(function (inst, i) {
          return {
            label: inst,
            backgroundColor: palette[i % palette.length],
            data: yearList.map(function (y) { return data.released_by_year[inst][y] || 0; })
          };
        })
      },
      options: { animation: false, responsive: true, maintainAspectRatio: false, scales: { x: { stacked: true }, y: { stacked: true } } }
    });

    var states = Object.keys(data.projects_by_state);
    new Chart(document.getElementById("chart-states"), {
      type: "doughnut",
      data: {
        labels: states.map(function (s) { return payload.phase_labels[s] || s; }),
        datasets: [{ data: states.map(function (s) { return data.projects_by_state[s]; }),
                     backgroundColor: states.map(function (_, i) { return palette[i % palette.length]; }) }]
      },
      options: { animation: false, responsive: true, maintainAspectRatio: false }
    });

    var countries = Object.keys(data.partner_countries);
    new Chart(document.getElementById("chart-countries"), {
      type: "bar",
      data: {
        labels: countries,
        datasets: [{ label: "#", backgroundColor: palette[0],
                     data: countries.map(function (c) { return data.partner_countries[c]; }) }]
      },
      options: { animation: false, responsive: true, maintainAspectRatio: false, indexAxis: "y", plugins: { legend: { display: false } } }
    });
    document.body.dataset.chartsDrawn = "true";
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
