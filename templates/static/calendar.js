// Optional: the page may come from a cache built before an event ended.
// Moves such events from the upcoming list to the past one (or, on the home
// page, removes them). Without JavaScript the page is as of its last build.
(function () {
  'use strict';
  var upcoming = document.querySelector('[data-upcoming]');
  if (!upcoming) return;
  var now = Date.now();
  var ended = [];
  upcoming.querySelectorAll('li[data-end]').forEach(function (li) {
    var end = Date.parse(li.getAttribute('data-end'));
    if (!isNaN(end) && end <= now) ended.push(li);
  });
  if (!ended.length) return;
  var past = document.querySelector('[data-past]');
  var list = null;
  if (past) {
    var group = document.createElement('div');
    group.className = 'month';
    var h = document.createElement('h3');
    h.textContent = 'Recently ended';
    list = document.createElement('ol');
    list.className = 'events';
    group.appendChild(h);
    group.appendChild(list);
    var empty = past.querySelector('.empty');
    if (empty) empty.hidden = true;
    past.insertBefore(group, past.querySelector('.month'));
  }
  // Latest end first, as in the past list.
  ended.reverse().forEach(function (li) {
    if (list) list.appendChild(li); else li.remove();
  });
  upcoming.querySelectorAll('.month, .events').forEach(function (m) {
    if (!m.querySelector('li')) m.remove();
  });
  if (!upcoming.querySelector('li[data-end]')) {
    var none = upcoming.querySelector('.empty');
    if (none) none.hidden = false;
  }
})();
