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

  function finish(form, cred) {
    var fields = new URLSearchParams(new FormData(form));
    fields.set("credential", credentialJSON(cred));
    return post(form.dataset.finish, fields);
  }

  // run performs the form's ceremony with the browser's own dialog.
  function run(form) {
    return post(form.dataset.begin, new URLSearchParams(new FormData(form))).then(function (options) {
      if (form.dataset.passkey === "register") {
        return navigator.credentials.create({ publicKey: creationOptions(options) });
      }
      return navigator.credentials.get({ publicKey: requestOptions(options) });
    }).then(function (cred) {
      return finish(form, cred);
    }).then(function (done) {
      window.location.assign(done.redirect);
    });
  }

  // The pending autofill (conditional mediation) request of the login
  // page, if any: its ceremony, whose challenge the button reuses, so the
  // two never race for the one ceremony cookie.
  var conditional = null;
  // pressed: the person started a ceremony, so no autofill request starts
  // any more (two ceremonies would race for the one ceremony cookie).
  var pressed = false;
  var reuseFor = 4 * 60 * 1000; // the server keeps a challenge 5 minutes

  function startConditional(form) {
    if (!PublicKeyCredential.isConditionalMediationAvailable) {
      return;
    }
    PublicKeyCredential.isConditionalMediationAvailable().then(function (ok) {
      if (!ok || pressed) {
        return;
      }
      var c = { controller: new AbortController(), started: Date.now(), aborted: false, finished: false };
      c.options = post(form.dataset.begin, new URLSearchParams(new FormData(form)));
      c.done = c.options.then(function (options) {
        return navigator.credentials.get({ publicKey: requestOptions(options), mediation: "conditional", signal: c.controller.signal });
      }).then(function (cred) {
        return finish(form, cred);
      }).then(function (done) {
        c.finished = true;
        window.location.assign(done.redirect);
      });
      c.done.catch(function (err) {
        if (!c.aborted) {
          showError(form, explain(err));
        }
      });
      conditional = c;
    });
  }

  // fromConditional answers the button with the autofill's ceremony: it
  // stops the autofill request and asks again, in the browser's dialog,
  // for the same challenge.
  function fromConditional(form, c) {
    c.aborted = true;
    c.controller.abort();
    return c.done.catch(function () {}).then(function () {
      if (c.finished) {
        return null;
      }
      return c.options.then(function (options) {
        return navigator.credentials.get({ publicKey: requestOptions(options) });
      }).then(function (cred) {
        return finish(form, cred);
      }).then(function (done) {
        window.location.assign(done.redirect);
      });
    });
  }

  document.querySelectorAll("form[data-passkey]").forEach(function (form) {
    form.hidden = false;
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      pressed = true;
      var c = conditional;
      conditional = null;
      var button = form.querySelector("button[type=submit]");
      if (button) {
        button.disabled = true;
      }
      showError(form, "");
      var ceremony;
      if (c && Date.now() - c.started < reuseFor) {
        ceremony = fromConditional(form, c);
      } else {
        if (c) {
          c.aborted = true;
          c.controller.abort();
        }
        ceremony = run(form);
      }
      ceremony.catch(function (err) {
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
