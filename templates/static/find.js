// The projects page's filter: narrows the list to the cities and projects
// whose names contain what is typed, and says how many are left. Without
// JavaScript the box stays hidden and the page lists everything.
(function () {
  'use strict';
  var box = document.querySelector('[data-find]');
  if (!box) return;
  var input = box.querySelector('input');
  var status = box.querySelector('[role=status]');
  var projects = [].slice.call(document.querySelectorAll('.project'));
  var toc = document.querySelector('.toc');
  // "Malmö" is found by typing "malmo": case and accents do not count.
  var fold = function (s) {
    return s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase().trim();
  };
  var timer = null;
  function plural(n, one, many) { return n + ' ' + (n === 1 ? one : many); }
  function apply() {
    var q = fold(input.value);
    var shownProjects = 0;
    var shownCities = 0;
    projects.forEach(function (p) {
      var head = fold(p.querySelector('h2').textContent + ' ' + p.querySelector('.project-name').textContent);
      var whole = !q || head.indexOf(q) !== -1;
      var any = false;
      p.querySelectorAll('ul.cities').forEach(function (ul) {
        var inList = 0;
        ul.querySelectorAll('li').forEach(function (li) {
          var hit = whole || fold(li.textContent).indexOf(q) !== -1;
          li.hidden = !hit;
          if (hit) inList++;
        });
        ul.hidden = inList === 0;
        if (ul.previousElementSibling) ul.previousElementSibling.hidden = inList === 0;
        if (inList) any = true;
        if (!whole) shownCities += inList;
      });
      p.hidden = !(whole || any);
      if (!p.hidden) shownProjects++;
      var link = toc && toc.querySelector('a[href="#' + p.querySelector('h2').id + '"]');
      if (link) link.parentNode.hidden = p.hidden;
    });
    if (!q) status.textContent = 'All ' + plural(projects.length, 'project is', 'projects are') + ' shown.';
    else if (!shownProjects) status.textContent = 'No city or project matches \u201c' + input.value.trim() + '\u201d.';
    else {
      var subject = shownCities ? shownCities : shownProjects;
      status.textContent = (shownCities ? plural(shownCities, 'city', 'cities') + ' in ' : '') + plural(shownProjects, 'project', 'projects') +
        (subject === 1 ? ' matches' : ' match') + ' \u201c' + input.value.trim() + '\u201d.';
    }
  }
  // The count is announced once typing pauses, not at every key.
  input.addEventListener('input', function () {
    clearTimeout(timer);
    timer = setTimeout(apply, 250);
  });
  box.hidden = false;
  if (input.value) apply();
})();
