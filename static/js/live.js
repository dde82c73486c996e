/* Live session client. No inline script (CSP); all text is set with textContent.
   Rooms send only notices; this client then asks for its own view, which the server
   filters through the sharing engine. Unsaved text stays in sessionStorage until saved. */
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
          resolve(answer || {});
        });
      })();
    });
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
  function renderPiece(s, box) {
    var art = el("article", { class: "mda-update" });
    art.appendChild(el("p", { class: "utrecht-paragraph" }, (s.soort === "besluit" ? "Besluit" : "Notulen") +
      (s.categorie ? " · " + s.categorie : "") + (s.zichtbaar ? " · versie " + s.versie + " · " + s.gewijzigd_door : "")));
    if (!s.zichtbaar) { art.appendChild(el("p", { class: "mda-withheld" }, "Niet gedeeld: " + s.niet_gedeeld)); box.appendChild(art); return; }
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
      box.appendChild(art);
      return;
    }
    var key = "stuk-" + s.id;
    var draft = getDraft(key);
    var ta = el("textarea", { id: "live-" + key, class: "utrecht-textarea utrecht-textarea--html-textarea", rows: 4 });
    ta.value = draft !== null ? draft : s.tekst;
    ta.dataset.versie = getDraft(key + "-versie") || s.versie;
    if (draft === null) { ta.dataset.versie = s.versie; }
    ta.addEventListener("input", function () { setDraft(key, ta.value); setDraft(key + "-versie", ta.dataset.versie); typing(s.id, parseInt(ta.dataset.versie, 10)); });
    art.appendChild(field("Tekst", ta));
    if (draft !== null && draft !== s.tekst) { art.appendChild(el("p", { class: "utrecht-paragraph mda-muted" }, "Niet opgeslagen wijzigingen (bewaard in deze browser).")); }
    var reason = null;
    if (state && state.notulen_status === "definitief") {
      reason = el("input", { id: "live-reden-" + s.id, class: "utrecht-textbox utrecht-textbox--html-input" });
      art.appendChild(field("Reden van de correctie", reason));
    }
    var conflict = el("div", {});
    art.appendChild(button("Opslaan", function () {
      send("stuk_opslaan", { stuk: s.id, versie: parseInt(ta.dataset.versie, 10), tekst: ta.value, reden: reason ? reason.value : "" }, true)
        .then(function (a) {
          conflict.textContent = "";
          if (a.ok) { forgetTyping(); dropDraft(key); dropDraft(key + "-versie"); announce("Opgeslagen."); return; }
          if (a.verouderd) {
            conflict.appendChild(el("h3", { class: "utrecht-heading-3" }, "Intussen opgeslagen door iemand anders (versie " + a.versie + ")"));
            conflict.appendChild(el("p", { class: "utrecht-paragraph mda-prewrap" }, a.huidige_tekst));
            conflict.appendChild(el("p", { class: "utrecht-paragraph" }, "Uw eigen tekst staat nog in het tekstvak. Voeg samen en sla opnieuw op."));
            ta.dataset.versie = a.versie; setDraft(key + "-versie", a.versie);
          }
        });
    }, true));
    art.appendChild(conflict);
    art.appendChild(el("p", { class: "utrecht-paragraph mda-muted" }, "Grondslag: " + s.grondslag));
    if (s.soort === "besluit") {
      (s.afwijkend || []).forEach(function (d) {
        art.appendChild(el("p", { class: "utrecht-paragraph" }, "Afwijkend standpunt van " + d.naam + " (" + d.organisatie + "): " +
          (d.zichtbaar ? d.tekst : "niet gedeeld: " + d.niet_gedeeld)));
      });
      if (s.escalatie_url) { art.appendChild(el("a", { class: "utrecht-link", href: s.escalatie_url }, "Escalatie starten")); }
      var why = el("textarea", { id: "live-afwijkend-" + s.id, class: "utrecht-textarea utrecht-textarea--html-textarea", rows: 2 });
      art.appendChild(field("Ik ben het niet eens, omdat", why));
      art.appendChild(button("Afwijkend standpunt vastleggen", function () {
        send("afwijkend", { stuk: s.id, reden: why.value }, true).then(function (a) { if (a.ok) { why.value = ""; } });
      }));
    }
    box.appendChild(art);
  }
  function renderItem(it) {
    var focusId = document.activeElement && document.activeElement.id;
    var caret = document.activeElement && document.activeElement.selectionStart;
    current = it;
    $("live-punt-kop").textContent = it.titel + " (gepland " + it.minuten + " minuten)";
    var box = $("live-punt");
    box.textContent = "";
    box.appendChild(el("h3", { class: "utrecht-heading-3" }, "Notulen en besluiten"));
    if (!it.stukken.length) { box.appendChild(el("p", { class: "utrecht-paragraph mda-muted" }, "Nog geen notulen of besluiten.")); }
    it.stukken.forEach(function (s) { renderPiece(s, box); });
    if (state && state.notulen_status === "concept") {
      var kind = el("select", { id: "live-nieuw-soort", class: "utrecht-select utrecht-select--html-select" });
      kind.appendChild(el("option", { value: "notulen" }, "Notulen"));
      kind.appendChild(el("option", { value: "besluit" }, "Besluit"));
      var cat = el("select", { id: "live-nieuw-categorie", class: "utrecht-select utrecht-select--html-select" });
      it.categorieen.forEach(function (c) { var o = el("option", { value: c.code }, c.naam + (c.bijzonder ? " (bijzonder)" : "")); if (c.code === "overleg") { o.selected = true; } cat.appendChild(o); });
      var text = el("textarea", { id: "live-nieuw-tekst", class: "utrecht-textarea utrecht-textarea--html-textarea", rows: 3 });
      var nkey = "nieuw-" + it.punt;
      text.value = getDraft(nkey) || "";
      text.addEventListener("input", function () { setDraft(nkey, text.value); });
      box.appendChild(field("Soort", kind)); box.appendChild(field("Categorie", cat)); box.appendChild(field("Nieuwe tekst", text));
      box.appendChild(button("Toevoegen", function () {
        send("stuk_nieuw", { punt: it.punt, soort: kind.value, categorie: cat.value, tekst: text.value }, true)
          .then(function (a) { if (a.ok) { dropDraft(nkey); text.value = ""; announce("Toegevoegd."); } });
      }));
    }
    /* scores */
    box.appendChild(el("h3", { class: "utrecht-heading-3" }, "Veiligheidsscore"));
    var sc = it.score;
    if (sc.open) {
      box.appendChild(el("p", { class: "utrecht-paragraph" }, "Scoreronde loopt: " + sc.open.gescoord + " van " + sc.open.verwacht +
        " organisaties hebben gescoord. Scores blijven verborgen tot iedereen heeft gescoord." + (sc.open.mijn_score !== null ? " Uw score: " + sc.open.mijn_score + "." : "")));
      var score = el("input", { id: "live-score", type: "number", min: "0", max: "10", class: "utrecht-textbox utrecht-textbox--html-input" });
      box.appendChild(field("Uw score (0–10)", score));
      box.appendChild(button("Score geven", function () { send("score", { punt: it.punt, score: score.value }, true); }));
    }
    if (state && state.voorzitter && state.status === "bezig") {
      box.appendChild(button(sc.open ? "Scoreronde sluiten" : "Scoreronde openen", function () {
        send(sc.open ? "ronde_sluiten" : "ronde_open", { punt: it.punt }, true);
      }));
    }
    sc.rondes.forEach(function (r) {
      box.appendChild(el("p", { class: "utrecht-paragraph" }, "Ronde gesloten " + r.gesloten + ": " +
        (r.scores.map(function (x) { return x.organisatie + " " + x.score; }).join(", ") || "geen scores")));
    });
    /* actions */
    box.appendChild(el("h3", { class: "utrecht-heading-3" }, "Acties"));
    var list = el("ul", { class: "utrecht-unordered-list", id: "live-acties" });
    it.acties.forEach(function (a) {
      list.appendChild(el("li", {}, (a.zichtbaar ? a.tekst : "Niet gedeeld: " + a.niet_gedeeld) + " · eigenaar: " + a.eigenaar + " · deadline " + a.deadline));
    });
    box.appendChild(list);
    if (state && state.status !== "gesloten") {
      var what = el("textarea", { id: "live-actie-tekst", class: "utrecht-textarea utrecht-textarea--html-textarea", rows: 2 });
      var akey = "actie-" + it.punt;
      what.value = getDraft(akey) || "";
      what.addEventListener("input", function () { setDraft(akey, what.value); });
      var when = el("input", { id: "live-actie-deadline", type: "date", class: "utrecht-textbox utrecht-textbox--html-input" });
      var owner = el("select", { id: "live-actie-eigenaar", class: "utrecht-select utrecht-select--html-select" });
      (it.eigenaren || []).forEach(function (o) {
        var opt = el("option", { value: o.waarde }, o.naam);
        if (o.waarde === "o:" + app.dataset.organisatie) { opt.selected = true; }
        owner.appendChild(opt);
      });
      box.appendChild(field("Omschrijving van de actie", what));
      box.appendChild(field("Deadline", when));
      box.appendChild(field("Eigenaar", owner));
      box.appendChild(button("Actie vastleggen", function () {
        var body = { punt: it.punt, omschrijving: what.value, deadline: when.value };
        var chosen = owner.value || "";
        if (chosen === "gezin") { body.eigenaar_gezin = true; }
        else if (chosen.indexOf("u:") === 0) { body.eigenaar_gebruiker = parseInt(chosen.slice(2), 10); }
        else if (chosen.indexOf("o:") === 0) { body.eigenaar_organisatie = parseInt(chosen.slice(2), 10); }
        send("actie", body, true).then(function (a) { if (a.ok) { dropDraft(akey); what.value = ""; announce("Actie vastgelegd."); } });
      }));
    }
    /* pre-meeting updates */
    if (it.updates.length) {
      box.appendChild(el("h3", { class: "utrecht-heading-3" }, "Updates vóór het overleg"));
      it.updates.forEach(function (u) {
        box.appendChild(el("p", { class: "utrecht-paragraph" }, u.organisatie + " (" + u.ingediend + "): " + (u.zichtbaar ? u.tekst : "niet gedeeld: " + u.niet_gedeeld)));
      });
    }
    if (focusId && $(focusId)) { var f = $(focusId); f.focus(); if (caret !== undefined && f.setSelectionRange) { try { f.setSelectionRange(caret, caret); } catch (e) { /* not a text field */ } } }
  }

  /* ------------------------------------------------------------ wiring */
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
    });
  });
  // heartbeat: keeps this window in the presence list (a window not heard of for 90 s drops out of it)
  setInterval(function () { if (socket.connected) { socket.emit("hier", {}); } }, 30000);
  socket.on("disconnect", function () {
    $("live-verbinding").textContent = "Verbinding verbroken; opnieuw verbinden… Wat u typt blijft bewaard.";
  });
  socket.on("connect_error", function (err) {
    $("live-verbinding").textContent = (err && err.message ? err.message + " " : "") + "Gebruik anders de overlegpagina.";
  });
  socket.on("fout", function (m) { showError(m && m.fout); });
  socket.on("melding", function (m) {
    if (m.soort === "overleg") { refreshMeeting(); }
    if (m.soort === "aanwezig") { soon("aanwezig", refreshPresence); }
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
    var added = mergePieces(current, m.stukken);
    renderItem(current);
    if (added) { announce("Nieuwe notulen of besluiten bij " + current.titel + "."); }
  });
  socket.on("controle", function () {
    refreshMeeting().then(function () { if (openItem) { openItemView(openItem, false); } });
  });
})();
