// Draws the portfolio's charts from the JSON the page carries (no request of its own).
// Colours come from app.css (--phase-*, --instrument-*): one mapping, the same in the charts
// and in the table's state badges. A chart with nothing to show is not drawn: the page says so.
(function () {
  "use strict";
  var FALLBACK = "#55606e";

  function colour(name) {
    var value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
    return value || FALLBACK;
  }

  function wholeNumbers() {
    // counts and euros: no 0.5 tick
    return { beginAtZero: true, ticks: { precision: 0 } };
  }

  function draw() {
    var holder = document.getElementById("chart-data");
    if (!holder || typeof Chart === "undefined") return;
    var payload = JSON.parse(holder.textContent);
    var data = payload.charts;
    var lang = document.documentElement.lang || "en";
    var numbers = new Intl.NumberFormat(lang === "fr" ? "fr-FR" : "en-GB", { maximumFractionDigits: 0 });

    var released = document.getElementById("chart-released");
    if (released) {
      var years = {};
      Object.values(data.released_by_year).forEach(function (perYear) {
        Object.keys(perYear).forEach(function (y) { years[y] = true; });
      });
      var yearList = Object.keys(years).sort();
      var euros = wholeNumbers();
      euros.ticks.callback = function (value) { return numbers.format(value); };
      new Chart(released, {
        type: "bar",
        data: {
          labels: yearList,
          datasets: Object.keys(data.released_by_year).sort().map(function (inst) {
            return {
              label: inst,
              backgroundColor: colour("--instrument-" + inst),
              data: yearList.map(function (y) { return data.released_by_year[inst][y] || 0; })
            };
          })
        },
        options: {
          animation: false, responsive: true, maintainAspectRatio: false,
          scales: { x: { stacked: true }, y: Object.assign({ stacked: true }, euros) }
        }
      });
    }

    var statesCanvas = document.getElementById("chart-states");
    if (statesCanvas) {
      var states = Object.keys(data.projects_by_state);
      new Chart(statesCanvas, {
        type: "doughnut",
        data: {
          labels: states.map(function (s) { return payload.phase_labels[s] || s; }),
          datasets: [{
            data: states.map(function (s) { return data.projects_by_state[s]; }),
            backgroundColor: states.map(function (s) { return colour("--phase-" + s); })
          }]
        },
        options: { animation: false, responsive: true, maintainAspectRatio: false }
      });
      statesCanvas.dataset.phases = states.join(" ");
    }

    var countriesCanvas = document.getElementById("chart-countries");
    if (countriesCanvas) {
      var countries = Object.keys(data.partner_countries);
      new Chart(countriesCanvas, {
        type: "bar",
        data: {
          // the country's name in the page's language, never its code
          labels: countries.map(function (c) { return payload.country_names[c] || c; }),
          datasets: [{
            label: payload.count_label, backgroundColor: colour("--country-bar"), maxBarThickness: 28,
            data: countries.map(function (c) { return data.partner_countries[c]; })
          }]
        },
        options: {
          animation: false, responsive: true, maintainAspectRatio: false, indexAxis: "y",
          plugins: { legend: { display: false } },
          scales: { x: wholeNumbers() }
        }
      });
    }
    document.body.dataset.chartsDrawn = "true";
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
