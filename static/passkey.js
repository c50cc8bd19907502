// Passkeys (WebAuthn) for Ostiary's pages: the one script the pages load,
// by <script src> under script-src 'self'. Each form marked data-passkey
// runs a ceremony instead of posting itself: it posts its fields to
// data-begin for the options, calls navigator.credentials.create or get,
// posts the fields and the credential to data-finish and follows the
// redirect it answers. Without JavaScript or WebAuthn the forms stay hidden
// and the pages work as before.
"use strict";
(function () {
  if (!window.PublicKeyCredential || !navigator.credentials) {
    return;
  }

  // base64url <-> ArrayBuffer (WebAuthn §5.10 carries binary as base64url
  // in JSON).
  function toBuffer(s) {
    s = s.replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) {
      s += "=";
    }
    var bin = atob(s);
    var out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) {
      out[i] = bin.charCodeAt(i);
    }
    return out.buffer;
  }
  function toBase64url(buf) {
    if (!buf) {
      return undefined;
    }
    var bytes = new Uint8Array(buf);
    var bin = "";
    for (var i = 0; i < bytes.length; i++) {
      bin += String.fromCharCode(bytes[i]);
    }
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function decodeIds(list) {
    return (list || []).map(function (c) {
      return Object.assign({}, c, { id: toBuffer(c.id) });
    });
  }

  function creationOptions(o) {
    var pk = Object.assign({}, o.publicKey);
    pk.challenge = toBuffer(pk.challenge);
    pk.user = Object.assign({}, pk.user, { id: toBuffer(pk.user.id) });
    pk.excludeCredentials = decodeIds(pk.excludeCredentials);
    return pk;
  }
  function requestOptions(o) {
    var pk = Object.assign({}, o.publicKey);
    pk.challenge = toBuffer(pk.challenge);
    pk.allowCredentials = decodeIds(pk.allowCredentials);
    return pk;
  }

  // credentialJSON is the credential as the server reads it
  // (PublicKeyCredential's JSON form, WebAuthn §5.1).
  function credentialJSON(cred) {
    var r = cred.response;
    var resp = { clientDataJSON: toBase64url(r.clientDataJSON) };
    if (r.attestationObject) {
      resp.attestationObject = toBase64url(r.attestationObject);
      if (r.getTransports) {
        resp.transports = r.getTransports();
      }
    } else {
      resp.authenticatorData = toBase64url(r.authenticatorData);
      resp.signature = toBase64url(r.signature);
      if (r.userHandle) {
        resp.userHandle = toBase64url(r.userHandle);
      }
    }
    return JSON.stringify({
      id: cred.id,
      rawId: toBase64url(cred.rawId),
      type: cred.type,
      authenticatorAttachment: cred.authenticatorAttachment || undefined,
      clientExtensionResults: cred.getClientExtensionResults ? cred.getClientExtensionResults() : {},
      response: resp
    });
  }

  function post(url, fields) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json" },
      body: fields
    }).then(function (res) {
      return res.json().catch(function () {
        return { error: "The server answered unexpectedly. Reload the page and try again." };
      }).then(function (body) {
        if (!res.ok) {
          throw new Error(body.error || "The request failed. Reload the page and try again.");
        }
        return body;
      });
    });
  }

  function showError(form, msg) {
    var el = form.querySelector("[data-passkey-error]");
    if (el) {
      el.textContent = msg;
      el.hidden = !msg;
    }
  }

  function explain(err) {
    if (err && err.name === "NotAllowedError") {
      return "The passkey request was cancelled or timed out.";
    }
    if (err && err.name === "InvalidStateError") {
      return "This device already holds a passkey for your account.";
    }
    if (err && err.name === "SecurityError") {
      return "Passkeys do not work on this address.";
    }
    return (err && err.message) || "The passkey could not be used.";
  }

  // run performs the form's ceremony; mediation is "conditional" for the
  // email field's autofill, otherwise the browser's own dialog opens.
  function run(form, mediation, signal) {
    var begin = new URLSearchParams(new FormData(form));
    return post(form.dataset.begin, begin).then(function (options) {
      if (form.dataset.passkey === "register") {
        return navigator.credentials.create({ publicKey: creationOptions(options), signal: signal });
      }
      var req = { publicKey: requestOptions(options), signal: signal };
      if (mediation) {
        req.mediation = mediation;
      }
      return navigator.credentials.get(req);
    }).then(function (cred) {
      var finish = new URLSearchParams(new FormData(form));
      finish.set("credential", credentialJSON(cred));
      return post(form.dataset.finish, finish);
    }).then(function (done) {
      window.location.assign(done.redirect);
    });
  }

  var conditional = null; // the pending autofill request, if any

  function startConditional(form) {
    if (!PublicKeyCredential.isConditionalMediationAvailable) {
      return;
    }
    PublicKeyCredential.isConditionalMediationAvailable().then(function (ok) {
      if (!ok) {
        return;
      }
      conditional = new AbortController();
      run(form, "conditional", conditional.signal).catch(function (err) {
        if (err && err.name !== "AbortError") {
          showError(form, explain(err));
        }
      });
    });
  }

  document.querySelectorAll("form[data-passkey]").forEach(function (form) {
    form.hidden = false;
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      if (conditional) {
        conditional.abort();
        conditional = null;
      }
      var button = form.querySelector("button[type=submit]");
      if (button) {
        button.disabled = true;
      }
      showError(form, "");
      run(form, "", undefined).catch(function (err) {
        showError(form, explain(err));
        if (button) {
          button.disabled = false;
        }
      });
    });
    if (form.dataset.conditional) {
      startConditional(form);
    }
  });
})();
