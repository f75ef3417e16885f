// WebAuthn pages (views/templates/mfa/webauthn.njk): runs the browser ceremony with
// @simplewebauthn/browser (served at /static/vendor/simplewebauthn-browser.js as
// window.SimpleWebAuthnBrowser), puts the credential's JSON into the hidden field and submits the
// form. The server's options come from the data-webauthn-options attribute: no inline script.
(function () {
  'use strict';

  // The texts come translated from the page (data-text-* on the root, mfa/webauthn.njk).
  var TEXT_OF_ERROR = {
    NotAllowedError: 'cancelled',
    InvalidStateError: 'already-registered',
    ERROR_AUTHENTICATOR_PREVIOUSLY_REGISTERED: 'already-registered',
    SecurityError: 'wrong-address',
    ERROR_INVALID_DOMAIN: 'wrong-address',
    ERROR_INVALID_RP_ID: 'wrong-address',
  };

  function describe(root, err) {
    var key = (err && (TEXT_OF_ERROR[err.code] || TEXT_OF_ERROR[err.name])) || 'failed';
    return root.getAttribute('data-text-' + key) || root.getAttribute('data-text-failed') || '';
  }

  function setUp(root) {
    var form = root.querySelector('[data-webauthn-form]');
    var button = root.querySelector('[data-webauthn-start]');
    var field = form && form.querySelector('input[name="webauthn_response"]');
    var waiting = root.querySelector('[data-webauthn-waiting]');
    var error = root.querySelector('[data-webauthn-error]');
    var unsupported = root.querySelector('[data-webauthn-unsupported]');
    var lib = window.SimpleWebAuthnBrowser;
    if (!form || !button || !field) return;

    if (!lib || !lib.browserSupportsWebAuthn()) {
      unsupported.hidden = false;
      return;
    }
    var mode = root.getAttribute('data-webauthn');

    var busy = false;
    form.addEventListener('submit', function (event) {
      if (field.value) return; // the credential is in: let the form go
      event.preventDefault();
      if (busy) return;
      var options;
      try {
        options = JSON.parse(root.getAttribute('data-webauthn-options') || '');
      } catch (e) {
        unsupported.hidden = false;
        return;
      }
      busy = true;
      button.disabled = true;
      error.hidden = true;
      waiting.hidden = false;
      var ceremony = mode === 'register'
        ? lib.startRegistration({ optionsJSON: options })
        : lib.startAuthentication({ optionsJSON: options });
      ceremony.then(function (credential) {
        field.value = JSON.stringify(credential);
        form.submit();
      }, function (err) {
        busy = false;
        button.disabled = false;
        waiting.hidden = true;
        error.textContent = describe(root, err);
        error.hidden = false;
      });
    });
    button.disabled = false;
    root.setAttribute('data-webauthn-ready', '');
  }

  var roots = document.querySelectorAll('[data-webauthn]');
  for (var i = 0; i < roots.length; i++) setUp(roots[i]);
})();
