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

  // Reply clocks count down in place (the same words as src/console/time-left.ts renders).
  // Counted from the server's now (data-now), so a browser clock that is off changes nothing.
  var clocks = document.querySelectorAll('[data-countdown]');
  var loaded = Date.now();
  function timeLeft(due, now, zh) {
    var ms = due - now;
    var late = ms < 0;
    var minutes = Math.floor(Math.abs(ms) / 60000);
    var d = Math.floor(minutes / 1440), h = Math.floor((minutes % 1440) / 60), m = minutes % 60;
    var parts = d > 0 ? [[d, zh ? '天' : 'd'], [h, zh ? '小时' : 'h']] : h > 0 ? [[h, zh ? '小时' : 'h'], [m, zh ? '分' : 'min']] : [[m, zh ? '分' : 'min']];
    var span = parts.filter(function (p, i) { return i === 0 || p[0] !== 0; }).map(function (p) { return zh ? p[0] + p[1] : p[0] + ' ' + p[1]; }).join(zh ? '' : ' ');
    return { text: late ? (zh ? '超时 ' + span : span + ' late') : (zh ? '剩 ' + span : span + ' left'), late: late };
  }
  function tick() {
    var zh = (document.documentElement.lang || '').indexOf('zh') === 0;
    clocks.forEach(function (el) {
      var left = timeLeft(Date.parse(el.getAttribute('data-countdown')), Date.parse(el.getAttribute('data-now')) + (Date.now() - loaded), zh);
      el.textContent = left.text;
      el.classList.toggle('bad', left.late);
    });
  }
  if (clocks.length) setInterval(tick, 30000);

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
