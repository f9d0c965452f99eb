// Optional help for the two forms. Without JavaScript every form works the
// same: the server answers a form with mistakes by sending it back with every
// message, and the pages that follow show the contribution worked out.
// With it:
// - a form is sent without leaving the page; if it has mistakes, the form and
//   its summary are replaced by the server's own (the same template, so the
//   messages are written once) and the summary takes the focus;
// - the claim form says, as the costs are typed, what the contribution asked
//   for will be, and fits the date fields to the meeting chosen;
// - on the check-answers page, "Change" brings the form back in place, on the field to change;
// - `?event=ID` chooses that meeting (the link on an event's page);
// - a receipt offers a Print button.
(function () {
  'use strict';

  // --- sending a form in place ---------------------------------------------
  function swapFrom(doc) {
    var form = document.querySelector('form[data-enhanced-form]');
    var next = doc.querySelector('form[data-enhanced-form]');
    if (!form || !next) return false;
    var old = document.getElementById('error-summary');
    if (old) old.remove();
    var summary = doc.getElementById('error-summary');
    form.replaceWith(document.adoptNode(next));
    if (summary) next.before(document.adoptNode(summary));
    document.title = doc.title;
    setUp();
    if (summary) summary.focus();
    return true;
  }

  function showAnswer(doc) {
    var main = document.querySelector('main');
    var next = doc.querySelector('main');
    if (!main || !next) return false;
    main.replaceWith(document.adoptNode(next));
    document.title = doc.title;
    setUp();
    // "Change" on the check-answers page: the field to change takes the focus
    // (a browser honours `autofocus` only when a page loads).
    var wanted = next.querySelector('[autofocus]');
    if (wanted) { wanted.focus(); wanted.scrollIntoView({ block: 'center' }); return true; }
    next.focus();
    window.scrollTo(0, 0);
    return true;
  }

  document.addEventListener('submit', function (e) {
    var form = e.target;
    if (!form.matches || !form.matches('form[data-enhanced-form]') || !window.fetch || !window.DOMParser) return;
    e.preventDefault();
    if (form.getAttribute('aria-busy') === 'true') return;
    form.setAttribute('aria-busy', 'true');
    var button = form.querySelector('button[type=submit]');
    if (button) button.disabled = true;
    var body = new URLSearchParams(new FormData(form));
    // The button pressed is part of what is sent ("Change" names its field),
    // and it may post elsewhere (its formaction, whose #field is for the browser only).
    var by = e.submitter;
    if (by && by.name) body.append(by.name, by.value);
    var action = ((by && by.getAttribute('formaction')) ? by.formAction : form.action).split('#')[0];
    var answered = false;
    fetch(action, {
      method: 'POST',
      body: body,
      credentials: 'same-origin',
      headers: { 'Accept': 'text/html', 'Content-Type': 'application/x-www-form-urlencoded' }
    }).then(function (res) {
      answered = true;
      // Sent: the server led to its "check your inbox" page.
      if (res.redirected || (res.ok && res.url && res.url !== action)) {
        window.location.assign(res.url);
        return null;
      }
      return res.text().then(function (text) {
        var doc = new DOMParser().parseFromString(text, 'text/html');
        var done = res.status === 422 ? swapFrom(doc) : showAnswer(doc);
        // An answer of another shape: show it whole rather than send the form twice.
        if (!done) {
          document.open();
          document.write(text);
          document.close();
        }
      });
    }).catch(function () {
      // No answer at all (the network failed): let the browser send it the usual way.
      if (answered) return;
      form.removeAttribute('aria-busy');
      HTMLFormElement.prototype.submit.call(form);
    }).finally(function () {
      form.removeAttribute('aria-busy');
      if (button) button.disabled = false;
    });
  });

  // --- the claim form ------------------------------------------------------
  // The same amounts the server takes (Cents::parse_eur, model/src/money.rs):
  // 412, 412,5, 1.200,50, 1,200.50, 1 200, with € or EUR before or after; a
  // single dot or comma followed by three digits (1.234) is ambiguous: null.
  function cents(text) {
    var s = (text || '').trim();
    var m = /^(?:€|eur)\s*([\s\S]*)$/i.exec(s) || /^([\s\S]*?)\s*(?:€|eur)$/i.exec(s);
    if (m) s = m[1].trim();
    var marks = s.replace(/[^.,]/g, '');
    var dec = -1;
    if (marks.length === 1) {
      dec = s.search(/[.,]/);
      if (/^[1-9]\d{0,2}$/.test(s.slice(0, dec)) && /^\d{3}$/.test(s.slice(dec + 1))) return null;
    } else if (marks.length > 1) {
      var last = marks.charAt(marks.length - 1), rest = marks.slice(0, -1);
      if (rest.indexOf(last) < 0) dec = s.lastIndexOf(last);
      else if (rest.split(last).join('') !== '') return null;
    }
    var whole = dec < 0 ? s : s.slice(0, dec), frac = dec < 0 ? '' : s.slice(dec + 1);
    if (dec >= 0 && !/^\d{1,2}$/.test(frac)) return null;
    var grouped = /^\d{1,3}([., \u00a0\u202f\u2009])\d{3}(?:\1\d{3})*$/.test(whole);
    if (!/^\d+$/.test(whole) && !grouped) return null;
    var digits = whole.replace(/\D/g, '');
    if (digits.length > 12) return null;
    return parseInt(digits, 10) * 100 + parseInt((frac + '00').slice(0, 2), 10);
  }
  function euros(c) {
    return (c % 100 === 0 ? String(c / 100) : (c / 100).toFixed(2)) + ' EUR';
  }

  function claimForm(form) {
    var max = parseInt(form.getAttribute('data-max-per-trip'), 10);
    var transport = form.querySelector('#transport_eur');
    var accommodation = form.querySelector('#accommodation_eur');
    var out = form.querySelector('#contribution');
    var original = out ? out.textContent : '';
    function update() {
      var t = cents(transport.value), a = cents(accommodation.value);
      if (t === null || a === null || t + a === 0) { out.textContent = original; return; }
      var costs = t + a;
      out.textContent = costs > max
        ? 'You ask for ' + euros(max) + ': your costs are ' + euros(costs) + ', and the most paid for one trip is ' + euros(max) + '. If your city has less left for the year, the contribution is what it has left.'
        : 'You ask for ' + euros(costs) + ', your costs. If your city has less left for the year, the contribution is what it has left.';
    }
    if (transport && accommodation && out && max) {
      transport.addEventListener('input', update);
      accommodation.addEventListener('input', update);
      update();
    }
    var meetings = form.querySelectorAll('input[name=event]');
    var dates = [form.querySelector('#travel_start'), form.querySelector('#travel_end')];
    function fitDates() {
      var o = form.querySelector('input[name=event]:checked');
      var from = o && o.getAttribute('data-travel-from');
      var until = o && o.getAttribute('data-travel-until');
      if (!from || !until) return;
      dates.forEach(function (d) { if (d) { d.min = from; d.max = until; } });
    }
    if (meetings.length) {
      var wanted = new URLSearchParams(window.location.search).get('event');
      var chosen = form.querySelector('input[name=event]:checked');
      meetings.forEach(function (m) {
        m.addEventListener('change', fitDates);
        if (wanted && !chosen && m.value === wanted) m.checked = true;
      });
      fitDates();
    }
  }

  function setUp() {
    document.querySelectorAll('form[data-claim-form]').forEach(claimForm);
    document.querySelectorAll('[data-print]').forEach(function (b) {
      b.hidden = false;
      b.addEventListener('click', function () { window.print(); });
    });
  }
  setUp();
})();
