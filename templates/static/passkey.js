// Passkeys in the browser. The pages hold the buttons, `hidden` (or inside a
// `hidden` element marked data-passkey-section, shown with them):
//   <button type="button" data-passkey="sign-in" hidden>Sign in with a passkey</button>
//   <button type="button" data-passkey="add" hidden>Add a passkey</button>
//   <p data-passkey-status role="status" aria-live="polite"></p>
// This script shows them only where the browser has passkeys
// (window.PublicKeyCredential), so without JavaScript or without passkeys
// nothing that cannot work is shown, and the emailed link is always there.
//
// sign-in: POST /sign-in/passkey/options, navigator.credentials.get, POST the
//   credential to /sign-in/passkey, then go where the answer's "location" says.
// add:     POST /account/passkeys/options, navigator.credentials.create, POST
//   the credential to /account/passkeys, then reload (the list shows it).
// The server answers JSON; a refusal is {"error": "message"} with a 4xx
// status, and its message is shown as it is. The other messages are below;
// a page may give its own wording with data-msg-NAME on the status element.
(function () {
  'use strict';
  if (!window.PublicKeyCredential || !navigator.credentials || !window.fetch) return;

  var MESSAGES = {
    cancelled: 'No passkey was used. You can try again, or sign in with a link sent to your email.',
    'add-cancelled': 'No passkey was added. You can try again when you are ready.',
    exists: 'This device already has a passkey for your account.',
    'wrong-site': 'This browser will not use a passkey on this address.',
    offline: 'The site could not be reached. Check your connection and try again.',
    failed: 'Something went wrong on our side. Please try again in a moment.',
    working: 'Waiting for your passkey…'
  };

  var FLOWS = {
    'sign-in': { options: '/sign-in/passkey/options', answer: '/sign-in/passkey', run: getCredential, cancelled: 'cancelled' },
    add: { options: '/account/passkeys/options', answer: '/account/passkeys', run: createCredential, cancelled: 'add-cancelled' }
  };

  // --- base64url (the JSON forms of WebAuthn carry bytes this way) ----------
  function toBytes(text) {
    var s = String(text).replace(/-/g, '+').replace(/_/g, '/');
    while (s.length % 4) s += '=';
    var raw = atob(s);
    var out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out.buffer;
  }
  function toText(buffer) {
    if (!buffer) return null;
    var bytes = new Uint8Array(buffer instanceof ArrayBuffer ? buffer : buffer.buffer);
    var raw = '';
    for (var i = 0; i < bytes.length; i++) raw += String.fromCharCode(bytes[i]);
    return btoa(raw).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }
  function withIds(list) {
    return (list || []).map(function (c) { return Object.assign({}, c, { id: toBytes(c.id) }); });
  }

  // --- options from JSON (by hand where the browser lacks parse…FromJSON) --
  function creationOptions(json) {
    if (PublicKeyCredential.parseCreationOptionsFromJSON) return PublicKeyCredential.parseCreationOptionsFromJSON(json);
    return Object.assign({}, json, {
      challenge: toBytes(json.challenge),
      user: Object.assign({}, json.user, { id: toBytes(json.user.id) }),
      excludeCredentials: withIds(json.excludeCredentials)
    });
  }
  function requestOptions(json) {
    if (PublicKeyCredential.parseRequestOptionsFromJSON) return PublicKeyCredential.parseRequestOptionsFromJSON(json);
    return Object.assign({}, json, { challenge: toBytes(json.challenge), allowCredentials: withIds(json.allowCredentials) });
  }

  // --- the credential as JSON (by hand where the browser lacks toJSON) -----
  function credentialJSON(cred) {
    if (typeof cred.toJSON === 'function') return cred.toJSON();
    var r = cred.response;
    var response = { clientDataJSON: toText(r.clientDataJSON) };
    if (r.attestationObject) {
      response.attestationObject = toText(r.attestationObject);
      response.transports = r.getTransports ? r.getTransports() : [];
      if (r.getAuthenticatorData) response.authenticatorData = toText(r.getAuthenticatorData());
      // null where the browser does not know the key's algorithm: then left out.
      var key = r.getPublicKey ? r.getPublicKey() : null;
      if (key) {
        response.publicKey = toText(key);
        response.publicKeyAlgorithm = r.getPublicKeyAlgorithm();
      }
    } else {
      response.authenticatorData = toText(r.authenticatorData);
      response.signature = toText(r.signature);
      response.userHandle = toText(r.userHandle);
    }
    return {
      id: cred.id,
      rawId: toText(cred.rawId),
      type: cred.type,
      authenticatorAttachment: cred.authenticatorAttachment || null,
      clientExtensionResults: cred.getClientExtensionResults ? cred.getClientExtensionResults() : {},
      response: response
    };
  }

  function getCredential(json) {
    return navigator.credentials.get({ publicKey: requestOptions(json.publicKey || json) });
  }
  function createCredential(json) {
    return navigator.credentials.create({ publicKey: creationOptions(json.publicKey || json) });
  }

  // --- talking to the site -------------------------------------------------
  // Resolves with the answer's JSON; rejects with {message} (the server's words or ours).
  function post(url, body) {
    return fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'Accept': 'application/json' },
      body: JSON.stringify(body)
    }).catch(function () {
      throw { key: 'offline' };
    }).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (data) {
        if (res.ok) return data;
        throw data && typeof data.error === 'string' && data.error ? { message: data.error } : { key: 'failed' };
      });
    });
  }

  function statusFor(button) {
    var near = button.closest('form, section, main');
    var status = (near && near.querySelector('[data-passkey-status]')) || document.querySelector('[data-passkey-status]');
    if (status) {
      if (!status.hasAttribute('role')) status.setAttribute('role', 'status');
      if (!status.hasAttribute('aria-live')) status.setAttribute('aria-live', 'polite');
    }
    return status;
  }

  function say(status, key, message) {
    if (!status) return;
    status.textContent = message || status.getAttribute('data-msg-' + key) || MESSAGES[key] || MESSAGES.failed;
    status.hidden = false;
  }

  // What the browser's refusal means to the person (a DOMException by name).
  function browserKey(err, flow) {
    switch (err && err.name) {
      case 'NotAllowedError': case 'AbortError': return flow.cancelled;
      case 'InvalidStateError': return 'exists';
      case 'SecurityError': return 'wrong-site';
      default: return 'failed';
    }
  }

  function run(button) {
    var flow = FLOWS[button.getAttribute('data-passkey')];
    if (!flow || button.getAttribute('aria-busy') === 'true') return;
    var status = statusFor(button);
    button.setAttribute('aria-busy', 'true');
    button.disabled = true;
    say(status, 'working');
    post(flow.options, {}).then(function (options) {
      // Through a promise, so that options the browser cannot take (it throws) count as its refusal.
      return Promise.resolve(options).then(flow.run).then(null, function (err) {
        throw { key: browserKey(err, flow) };
      });
    }).then(function (cred) {
      if (!cred) throw { key: flow.cancelled };
      return post(flow.answer, credentialJSON(cred));
    }).then(function (answer) {
      // data-next: where a step up returns to (the page that asked for it).
      var next = button.getAttribute('data-next') || (answer && answer.location);
      if (next) {
        window.location.assign(next);
      } else {
        window.location.reload();
      }
    }).catch(function (err) {
      // Only our own refusals ({key} or the server's {message}) are shown as they are; a script error is "failed".
      var ours = err && !(err instanceof Error) && (err.key || err.message);
      say(status, ours ? err.key : 'failed', ours ? err.message : null);
      button.removeAttribute('aria-busy');
      button.disabled = false;
    });
  }

  // A section around the buttons (heading, status) shows with them; the
  // words for browsers without passkeys go.
  document.querySelectorAll('[data-passkey-section]').forEach(function (el) { el.hidden = false; });
  document.querySelectorAll('[data-passkey-missing]').forEach(function (el) { el.hidden = true; });
  document.querySelectorAll('[data-passkey]').forEach(function (button) {
    if (!FLOWS[button.getAttribute('data-passkey')]) return;
    button.hidden = false;
    button.addEventListener('click', function (e) {
      e.preventDefault();
      run(button);
    });
  });
})();
