/* Live session client. No inline script (CSP); all text is set with textContent.
   Rooms send only notices; this client then asks for its own view, which the server
   filters through the sharing engine. Minutes pieces are co-edited (yjs); text saved as a whole (final minutes,
   corrections) stays in sessionStorage until saved. */
(function () {
  "use strict";
  var app = document.getElementById("live-app");
  if (!app || typeof io === "undefined") { return; }
  var meetingId = parseInt(app.dataset.overleg, 10);
  var state = null, current = null, openItem = null, lastAnnounced = "";
  var $ = function (id) { return document.getElementById(id); };
  var socket = io("/live", { auth: { csrf: app.dataset.csrf }, transports: ["websocket"] });

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "class") { node.className = attrs[k]; } else if (k in node && k !== "list") { node[k] = attrs[k]; } else { node.setAttribute(k, attrs[k]); }
    });
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }
  function announce(text) {
    if (!text || text === lastAnnounced) { return; }
    lastAnnounced = text;
    var p = el("p", {}, text);
    var region = $("live-meldingen");
    region.appendChild(p);
    while (region.childNodes.length > 5) { region.removeChild(region.firstChild); }
  }
  function showError(text) { var box = $("live-fout"); box.textContent = text || ""; }
  function newId() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    return String(Date.now()) + Math.random().toString(16).slice(2);
  }
  /* send an event; changes carry an id and are retried once with the same id (applied once) */
  function send(name, body, change) {
    body = body || {};
    if (change && !body.id) { body.id = newId(); }
    return new Promise(function (resolve) {
      var tries = 0;
      (function attempt() {
        tries += 1;
        socket.timeout(8000).emit(name, body, function (err, answer) {
          if (err) {
            if (change && tries < 3) { setTimeout(attempt, 1000); return; }
            showError("Geen antwoord van de server. Uw tekst is bewaard in deze browser; probeer het opnieuw.");
            resolve({ ok: false });
            return;
          }
          if (answer && answer.ok === false) { showError(answer.fout); } else { showError(""); }
          if (answer && answer.ok && (change || name === "bewerken")) { stillActive(); }
          resolve(answer || {});
        });
      })();
    });
  }
  /* the user's own action over the socket also keeps the login session of the pages alive (their idle timeout
     reads the cookie, which a socket cannot renew): at most one small request a minute, never for a heartbeat */
  var lastActive = 0;
  function stillActive() {
    if (Date.now() - lastActive < 60000) { return; }
    lastActive = Date.now();
    fetch(app.dataset.actief, { method: "POST", credentials: "same-origin", headers: { "X-CSRFToken": app.dataset.csrf } })
      .catch(function () { /* offline: the next action tries again */ lastActive = 0; });
  }
  var draftKey = function (key) { return "mda-live-" + meetingId + "-" + key; };
  function getDraft(key) { try { return sessionStorage.getItem(draftKey(key)); } catch (e) { return null; } }
  function setDraft(key, value) { try { sessionStorage.setItem(draftKey(key), value); } catch (e) { /* storage full or off */ } }
  function dropDraft(key) { try { sessionStorage.removeItem(draftKey(key)); } catch (e) { /* ignore */ } }

  /* ------------------------------------------------------------ meeting */
  function renderMeeting(o) {
    var before = state;
    state = o;
    $("live-status").textContent = o.status_naam + " · notulen: " + o.notulen_status_naam;
    chairControls(o);
    var agenda = $("live-agenda");
    agenda.textContent = "";
    o.agenda.forEach(function (a) {
      var li = el("li", {});
      var label = a.tijd + " " + a.titel + (a.id === o.huidig_punt ? " (nu aan de orde)" : "");
      if (a.toegang) {
        var b = el("button", { type: "button", class: "utrecht-button utrecht-button--subtle" }, label);
        if (a.id === o.huidig_punt) { b.setAttribute("aria-current", "step"); }
        b.addEventListener("click", function () { openItemView(a.id, true); });
        li.appendChild(b);
      } else {
        li.appendChild(el("span", { class: a.casus ? "mda-muted" : "" }, label));
      }
      agenda.appendChild(li);
    });
    renderPresence(o.aanwezig);
    if (!before || before.huidig_punt !== o.huidig_punt) {
      var cur = o.agenda.filter(function (a) { return a.id === o.huidig_punt; })[0];
      if (cur) { announce("Nu aan de orde: " + cur.titel); }
      if (cur && cur.toegang) { openItemView(cur.id, false); }
      else if (openItem && !o.agenda.some(function (a) { return a.id === openItem && a.toegang; })) { clearItem(); }
    } else if (openItem && !o.agenda.some(function (a) { return a.id === openItem && a.toegang; })) {
      clearItem();
    }
  }
  /* the page brings the buttons only to the chair; a chair handed over during the session gets them here
     (and loses them): the server refuses a step from anyone else either way */
  var CHAIR_STEPS = [["starten", "Overleg starten", true], ["volgende", "Volgend agendapunt"], ["sluiten", "Overleg sluiten"]];
  function chairControls(o) {
    var box = $("live-voorzitter");
    if (!box) { return; }
    if (!o.voorzitter) { box.textContent = ""; box.hidden = true; return; }
    if (!box.querySelector("[data-actie]")) {
      CHAIR_STEPS.forEach(function (step) {
        var b = button(step[1], function () { send(step[0], {}, true); }, step[2]);
        b.dataset.actie = step[0];
        box.appendChild(b);
      });
    }
    box.hidden = o.status === "gesloten";
  }
  function renderPresence(list) {
    var present = $("live-aanwezig");
    present.textContent = "";
    list.forEach(function (p) { present.appendChild(el("li", {}, p.naam + " (" + p.organisatie + ")")); });
  }
  function refreshMeeting() {
    return send("overleg", {}).then(function (a) { if (a.ok) { renderMeeting(a.overleg); } });
  }
  /* presence notices that arrive close together (a room filling up) lead to one fetch, a quarter second later */
  var pending = {};
  function soon(name, fetch) {
    if (pending[name]) { return; }
    pending[name] = setTimeout(function () { pending[name] = null; fetch(); }, 250);
  }
  function refreshPresence() {
    return send("aanwezig", {}).then(function (a) { if (a.ok) { renderPresence(a.aanwezig); } });
  }
  function tick() {
    var t = $("live-timer");
    if (!state || state.status !== "bezig" || !state.punt_gestart) { t.textContent = ""; return; }
    var cur = state.agenda.filter(function (a) { return a.id === state.huidig_punt; })[0];
    var mins = Math.floor((Date.now() - Date.parse(state.punt_gestart)) / 60000);
    t.textContent = "Tijd op dit punt: " + mins + " van " + (cur ? cur.minuten : "?") + " minuten" +
      (cur && mins > cur.minuten ? " (uitgelopen)" : "");
  }
  setInterval(tick, 1000);

  /* ------------------------------------------------------------ item */
  function clearItem() {
    openItem = null; current = null;
    var box = $("live-punt");
    box.textContent = "";
    delete box.dataset.punt;
    box.appendChild(el("p", { class: "utrecht-paragraph mda-muted" }, "Dit agendapunt is niet (meer) voor u zichtbaar."));
    $("live-punt-kop").textContent = "Agendapunt";
    announce("Een agendapunt is niet meer voor u zichtbaar.");
  }
  /* rows of changed pieces pushed while a view of their item is on its way: applied to that view too */
  var pushedWhileFetching = {};
  function mergePieces(view, rows) {
    var added = false;
    rows.forEach(function (row) {
      var at = -1;
      view.stukken.forEach(function (p, i) { if (p.id === row.id) { at = i; } });
      if (at < 0) { view.stukken.push(row); added = true; }
      else if (row.versie >= view.stukken[at].versie) { view.stukken[at] = row; }
    });
    view.stukken.sort(function (a, b) { return a.id - b.id; });
    return added;
  }
  function openItemView(id, focus) {
    if (id !== openItem) { forgetTyping(); }
    pushedWhileFetching[id] = pushedWhileFetching[id] || [];
    return send("punt", { punt: id }).then(function (a) {
      var pushed = pushedWhileFetching[id] || [];
      delete pushedWhileFetching[id];
      if (!a.ok) { if (openItem === id) { clearItem(); } return; }
      openItem = id;
      pushed.forEach(function (rows) { mergePieces(a.punt, rows); });
      renderItem(a.punt);
      a.punt.stukken.forEach(function (p) { if (coDocs[p.id] && coDocs[p.id].synced) { syncDoc(coDocs[p.id]); } });
      if (focus) { $("live-punt-kop").focus(); }
    });
  }
  function field(label, control) {
    var p = el("p", {});
    var id = control.id;
    p.appendChild(el("label", { class: "utrecht-form-label", htmlFor: id }, label));
    p.appendChild(el("br"));
    p.appendChild(control);
    return p;
  }
  function button(text, handler, primary) {
    var b = el("button", { type: "button", class: "utrecht-button " + (primary ? "utrecht-button--primary-action" : "utrecht-button--secondary-action") }, text);
    b.addEventListener("click", handler);
    return b;
  }
  /* "who is typing": the mark goes out at the first key in a piece (with the version the text started from, so
     that a mark overtaken by this user's own save is ignored), and is taken back a few seconds after the last key;
     a save, leaving the item and disconnecting clear it on the server */
  var TYPING_IDLE_MS = 5000;
  var typingMark = null, typingIdle = null;
  function typing(pieceId, version) {
    if (typingMark !== pieceId) {
      typingMark = pieceId;
      send("bewerken", { stuk: pieceId, versie: version });
    }
    clearTimeout(typingIdle);
    typingIdle = setTimeout(stopTyping, TYPING_IDLE_MS);
  }
  function stopTyping() {
    var marked = typingMark;
    forgetTyping();
    if (marked !== null && socket.connected) { send("bewerken", { stuk: null }); }
  }
  /* the server cleared the mark itself (a save, another item, a new connection) */
  function forgetTyping() { clearTimeout(typingIdle); typingIdle = null; typingMark = null; }
  /* ------------------------------------------------------------ keeping what the user typed
     A push or a fetched view updates only what changed: each piece's article is rebuilt only when its row changed,
     and the forms for a new piece and a new action are built once per item and then left alone. Where a part is
     rebuilt, a field the user typed in since it was last sent keeps its value, and the field with focus keeps focus
     and caret. */
  function markDirty(e) { if (e.target && e.target.id) { e.target.dataset.dirty = "1"; } }
  function clean(id, value) {
    var node = $(id);
    if (!node) { return; }
    if (value !== undefined) { node.value = value; }
    delete node.dataset.dirty;
  }
  function byId(container, id) {
    return container.querySelector("#" + (window.CSS && CSS.escape ? CSS.escape(id) : id));
  }
  function replaceKeeping(oldNode, newNode) {
    var active = document.activeElement, focusId = null, start = null, end = null;
    if (active && active.id && oldNode.contains(active)) {
      focusId = active.id;
      try { start = active.selectionStart; end = active.selectionEnd; } catch (e) { /* not a text field */ }
    }
    oldNode.querySelectorAll("input, textarea, select").forEach(function (old) {
      if (!old.id || !old.dataset.dirty) { return; }
      var now = byId(newNode, old.id);
      if (now) { if (old.type === "checkbox") { now.checked = old.checked; } else { now.value = old.value; } now.dataset.dirty = "1"; }
    });
    oldNode.parentNode.replaceChild(newNode, oldNode);
    var f = focusId && byId(newNode, focusId);
    if (f) {
      f.focus();
      if (start !== null && f.setSelectionRange) { try { f.setSelectionRange(start, end); } catch (e) { /* not a text field */ } }
    }
  }
  /* put *node* into *slot*: the first time as it is, later in place of what is there, keeping what was typed */
  function fill(slot, node) {
    if (slot.firstChild) { replaceKeeping(slot.firstChild, node); } else { slot.appendChild(node); }
  }


  /* ------------------------------------------------------------ co-editing (yjs here, pycrdt on the server)
     Each piece this window shows has one Y.Doc, kept apart from the page (a push may rebuild the article). Local
     edits become updates, sent merged at most every FLUSH_MS and kept until the server acknowledges them (after its
     commit): a dropped connection re-sends them, and the server's merge makes a second copy harmless. The
     textarea stays read-only until the first sync, so that nothing typed is diffed against an empty document. */
  var FLUSH_MS = 300, RETRY_MS = 3000;
  var coDocs = {};
  function coEditing() { return typeof Y !== "undefined" && !(state && state.notulen_status === "definitief"); }
  function toB64(bytes) { var t = ""; for (var i = 0; i < bytes.length; i++) { t += String.fromCharCode(bytes[i]); } return btoa(t); }
  function fromB64(text) { var t = atob(text), out = new Uint8Array(t.length); for (var i = 0; i < t.length; i++) { out[i] = t.charCodeAt(i); } return out; }
  function coDoc(id) {
    if (coDocs[id]) { return coDocs[id]; }
    var doc = new Y.Doc();
    var d = coDocs[id] = { id: id, doc: doc, text: doc.getText("tekst"), pending: [], inflight: false, timer: null,
                           synced: false, writable: false, reason: "", versie: 0, note: "Tekst wordt geladen…" };
    doc.on("update", function (update, origin) {
      if (origin === "remote") { return; }
      d.pending.push(update);
      keepPending(d);
      scheduleFlush(d, FLUSH_MS);
    });
    var saved = getDraft("yjs-" + id);  // edits this tab made before a reload that the server never acknowledged
    if (saved) {
      try { var restored = fromB64(saved); d.pending.push(restored); Y.applyUpdate(doc, restored, "remote"); } catch (e) { dropDraft("yjs-" + id); }
    }
    return d;
  }
  /* unacknowledged edits also survive a reload of this tab (sessionStorage), until the server acknowledges them */
  function keepPending(d) {
    if (d.pending.length) { setDraft("yjs-" + d.id, toB64(Y.mergeUpdates(d.pending))); } else { dropDraft("yjs-" + d.id); }
  }
  function coArea(d) { return $("live-stuk-" + d.id); }
  function coNote(d, text) { d.note = text; var p = $("live-samen-" + d.id); if (p) { p.textContent = text; } }
  function scheduleFlush(d, ms) { if (!d.timer) { d.timer = setTimeout(function () { d.timer = null; flush(d); }, ms); } }
  function flush(d) {
    if (d.inflight || !d.pending.length || !socket.connected) { return; }
    var batch = d.pending.length;
    d.inflight = true;
    coNote(d, "Bezig met bewaren…");
    send("stuk_update", { stuk: d.id, update: toB64(Y.mergeUpdates(d.pending.slice(0, batch))) }).then(function (a) {
      d.inflight = false;
      if (a.ok) {
        d.pending = d.pending.slice(batch);
        keepPending(d);
        d.versie = Math.max(d.versie, a.versie || 0);
        coNote(d, d.pending.length ? "Bezig met bewaren…" : "Alles is bewaard.");
        if (d.pending.length) { scheduleFlush(d, FLUSH_MS); }
      } else {
        coNote(d, "Nog niet bewaard; wordt opnieuw geprobeerd.");
        scheduleFlush(d, RETRY_MS);
      }
    });
  }
  function syncDoc(d) {
    if (!socket.connected) { return; }
    flush(d);
    send("stuk_sync", { stuk: d.id, vector: toB64(Y.encodeStateVector(d.doc)) }).then(function (a) {
      if (!a.ok) { return; }
      applyRemote(d, fromB64(a.update));
      d.synced = true; d.writable = !!a.schrijven; d.reason = a.alleen_lezen || "";
      d.versie = Math.max(d.versie, a.versie || 0);
      var ta = coArea(d);
      if (ta) { ta.readOnly = !d.writable; }
      coNote(d, d.writable ? (d.pending.length ? "Bezig met bewaren…" : "Samen bewerken: alles wordt vanzelf bewaard.") : d.reason);
    });
  }
  /* apply the server's (or another writer's) update, keeping this user's caret where it was in the text */
  function applyRemote(d, update) {
    var ta = coArea(d), focused = ta && document.activeElement === ta, from = null, to = null;
    if (focused) {
      from = Y.createRelativePositionFromTypeIndex(d.text, ta.selectionStart);
      to = Y.createRelativePositionFromTypeIndex(d.text, ta.selectionEnd);
    }
    Y.applyUpdate(d.doc, update, "remote");
    if (!ta || ta.value === d.text.toString()) { return; }
    ta.value = d.text.toString();
    if (focused) {
      var a = Y.createAbsolutePositionFromRelativePosition(from, d.doc), b = Y.createAbsolutePositionFromRelativePosition(to, d.doc);
      if (a && b) { ta.setSelectionRange(a.index, b.index); }
    }
  }
  /* what the user changed in the textarea, as the smallest edit between the common beginning and end */
  function applyLocal(d, value) {
    var old = d.text.toString();
    if (old === value) { return; }
    var start = 0, end = 0;
    while (start < old.length && start < value.length && old[start] === value[start]) { start += 1; }
    while (end < old.length - start && end < value.length - start && old[old.length - 1 - end] === value[value.length - 1 - end]) { end += 1; }
    // never cut an emoji (a surrogate pair) in two: widen the edit to the whole character
    var high = function (c) { return c >= 0xD800 && c <= 0xDBFF; }, low = function (c) { return c >= 0xDC00 && c <= 0xDFFF; };
    if (start > 0 && high(old.charCodeAt(start - 1))) { start -= 1; }
    if (end > 0 && low(old.charCodeAt(old.length - end))) { end -= 1; }
    d.doc.transact(function () {
      if (old.length - start - end > 0) { d.text.delete(start, old.length - start - end); }
      if (value.length - start - end > 0) { d.text.insert(start, value.slice(start, value.length - end)); }
    }, "local");
  }
  function coEditField(s, art, taId) {
    var d = coDoc(s.id);
    var ta = el("textarea", { id: taId, class: "utrecht-textarea utrecht-textarea--html-textarea", rows: 4 });
    ta.value = d.synced ? d.text.toString() : s.tekst;
    ta.readOnly = !d.synced || !d.writable;
    ta.addEventListener("input", function () {
      if (!d.synced || !d.writable) { ta.value = d.text.toString(); return; }
      applyLocal(d, ta.value);
      typing(s.id);
    });
    art.appendChild(field("Tekst", ta));
    art.appendChild(el("p", { id: "live-samen-" + s.id, class: "utrecht-paragraph mda-muted", role: "status" }, d.note));
    if (!d.synced) { syncDoc(d); }
  }

  /* ------------------------------------------------------------ pieces */
  function renderPiece(s) {
    var art = el("article", { class: "mda-update" });
    art.dataset.stuk = s.id;
    art.appendChild(el("p", { class: "utrecht-paragraph" }, (s.soort === "besluit" ? "Besluit" : "Notulen") +
      (s.categorie ? " · " + s.categorie : "") + (s.zichtbaar ? " · versie " + s.versie + " · " + s.gewijzigd_door : "")));
    if (!s.zichtbaar) { art.appendChild(el("p", { class: "mda-withheld" }, "Niet gedeeld: " + s.niet_gedeeld)); return art; }
    if (s.bewerkt_door && s.bewerkt_door.length) {
      art.appendChild(el("p", { class: "utrecht-paragraph mda-muted" }, "Bezig met typen: " + s.bewerkt_door.join(", ")));
    }
    if (s.in_escalatie) {
      var mark = el("p", { class: "utrecht-paragraph" });
      mark.appendChild(el("strong", { class: "mda-badge mda-in-escalation" }, "In escalatie"));
      mark.appendChild(document.createTextNode(" "));
      mark.appendChild(el("a", { class: "utrecht-link", href: s.in_escalatie.url }, "escalatie " + s.in_escalatie.referentie));
      mark.appendChild(document.createTextNode(": dit besluit verandert niet tot over de escalatie is besloten."));
      art.appendChild(mark);
      art.appendChild(el("p", { class: "utrecht-paragraph mda-prewrap" }, s.tekst));
      art.appendChild(el("p", { class: "utrecht-paragraph mda-muted" }, "Grondslag: " + s.grondslag));
      (s.afwijkend || []).forEach(function (d) {
        art.appendChild(el("p", { class: "utrecht-paragraph" }, "Afwijkend standpunt van " + d.naam + " (" + d.organisatie + "): " +
          (d.zichtbaar ? d.tekst : "niet gedeeld: " + d.niet_gedeeld)));
      });
      return art;
    }
    var key = "stuk-" + s.id, taId = "live-" + key, conflictId = "live-conflict-" + s.id;
    if (coEditing()) { coEditField(s, art, taId); } else { savedField(s, art, key, taId, conflictId); }
    art.appendChild(el("div", { id: conflictId }));
    art.appendChild(el("p", { class: "utrecht-paragraph mda-muted" }, "Grondslag: " + s.grondslag));
    if (s.soort === "besluit") {
      (s.afwijkend || []).forEach(function (d) {
        art.appendChild(el("p", { class: "utrecht-paragraph" }, "Afwijkend standpunt van " + d.naam + " (" + d.organisatie + "): " +
          (d.zichtbaar ? d.tekst : "niet gedeeld: " + d.niet_gedeeld)));
      });
      if (s.escalatie_url) { art.appendChild(el("a", { class: "utrecht-link", href: s.escalatie_url }, "Escalatie starten")); }
      var whyId = "live-afwijkend-" + s.id;
      var why = el("textarea", { id: whyId, class: "utrecht-textarea utrecht-textarea--html-textarea", rows: 2 });
      art.appendChild(field("Ik ben het niet eens, omdat", why));
      art.appendChild(button("Afwijkend standpunt vastleggen", function () {
        var now = $(whyId) || why;
        send("afwijkend", { stuk: s.id, reden: now.value }, true).then(function (a) { if (a.ok) { clean(whyId, ""); } });
      }));
    }
    return art;
  }
  /* final minutes (or no yjs): the text is saved as a whole with the version it started from (corrections name a
     reason); a save that started from an older version is refused with the current text to compare */
  function savedField(s, art, key, taId, conflictId) {
    var draft = getDraft(key);
    var ta = el("textarea", { id: taId, class: "utrecht-textarea utrecht-textarea--html-textarea", rows: 4 });
    ta.value = draft !== null ? draft : s.tekst;
    ta.dataset.versie = (draft !== null && getDraft(key + "-versie")) || s.versie;
    ta.addEventListener("input", function () { setDraft(key, ta.value); setDraft(key + "-versie", ta.dataset.versie); typing(s.id, parseInt(ta.dataset.versie, 10)); });
    art.appendChild(field("Tekst", ta));
    if (draft !== null && draft !== s.tekst) { art.appendChild(el("p", { class: "utrecht-paragraph mda-muted" }, "Niet opgeslagen wijzigingen (bewaard in deze browser).")); }
    var reason = null;
    if (state && state.notulen_status === "definitief") {
      reason = el("input", { id: "live-reden-" + s.id, class: "utrecht-textbox utrecht-textbox--html-input" });
      art.appendChild(field("Reden van de correctie", reason));
    }
    art.appendChild(button("Opslaan", function () {
      send("stuk_opslaan", { stuk: s.id, versie: parseInt(ta.dataset.versie, 10), tekst: ta.value, reden: reason ? reason.value : "" }, true)
        .then(function (a) {
          /* the push of this save may have rebuilt the article meanwhile: work on what is on the page now */
          var conflict = $(conflictId), now = $(taId);
          if (conflict) { conflict.textContent = ""; }
          if (a.ok) {
            forgetTyping(); dropDraft(key); dropDraft(key + "-versie");
            if (now) { now.dataset.versie = a.versie; }
            clean(taId); clean("live-reden-" + s.id, "");
            announce("Opgeslagen.");
            return;
          }
          if (a.verouderd && conflict) {
            conflict.appendChild(el("h3", { class: "utrecht-heading-3" }, "Intussen opgeslagen door iemand anders (versie " + a.versie + ")"));
            conflict.appendChild(el("p", { class: "utrecht-paragraph mda-prewrap" }, a.huidige_tekst));
            conflict.appendChild(el("p", { class: "utrecht-paragraph" }, "Uw eigen tekst staat nog in het tekstvak. Voeg samen en sla opnieuw op."));
            if (now) { now.dataset.versie = a.versie; }
            setDraft(key + "-versie", a.versie);
          }
        });
    }, true));
  }
  /* the pieces in order; an article is rebuilt only when its row (or the minutes' status) changed */
  function renderPieces(it, slot) {
    var old = {};
    Array.prototype.forEach.call(slot.children, function (node) { if (node.dataset.stuk) { old[node.dataset.stuk] = node; } });
    var status = state ? state.notulen_status : "";
    var empty = slot.querySelector(".mda-geen-stukken");
    if (!it.stukken.length && !empty) { slot.appendChild(el("p", { class: "utrecht-paragraph mda-muted mda-geen-stukken" }, "Nog geen notulen of besluiten.")); }
    if (it.stukken.length && empty) { slot.removeChild(empty); }
    var before = null;
    it.stukken.slice().reverse().forEach(function (s) {
      var key = status + JSON.stringify(s), node = old[s.id];
      delete old[s.id];
      if (!node || node.dataset.key !== key) {
        var fresh = renderPiece(s);
        fresh.dataset.key = key;
        if (node) { replaceKeeping(node, fresh); } else { slot.insertBefore(fresh, before || null); }
        node = fresh;
      }
      if (node.nextSibling !== before) { slot.insertBefore(node, before); }
      before = node;
    });
    Object.keys(old).forEach(function (id) { slot.removeChild(old[id]); });
  }

  /* ------------------------------------------------------------ forms, built once per item */
  function newPieceForm(it) {
    var form = el("div", {});
    var kind = el("select", { id: "live-nieuw-soort", class: "utrecht-select utrecht-select--html-select" });
    kind.appendChild(el("option", { value: "notulen" }, "Notulen"));
    kind.appendChild(el("option", { value: "besluit" }, "Besluit"));
    var cat = el("select", { id: "live-nieuw-categorie", class: "utrecht-select utrecht-select--html-select" });
    it.categorieen.forEach(function (c) { var o = el("option", { value: c.code }, c.naam + (c.bijzonder ? " (bijzonder)" : "")); if (c.code === "overleg") { o.selected = true; } cat.appendChild(o); });
    var text = el("textarea", { id: "live-nieuw-tekst", class: "utrecht-textarea utrecht-textarea--html-textarea", rows: 3 });
    var nkey = "nieuw-" + it.punt;
    text.value = getDraft(nkey) || "";
    text.addEventListener("input", function () { setDraft(nkey, text.value); });
    form.appendChild(field("Soort", kind)); form.appendChild(field("Categorie", cat)); form.appendChild(field("Nieuwe tekst", text));
    form.appendChild(button("Toevoegen", function () {
      send("stuk_nieuw", { punt: it.punt, soort: kind.value, categorie: cat.value, tekst: text.value }, true)
        .then(function (a) { if (a.ok) { dropDraft(nkey); clean(text.id, ""); announce("Toegevoegd."); } });
    }));
    return form;
  }
  function actionForm(it) {
    var form = el("div", {});
    var what = el("textarea", { id: "live-actie-tekst", class: "utrecht-textarea utrecht-textarea--html-textarea", rows: 2 });
    var akey = "actie-" + it.punt;
    what.value = getDraft(akey) || "";
    what.addEventListener("input", function () { setDraft(akey, what.value); });
    var when = el("input", { id: "live-actie-deadline", type: "date", class: "utrecht-textbox utrecht-textbox--html-input" });
    /* no owner is chosen for the user: an action without one is refused ("Kies een eigenaar"), as on the plan page */
    var owner = el("select", { id: "live-actie-eigenaar", class: "utrecht-select utrecht-select--html-select", required: true });
    owner.appendChild(el("option", { value: "" }, "Kies een eigenaar"));
    (it.eigenaren || []).forEach(function (o) { owner.appendChild(el("option", { value: o.waarde }, o.naam)); });
    /* a deadline before today is stored only when confirmed (the server says so when it is not) */
    var past = el("input", { id: "live-actie-bevestigd", type: "checkbox", class: "utrecht-checkbox utrecht-checkbox--html-input" });
    var pastLabel = el("label", { class: "utrecht-form-label", htmlFor: past.id });
    pastLabel.appendChild(past);
    pastLabel.appendChild(document.createTextNode(" Ja, de termijn ligt bewust vóór vandaag"));
    form.appendChild(field("Omschrijving van de actie", what));
    form.appendChild(field("Termijn", when));
    form.appendChild(el("p", {})).appendChild(pastLabel);
    form.appendChild(field("Eigenaar", owner));
    form.appendChild(button("Actie vastleggen", function () {
      var body = { punt: it.punt, omschrijving: what.value, deadline: when.value, termijn_bevestigd: past.checked };
      var chosen = owner.value || "";
      if (chosen === "gezin") { body.eigenaar_gezin = true; }
      else if (chosen.indexOf("u:") === 0) { body.eigenaar_gebruiker = parseInt(chosen.slice(2), 10); }
      else if (chosen.indexOf("o:") === 0) { body.eigenaar_organisatie = parseInt(chosen.slice(2), 10); }
      send("actie", body, true).then(function (a) {
        if (a.ok) { dropDraft(akey); clean(what.id, ""); clean(when.id, ""); clean(owner.id, ""); past.checked = false; clean(past.id); announce("Actie vastgelegd."); }
      });
    }));
    return form;
  }
  /* a form is built again only when what it offers changed (another item, the minutes' or meeting's status) */
  function keepForm(slot, key, build) {
    if (slot.dataset.key === key) { return; }
    slot.dataset.key = key;
    var form = key ? build() : el("div", {});
    fill(slot, form);
  }

  /* ------------------------------------------------------------ the other parts of an item */
  function scorePart(it) {
    var part = el("div", {});
    var sc = it.score;
    if (sc.open) {
      part.appendChild(el("p", { class: "utrecht-paragraph" }, "Scoreronde loopt: " + sc.open.gescoord + " van " + sc.open.verwacht +
        " organisaties hebben gescoord. Scores blijven verborgen tot iedereen heeft gescoord." + (sc.open.mijn_score !== null ? " Uw score: " + sc.open.mijn_score + "." : "")));
      var score = el("input", { id: "live-score", type: "number", min: "0", max: "10", class: "utrecht-textbox utrecht-textbox--html-input" });
      part.appendChild(field("Uw score (0–10)", score));
      part.appendChild(button("Score geven", function () {
        var now = $("live-score") || score;
        send("score", { punt: it.punt, score: now.value }, true).then(function (a) { if (a.ok) { clean("live-score", ""); } });
      }));
    }
    if (state && state.voorzitter && state.status === "bezig") {
      part.appendChild(button(sc.open ? "Scoreronde sluiten" : "Scoreronde openen", function () {
        send(sc.open ? "ronde_sluiten" : "ronde_open", { punt: it.punt }, true);
      }));
    }
    sc.rondes.forEach(function (r) {
      part.appendChild(el("p", { class: "utrecht-paragraph" }, "Ronde gesloten " + r.gesloten + ": " +
        (r.scores.map(function (x) { return x.organisatie + " " + x.score; }).join(", ") || "geen scores")));
    });
    return part;
  }
  function actionsPart(it) {
    var list = el("ul", { class: "utrecht-unordered-list", id: "live-acties" });
    it.acties.forEach(function (a) {
      list.appendChild(el("li", {}, (a.zichtbaar ? a.tekst : "Niet gedeeld: " + a.niet_gedeeld) + (a.eigenaar ? " · eigenaar: " + a.eigenaar : "") + " · deadline " + a.deadline));
    });
    return list;
  }
  function updatesPart(it) {
    var part = el("div", {});
    if (it.updates.length) {
      part.appendChild(el("h3", { class: "utrecht-heading-3" }, "Updates vóór het overleg"));
      it.updates.forEach(function (u) {
        part.appendChild(el("p", { class: "utrecht-paragraph" }, u.organisatie + " (" + u.ingediend + "): " + (u.zichtbaar ? u.tekst : "niet gedeeld: " + u.niet_gedeeld)));
      });
    }
    if ((it.documenten || []).length) {  /* each row is the engine's view for this viewer: no title when withheld */
      part.appendChild(el("h3", { class: "utrecht-heading-3" }, "Documenten bij de updates"));
      it.documenten.forEach(function (d) {
        var p = el("p", { class: "utrecht-paragraph mda-live-document" }, d.bron + ": ");
        if (d.zichtbaar) {
          p.appendChild(document.createTextNode("Document: " + d.titel + " · "));
          p.appendChild(el("a", { class: "utrecht-link", href: d.download }, "Document nr. " + d.nummer + " downloaden"));
        } else {
          p.appendChild(el("span", { class: "mda-withheld" }, "Document: niet gedeeld: " + d.niet_gedeeld));
        }
        part.appendChild(p);
      });
    }
    return part;
  }
  /* only a part whose content changed is put in again (a part without fields is simply replaced) */
  function update(slot, key, build) {
    if (slot.dataset.key === key) { return; }
    slot.dataset.key = key;
    fill(slot, build());
  }
  function renderItem(it) {
    var box = $("live-punt");
    current = it;
    $("live-punt-kop").textContent = it.titel + " (gepland " + it.minuten + " minuten)";
    if (box.dataset.punt !== String(it.punt)) {  // another item: a fresh skeleton
      box.textContent = "";
      box.dataset.punt = it.punt;
      box.appendChild(el("h3", { class: "utrecht-heading-3" }, "Notulen en besluiten"));
      ["live-stukken", "live-nieuw", null, "live-score-deel", null, "live-acties-deel", "live-actie-form", "live-updates"].forEach(function (id, i) {
        if (id === null) { box.appendChild(el("h3", { class: "utrecht-heading-3" }, i === 2 ? "Veiligheidsscore" : "Acties")); return; }
        box.appendChild(el("div", { id: id }));
      });
    }
    renderPieces(it, $("live-stukken"));
    keepForm($("live-nieuw"), state && state.notulen_status === "concept" ? [it.punt, JSON.stringify(it.categorieen)].join("|") : "",
      function () { return newPieceForm(it); });
    update($("live-score-deel"), JSON.stringify([it.score, state && state.voorzitter, state && state.status]), function () { return scorePart(it); });
    update($("live-acties-deel"), JSON.stringify(it.acties), function () { return actionsPart(it); });
    keepForm($("live-actie-form"), state && state.status !== "gesloten" ? [it.punt, JSON.stringify(it.eigenaren)].join("|") : "",
      function () { return actionForm(it); });
    update($("live-updates"), JSON.stringify([it.updates, it.documenten]), function () { return updatesPart(it); });
  }

  /* ------------------------------------------------------------ wiring */
  $("live-punt").addEventListener("input", markDirty);
  $("live-punt").addEventListener("change", markDirty);
  document.querySelectorAll("#live-voorzitter [data-actie]").forEach(function (b) {
    b.addEventListener("click", function () { send(b.dataset.actie, {}, true); });
  });
  socket.on("connect", function () {
    $("live-verbinding").textContent = "Verbonden. Wijzigingen verschijnen vanzelf.";
    forgetTyping();  // a new socket: nothing of this window is marked yet
    send("deelnemen", { overleg: meetingId }).then(function (a) {
      if (!a.ok) { return; }
      state = null;
      renderMeeting(a.overleg);
      if (openItem && a.overleg.huidig_punt !== openItem) { openItemView(openItem, false); }
      Object.keys(coDocs).forEach(function (id) { if (coDocs[id].synced) { syncDoc(coDocs[id]); } });  // re-send unsent edits
    });
  });
  // heartbeat: keeps this window in the presence list (a window not heard of for 90 s drops out of it)
  setInterval(function () { if (socket.connected) { socket.emit("hier", {}); } }, 30000);
  /* the login session ended (idle timeout, lifetime, logged out elsewhere): the server disconnects this socket;
     no reconnecting, the page says so and offers the login link (what was typed stays in this browser) */
  var ended = false;
  socket.on("sessie_verlopen", function (m) {
    ended = true;
    socket.disconnect();
    var status = $("live-verbinding");
    status.textContent = ((m && m.fout) || "Uw sessie is verlopen.") + " Wat u typte is bewaard in deze browser. ";
    status.appendChild(el("a", { class: "utrecht-link", href: app.dataset.inloggen }, "Opnieuw inloggen"));
    showError(m && m.fout);
  });
  socket.on("disconnect", function () {
    if (ended) { return; }
    $("live-verbinding").textContent = "Verbinding verbroken; opnieuw verbinden… Wat u typt blijft bewaard.";
  });
  socket.on("connect_error", function (err) {
    $("live-verbinding").textContent = (err && err.message ? err.message + " " : "") + "Gebruik anders de overlegpagina.";
  });
  socket.on("fout", function (m) { showError(m && m.fout); });
  socket.on("melding", function (m) {
    if (m.soort === "overleg") { refreshMeeting(); }
    if (m.soort === "aanwezig") { soon("aanwezig", refreshPresence); }
    if (m.soort === "stuk" && coDocs[m.stuk] && coDocs[m.stuk].synced) { syncDoc(coDocs[m.stuk]); }  // written via another process
    if (m.soort === "punt" && m.punt === openItem) {
      var before = current ? JSON.stringify([current.stukken.length, current.acties.length]) : "";
      openItemView(openItem, false).then(function () {
        if (current && before && before !== JSON.stringify([current.stukken.length, current.acties.length])) { announce("Nieuwe notulen, besluiten of acties bij " + current.titel + "."); }
      });
    }
  });
  /* the server pushes the changed minutes and decisions as this user may see them (the engine decided) */
  socket.on("stuk", function (m) {
    if (pushedWhileFetching[m.punt]) { pushedWhileFetching[m.punt].push(m.stukken); }
    if (!current || m.punt !== openItem || current.punt !== m.punt) { return; }
    m.stukken.forEach(function (row) {  // a form save or a correction changed a co-edited text: fetch the update
      var d = coDocs[row.id];
      if (d && d.synced && row.versie > d.versie) { syncDoc(d); }
    });
    var added = mergePieces(current, m.stukken);
    renderItem(current);
    if (added) { announce("Nieuwe notulen of besluiten bij " + current.titel + "."); }
  });
  /* another writer's update of a piece this user may see (the server asked the engine for this socket) */
  socket.on("stuk_update", function (m) {
    var d = coDocs[m.stuk];
    if (d) { applyRemote(d, fromB64(m.update)); }
  });
  socket.on("controle", function () {
    refreshMeeting().then(function () { if (openItem) { openItemView(openItem, false); } });
  });
})();
