// The inbox's few behaviours beyond htmx: SLA countdowns that tick, times in the reader's zone, and
// j/k to move between tasks (Enter opens, as on any link).
(function () {
  const minute = 60_000;
  function countdown(ms) {
    const late = ms < 0;
    const left = Math.abs(ms);
    const h = Math.floor(left / (60 * minute));
    const m = Math.floor((left % (60 * minute)) / minute);
    const s = Math.floor((left % minute) / 1000);
    const text = h > 0 ? `${h} h ${String(m).padStart(2, '0')} min` : `${m}:${String(s).padStart(2, '0')}`;
    return late ? `overdue by ${text}` : `due in ${text}`;
  }
  function tick() {
    const now = Date.now();
    for (const el of document.querySelectorAll('time[data-due]')) {
      const ms = Date.parse(el.getAttribute('datetime')) - now;
      el.textContent = countdown(ms);
      el.classList.toggle('late', ms < 0);
      el.classList.toggle('soon', ms >= 0 && ms < 15 * minute);
    }
  }
  const format = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
  function localTimes() {
    for (const el of document.querySelectorAll('time:not([data-due]):not([data-local])')) {
      const at = Date.parse(el.getAttribute('datetime'));
      if (!Number.isNaN(at)) el.textContent = format.format(at);
      el.setAttribute('data-local', '');
    }
  }
  function refresh() {
    tick();
    localTimes();
  }
  document.addEventListener('DOMContentLoaded', refresh);
  document.addEventListener('htmx:afterSettle', refresh);
  setInterval(tick, 1000);
  document.addEventListener('keydown', (event) => {
    if (event.metaKey || event.ctrlKey || event.altKey || /^(INPUT|TEXTAREA|SELECT)$/.test(event.target.tagName)) return;
    if (event.key !== 'j' && event.key !== 'k') return;
    const links = [...document.querySelectorAll('.task > a')];
    if (!links.length) return;
    const at = links.indexOf(document.activeElement);
    const next = event.key === 'j' ? Math.min(at + 1, links.length - 1) : Math.max(at - 1, 0);
    links[at === -1 ? 0 : next].focus();
    event.preventDefault();
  });
})();
