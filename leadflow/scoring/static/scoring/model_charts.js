// Calibration curve and lift by decile on the model page, from the JSON the page embeds.
(function () {
  "use strict";
  function draw() {
    var source = document.getElementById("model-charts");
    if (!source || typeof window.Chart === "undefined") return;
    var data = JSON.parse(source.textContent);
    var colours = { model: "#2563eb", logistic: "#d97706", naive_bayes: "#6b7280" };
    var keys = Object.keys(data.labels);

    var calibration = document.getElementById("calibration-chart");
    if (calibration) {
      var sets = keys.map(function (key) {
        return {
          label: data.labels[key],
          data: (data.calibration[key] || []).map(function (point) { return { x: point[0], y: point[1] }; }),
          borderColor: colours[key], backgroundColor: colours[key], showLine: true, tension: 0
        };
      });
      sets.push({ label: data.axis.perfect, data: [{ x: 0, y: 0 }, { x: 1, y: 1 }], borderColor: "#d1d5db", borderDash: [4, 4], pointRadius: 0, showLine: true });
      new window.Chart(calibration, {
        type: "scatter",
        data: { datasets: sets },
        options: {
          scales: {
            x: { min: 0, max: 1, title: { display: true, text: data.axis.predicted } },
            y: { min: 0, max: 1, title: { display: true, text: data.axis.observed } }
          }
        }
      });
    }
    var lift = document.getElementById("lift-chart");
    if (lift) {
      new window.Chart(lift, {
        type: "bar",
        data: {
          labels: ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10"],
          datasets: keys.map(function (key) {
            return { label: data.labels[key], data: data.lift[key] || [], backgroundColor: colours[key] };
          })
        },
        options: {
          scales: {
            x: { title: { display: true, text: data.axis.decile } },
            y: { beginAtZero: true, title: { display: true, text: data.axis.lift } }
          }
        }
      });
    }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
