// The console's only script: live updates of the Today page (server-sent events) and the charts.
(function () {
  'use strict';
  var live = document.querySelector('[data-live]');
  if (live && window.EventSource) {
    var source = new EventSource(live.getAttribute('data-live'));
    source.addEventListener('today', function (e) {
      var parts = JSON.parse(e.data);
      Object.keys(parts).forEach(function (id) {
        var el = document.getElementById(id);
        if (el) el.innerHTML = parts[id];
      });
      live.setAttribute('data-updated', String(Date.now()));
    });
    // The server closed the stream: the session is over (signed out, deactivated) or the role
    // changed. Reloading takes the page to the sign-in page, or renders it for the new role.
    source.addEventListener('ended', function () {
      source.close();
      window.location.reload();
    });
  }

  var data = document.getElementById('chart-data');
  if (!data || !window.echarts) return;
  var specs = JSON.parse(data.textContent || '{}');
  var charts = [];
  document.querySelectorAll('[data-chart]').forEach(function (el) {
    var option = specs[el.getAttribute('data-chart')];
    if (!option) return;
    var chart = window.echarts.init(el, null, { renderer: 'canvas' });
    // Listen first: a chart without animation finishes inside setOption.
    chart.on('finished', function () { el.setAttribute('data-rendered', 'true'); });
    chart.setOption(option);
    charts.push(chart);
  });
  window.addEventListener('resize', function () { charts.forEach(function (c) { c.resize(); }); });
  window.addEventListener('beforeprint', function () { charts.forEach(function (c) { c.resize(); }); });
})();
