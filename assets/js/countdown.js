// Turns each <time data-countdown> into a live "2 h 14 min 05 s left"; without JavaScript the
// page shows when the sale ends. (No reload at zero: a visitor's clock may run ahead of the shop's.)
(function () {
  var clocks = document.querySelectorAll('time[data-countdown]');
  if (!clocks.length) return;
  function pad(n) { return n < 10 ? '0' + n : '' + n; }
  function tick() {
    var now = Date.now();
    clocks.forEach(function (el) {
      var left = Math.floor((Date.parse(el.getAttribute('datetime')) - now) / 1000);
      if (isNaN(left)) return;
      if (left <= 0) {
        el.textContent = 'Sale ended: refresh for the current price';
        return;
      }
      var d = Math.floor(left / 86400), h = Math.floor(left % 86400 / 3600);
      var m = Math.floor(left % 3600 / 60), s = left % 60;
      el.textContent = (d ? d + ' d ' : '') + (d || h ? h + ' h ' : '') + pad(m) + ' min ' + pad(s) + ' s left';
    });
  }
  tick();
  setInterval(tick, 1000);
})();
