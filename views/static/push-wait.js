// The push approval waiting page (views/templates/mfa/push-challenge.njk): asks the server every
// 2 seconds whether the device answered (the push method's `status` action), without reloading, and submits the page's form once the
// request was approved, denied or expired, so the server decides what happens next. Without
// JavaScript the "I approved" button does the same by hand.
(function () {
  'use strict';
  var form = document.getElementById('push-form');
  if (!form || !window.fetch) return;
  var url = form.getAttribute('data-status-url');
  var status = document.querySelector('[data-testid="push/status"]');
  var INTERVAL_MS = 2000;
  var done = false;

  function finish() {
    if (done) return;
    done = true;
    if (status) status.textContent = status.getAttribute('data-answer-received') || status.textContent; // translated by the page
    form.submit();
  }

  function poll() {
    if (done) return;
    fetch(url, { credentials: 'same-origin', headers: { accept: 'application/json' }, cache: 'no-store' })
      .then(function (response) {
        // 4xx: this browser's sign-in moved on or is gone; stop (the button still works). 5xx: retry.
        if (response.status >= 400 && response.status < 500) return { status: 'none' };
        if (!response.ok) throw new Error('status ' + response.status);
        return response.json();
      })
      .then(function (body) {
        if (body && (body.status === 'approved' || body.status === 'denied' || body.status === 'expired')) return finish();
        if (body && body.status === 'none') return; // the sign-in moved on or expired: stop, the button still works
        setTimeout(poll, INTERVAL_MS);
      })
      .catch(function () {
        setTimeout(poll, INTERVAL_MS * 2); // a network blip: keep waiting, a little slower
      });
  }

  setTimeout(poll, INTERVAL_MS);
})();
