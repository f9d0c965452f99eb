// Added by `generator serve` only (never by `generator build`): reloads the
// page after each good build and shows a failed build's errors over it.
(() => {
  'use strict';
  const script = document.currentScript;
  const shown = script ? script.dataset.build : '';

  // location.reload() keeps the scroll position (all major browsers restore
  // it on a reload), so an edited page stays where the editor was reading.
  function reload() {
    location.reload();
  }

  let overlay = null;
  let opener = null;

  function hide() {
    if (overlay) overlay.remove();
    overlay = null;
  }

  function el(name, attrs, text) {
    const e = document.createElement(name);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function show(problems) {
    hide();
    if (!document.querySelector('link[data-ccg-serve]')) {
      document.head.append(el('link', { rel: 'stylesheet', href: '/_serve/overlay.css', 'data-ccg-serve': '' }));
    }
    const box = el('aside', { id: 'ccg-serve-overlay', 'aria-labelledby': 'ccg-serve-overlay-title' });
    const alert = el('div', { role: 'alert' });
    const n = problems.length;
    alert.append(el('h2', { id: 'ccg-serve-overlay-title' }, n === 1 ? 'The site did not build: 1 problem' : `The site did not build: ${n} problems`));
    alert.append(el('p', {}, 'The preview still shows the last good build. Fix the file and save: the page reloads by itself.'));
    const list = el('ol');
    for (const p of problems) {
      const item = el('li');
      if (p.file) item.append(el('code', { class: 'ccg-serve-where' }, p.line ? `${p.file}:${p.line}:${p.column}` : p.file), ' ');
      item.append(el('span', { class: 'ccg-serve-message' }, p.message));
      list.append(item);
    }
    alert.append(list);
    const close = el('button', { type: 'button' }, 'Close (Esc)');
    close.addEventListener('click', () => dismiss());
    box.append(alert, close);
    document.body.append(box);
    overlay = box;
  }

  function dismiss() {
    hide();
    if (opener && document.contains(opener)) opener.focus();
  }

  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && overlay) dismiss();
  });

  function connect() {
    const events = new EventSource('/_serve/events');
    const update = (e) => {
      let state;
      try {
        state = JSON.parse(e.data);
      } catch {
        return;
      }
      // A page that does not know its build (no data-build) reloads on news only, never on connecting.
      if (state.build !== shown && (shown || e.type === 'reload')) {
        events.close();
        reload();
      } else if (state.problems && state.problems.length) {
        opener = document.activeElement;
        show(state.problems);
      } else {
        hide();
      }
    };
    for (const name of ['hello', 'reload', 'build-error']) events.addEventListener(name, update);
    // The browser retries by itself after a dropped connection; if it gives up
    // (the server answered something else while restarting), start again.
    events.addEventListener('error', () => {
      if (events.readyState === EventSource.CLOSED) setTimeout(connect, 1000);
    });
  }

  connect();
})();
