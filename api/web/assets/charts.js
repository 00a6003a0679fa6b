// The marketers' charts: each <canvas data-chart="id"> drawn by Chart.js from the JSON in the script
// element of that id, which the server wrote from the same numbers as the table beside it.
(function () {
  function draw() {
    const style = getComputedStyle(document.documentElement);
    const palette = ['--accent', '--series-2', '--series-3', '--series-4', '--series-5'].map((name) => style.getPropertyValue(name).trim() || '#2454c5');
    for (const canvas of document.querySelectorAll('canvas[data-chart]')) {
      const spec = JSON.parse(document.getElementById(canvas.dataset.chart).textContent);
      const datasets = spec.datasets.map((set, i) => ({ ...set, backgroundColor: palette[i % palette.length], borderColor: palette[i % palette.length], tension: 0.2 }));
      new Chart(canvas, {
        type: spec.type,
        data: { labels: spec.labels, datasets },
        options: { responsive: true, maintainAspectRatio: false, animation: false, plugins: { legend: { display: datasets.length > 1, position: 'bottom' } }, scales: { y: { beginAtZero: true } } },
      });
    }
  }
  document.addEventListener('DOMContentLoaded', draw);
})();
