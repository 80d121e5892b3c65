"""The class game's one page: plain HTML and JavaScript, served by :mod:`sim.classroom.classserver`.

The same page serves the teacher (token in the address's ``#teacher=`` part, moved to the
tab's sessionStorage and out of the address bar at once), a seat (token kept in the tab's
sessionStorage after joining), the public plenary and, at ``/projector``, a projector
screen (join code, QR code, the seats; its key comes from the server, never from its
address); it polls ``/api/state`` every second and renders what the token may see. A
government seat signs or refuses at a summit and may hand in a counter-proposal in any
round; a company seat votes which standards its companies adopt. When the game ends the
debrief comes first, in sentences, the numbers after. Nothing is loaded from outside.
"""

PAGE = r"""<!DOCTYPE html><html lang=en><head><meta charset=utf-8><title>simrun class</title>
<meta name=viewport content="width=device-width,initial-scale=1"><meta name=referrer content=no-referrer><link rel=icon href="data:,">
<style>
*{box-sizing:border-box} body{font-family:system-ui,sans-serif;max-width:60rem;margin:1rem auto;padding:0 .8rem;color:#222;overflow-wrap:anywhere}
h1{font-size:1.4rem} h2{font-size:1.1rem;border-bottom:1px solid #ccc;margin-top:1.4rem} h3{font-size:1rem}
table{border-collapse:collapse;font-size:.9rem;max-width:100%} td,th{border:1px solid #ccc;padding:.2rem .45rem;text-align:left}
.scroll{overflow-x:auto;max-width:100%} td.n{text-align:right} button{margin:.15rem;padding:.35rem .8rem;font-size:.95rem}
#plenary{max-height:18rem;overflow-y:auto;border:1px solid #ddd;padding:.4rem;font-size:.92rem}
.err{color:#a00} .meta{color:#666;font-size:.9rem} .on,.ours{background:#1565c0;color:#fff} .note{background:#fff8e1;padding:.4rem;border-left:4px solid #f9a825}
input.x{width:4.2rem} input,select{max-width:100%} #classline p{font-size:1.05rem;margin:.45rem 0}
#proj .code{font-size:3.2rem;font-weight:bold;letter-spacing:.2rem} #proj .grid{display:flex;flex-wrap:wrap;gap:1rem;align-items:flex-start}
#proj .seatcard{border:1px solid #ccc;padding:.5rem;min-width:11rem} #proj svg{width:16rem;height:16rem} #proj .pair{font-size:2.6rem;font-weight:bold}
body.projector{max-width:90rem;font-size:1.2rem}
@media (max-width:600px){body{margin:.4rem auto} table{font-size:.8rem} td,th{padding:.15rem .25rem} button{padding:.5rem .7rem}}
</style></head><body>
<h1 id=title>simrun — class game</h1>
<div id=status class=meta></div><div id=summitline class=note hidden></div><div id=error class=err></div><div id=notice class=note hidden></div>
<div id=debrief hidden><h2>Debrief</h2><div id=debrieftext></div></div>
<div id=proj hidden></div>
<div id=join hidden><h2>Join the game</h2>
<label>Join code <input id=code size=10 autocomplete=off autocapitalize=characters></label> <label>Team name <input id=team size=14></label>
<label>Seat <select id=seatpick></select></label> <button id=joinbtn>Take this seat</button>
<p class=meta>Several devices or teams may join one seat (a delegation): the seat votes as most of its members do.</p></div>
<div id=teacher hidden><h2>Teacher</h2><div id=joincode></div>
<p><button id=projbtn>Open the projector view</button> <label>or pair a projector: code <input id=paircode size=7></label> <button id=pairbtn>Pair</button> <span id=screens class=meta></span></p>
<label>Round timer (s) <input id=seconds size=4 value=90></label>
<button id=open>Open round</button><button id=close>Close round</button>
<button id=pause>Pause</button><button id=resume>Resume</button><button id=end>End the game</button>
<div id=eventbtns></div><div id=votes class=meta></div><div id=counters class=meta></div>
<h3>The room</h3><p><button id=lockbtn>Lock joining</button> <label>Members per seat <input id=cap size=3></label> <button id=capbtn>Set</button></p>
<div id=roster class=scroll></div></div>
<div id=seat hidden><h2 id=seatname></h2>
<div id=govseat hidden>
<h3>The text on the table and your utility for it</h3><div id=signnote class=note></div><div id=utility class=scroll></div>
<div id=votebtns><button id=v_accept>Sign</button><button id=v_reject>Refuse</button>
<button id=v_auto>Let our agent decide</button></div>
<h3>Counter-proposal</h3>
<p class=meta>Change the chair's text where you want it different; the chair tables your text only if, by its own
objective (its utility and how broad the support is), it beats what it drafted itself. In a session it floats it as its draft; at the summit it opens it for signature.</p>
<div id=counterform class=scroll></div>
<label>Depth <select id=counterlevel></select></label>
<button id=counterbtn>Hand in counter-proposal</button><button id=withdrawbtn>Withdraw it</button>
<div id=countershown class=meta></div></div>
<div id=compseat hidden>
<h3>The drafts on the table</h3><div id=drafts class=scroll></div>
<h3>Your companies' utility for each standard</h3><div id=standards class=scroll></div>
<div id=compbtns><button id=c_bloc>Adopt our bloc's standard</button><button id=c_common>Adopt the common standard</button>
<button id=c_both>Adopt both</button><button id=c_neither>Adopt neither</button>
<button id=c_auto>Let our companies decide</button></div></div>
<div><span id=myvote class=meta></span> <button id=leavebtn>Leave this seat</button></div>
<details><summary>Your role brief</summary><div id=brief></div></details></div>
<div id=tablepart><h2>The table</h2><div id=proposal class=scroll></div><div id=deals></div></div>
<h2>Plenary</h2><div id=plenary></div>
<script>
"use strict";
const $ = id => document.getElementById(id);
const esc = s => String(s).replace(/[&<>"']/g, c => ({"&":"&amp;","<":"&lt;",">":"&gt;",'"':"&quot;","'":"&#39;"}[c]));
const f2 = v => Number(v).toFixed(2);
const projector = location.pathname === "/projector";
let token = "", screen = "", formRound = null, last = null;
const hash = new URLSearchParams(location.hash.slice(1));
if (hash.get("teacher")) sessionStorage.setItem("simrun-teacher", hash.get("teacher"));
if (hash.get("code")) $("code").value = hash.get("code");
if (location.hash) history.replaceState(null, "", location.pathname);  // no token or code left in the address bar
if (projector) { document.body.classList.add("projector"); screen = sessionStorage.getItem("simrun-screen") || ""; }
else token = sessionStorage.getItem("simrun-teacher") || sessionStorage.getItem("simrun-seat") || "";
async function post(path, body) {
  const r = await fetch(path, {method: "POST", headers: {"Content-Type": "application/json"},
                               body: JSON.stringify(Object.assign({token}, body))});
  const data = await r.json();
  $("error").textContent = r.ok ? "" : data.error;
  refresh();
  return data;
}
function textTable(items) {
  return "<table><tr><th>issue</th><th>0 means</th><th>value</th><th>1 means</th></tr>" + items.map(i =>
    `<tr><td>${esc(i.issue)}</td><td>${esc(i.low)}</td><td class=n>${i.value.toFixed(2)}</td><td>${esc(i.high)}</td></tr>`).join("") + "</table>";
}
function briefHtml(b) {
  const who = b.kind === "company" ? `<p>${b.count} companies; home government: ${esc(b.home)}. You decide which standards all of them adopt.</p>` : "";
  return who + "<p><b>Red lines</b> (what you care most about):</p><ul>" + b.red_lines.map(r => `<li>${esc(r)}</li>`).join("") +
    "</ul><p><b>Why you stand where you do</b></p><ul>" + b.quotes.map(q => `<li>${esc(q)}</li>`).join("") +
    "</ul><p><b>Your position now</b></p>" + textTable(b.position);
}
function renderGovernment(s, b) {
  $("utility").innerHTML = "<table><tr><th>depth</th><th>+ legitimacy</th><th>+ cooperation</th><th>− content cost</th><th>− rivalry cost</th><th>− too deep</th><th>= utility (≥ 0 beats no deal)</th></tr>" +
    b.utility.map(u => `<tr><td>${esc(u.level)}</td><td class=n>${f2(u.legitimacy)}</td><td class=n>${f2(u.cooperation)}</td><td class=n>${f2(u.content)}</td><td class=n>${f2(u.rivalry)}</td><td class=n>${f2(u.too_deep)}</td><td class=n>${f2(u.value)}</td></tr>`).join("") + "</table>";
  if (formRound !== s.round) {  // rebuild the form only when the chair's text changes, never while a team types
    formRound = s.round;
    $("counterform").innerHTML = "<table><tr><th>issue</th><th>0 means</th><th>chair's text</th><th>yours</th><th>1 means</th></tr>" + s.proposal.map(i =>
      `<tr><td>${esc(i.issue)}</td><td>${esc(i.low)}</td><td class=n>${i.value.toFixed(2)}</td><td>${i.depth ? "set by the depth" : `<input class=x type=number min=0 max=1 step=0.05 data-issue="${esc(i.id)}" data-was="${i.value.toFixed(2)}" value="${i.value.toFixed(2)}">`}</td><td>${esc(i.high)}</td></tr>`).join("") + "</table>";
    const sel = $("counterlevel"); sel.innerHTML = "";
    sel.add(new Option("any depth (the chair picks)", ""));
    for (const [k, label] of Object.entries(s.levels)) sel.add(new Option(label, k));
  }
  $("signnote").textContent = b.signing ? "This round is a summit: the chair's text is open for signature. Sign, refuse, or let your agent decide." :
    `Nothing is signed this round: texts are opened for signature at the summit (round ${b.summit}). Hand in a counter-proposal: the chair may float it as its draft.`;
  const c = b.counter;
  $("countershown").textContent = !b.at_table ? "You are not at a table this round." : c ?
    "Your seat's counter-proposal this round: " + (Object.entries(c.changes).map(([k, v]) => `${k.replace(/_/g, " ")} ${v.toFixed(2)}`).join(", ") || "the chair's text") +
    (c.level ? ` at ${s.levels[c.level]}` : " at any depth") + (c.team ? ` (from ${c.team})` : "") : "No counter-proposal this round.";
  $("countershown").dataset.counter = c ? "yes" : "no";
}
function renderCompany(b) {
  const d = b.drafts;
  $("drafts").innerHTML = "<table><tr><th>issue</th><th>0 means</th><th>your bloc's standard</th><th>common standard</th><th>1 means</th></tr>" +
    d.bloc.map((i, k) => `<tr><td>${esc(i.issue)}</td><td>${esc(i.low)}</td><td class=n>${i.value.toFixed(2)}</td><td class=n>${d.common[k].value.toFixed(2)}</td><td>${esc(i.high)}</td></tr>`).join("") + "</table>" +
    `<p class=meta>Now adopting: your bloc's standard ${b.adopters.bloc} of ${b.count}, the common one ${b.adopters.common} of ${b.count}.</p>`;
  $("standards").innerHTML = "<table><tr><th>standard</th><th>+ legitimacy</th><th>+ market</th><th>− content cost</th><th>− rivalry cost</th><th>= utility (≥ 0 beats adopting nothing)</th><th>your companies who would adopt it</th></tr>" +
    b.standards.map(u => `<tr data-standard=${esc(u.standard)}><td>${esc(u.label)}</td><td class=n>${f2(u.legitimacy)}</td><td class=n>${f2(u.market)}</td><td class=n>${f2(u.content)}</td><td class=n>${f2(u.rivalry)}</td><td class=n>${f2(u.value)}</td><td class=n>${(100 * u.agents).toFixed(0)} %</td></tr>`).join("") +
    "</table><p class=meta>The drafts move in the next round's meetings before your companies decide.</p>";
}
function debriefHtml(d) {
  const c = d.compare, f2 = v => Number(v).toFixed(2), pc = v => (100 * v).toFixed(0) + " %";
  const pair = (x, k) => `${f2(x[k][0])} / ${f2(x[k][1])}`;
  const turn = t => t ? esc(`round ${t.round}: ${[].concat(t.class).join(", ")} (agent: ${[].concat(t.agent).join(", ")})`).replace(/_/g, " ") : "none";
  let h = "<div id=classline>" + c.sentences.map(x => `<p>${esc(x)}</p>`).join("") + "</div>";
  h += "<p>" + (d.parted == null ? "The class's game went exactly as the agents would have played it." : `The class's game parted from the agents' play in round ${d.parted}.`) + "</p>";
  h += "<h3>Each government: what it signed and its utility when it signed (class / the model's agent, same seed)</h3>";
  h += "<div class=scroll><table><tr><th>seat</th><th>played by</th><th>signed</th><th>utility</th><th>+ legitimacy</th><th>+ cooperation</th><th>− content</th><th>− rivalry</th><th>− too deep</th><th>turning point</th></tr>";
  const notes = [];
  for (const [a, r] of Object.entries(d.seats)) {
    h += `<tr class=seatrow data-seat=${esc(a)}><td>${esc(r.name)}</td><td>${esc(r.played_by)}</td><td>${esc(r.signed_label[0])} / ${esc(r.signed_label[1])}</td><td class=n>${f2(r.utility[0])} / ${f2(r.utility[1])}</td><td class=n>${pair(r.terms, "legitimacy")}</td><td class=n>${pair(r.terms, "cooperation")}</td><td class=n>${pair(r.terms, "content")}</td><td class=n>${pair(r.terms, "rivalry")}</td><td class=n>${pair(r.terms, "too_deep")}</td><td>${turn(r.turning_point)}</td></tr>`;
    if (r.note[0]) notes.push(`${r.name} signed below zero: ${r.note[0]}.`);
  }
  h += "</table></div>" + notes.map(x => `<p class=meta>${esc(x)}</p>`).join("");
  if (Object.keys(d.companies).length) {
    h += "<h3>Company groups (class / agents)</h3><div class=scroll><table><tr><th>group</th><th>played by</th><th>companies adopting</th><th>utility</th><th>+ legitimacy</th><th>+ market</th><th>− content</th><th>− rivalry</th><th>turning point</th></tr>";
    for (const [a, r] of Object.entries(d.companies))
      h += `<tr class=companyrow data-seat=${esc(a)}><td>${esc(r.name)}</td><td>${esc(r.played_by)}</td><td>bloc ${r.adopted[0][0]}, common ${r.adopted[0][1]} / bloc ${r.adopted[1][0]}, common ${r.adopted[1][1]} (of ${r.count})</td><td class=n>${f2(r.utility[0])} / ${f2(r.utility[1])}</td><td class=n>${pair(r.terms, "legitimacy")}</td><td class=n>${pair(r.terms, "market")}</td><td class=n>${pair(r.terms, "content")}</td><td class=n>${pair(r.terms, "rivalry")}</td><td>${turn(r.turning_point)}</td></tr>`;
    h += "</table></div>";
  }
  h += `<h3>The numbers: ${c.runs} model runs over ${c.rounds} rounds</h3><table id=patterns><tr><th>outcome</th><th>share of runs</th></tr>` +
    c.patterns.map(p => `<tr${p.ours ? " class=ours" : ""}><td>${esc(p.words)}${p.ours ? " ← your class" : ""}</td><td class=n>${pc(p.share)}</td></tr>`).join("") + "</table>";
  const levels = Object.keys(c.pair.model);
  h += `<div class=scroll><table id=govtable><tr><th>deepest text signed</th><th>your class</th>${["no text", ...levels].map(l => `<th>${esc(l)}</th>`).join("")}</tr>` +
    c.governments.map(g => `<tr><td>${esc(g.name)}</td><td>${esc(g.class)}</td>${Object.values(g.model).map(v => `<td class=n>${pc(v)}</td>`).join("")}</tr>`).join("") + "</table></div>";
  h += `<table id=pairtable><tr><th>${esc(c.pair.names)} both sign …</th><th>your class</th><th>model runs</th></tr>` +
    levels.map(l => `<tr><td>${esc(l)}</td><td>${c.pair.class[l] ? "yes" : "no"}</td><td class=n>${pc(c.pair.model[l])}</td></tr>`).join("") + "</table>";
  h += `<table id=businesstable><tr><th>companies' standard</th><th>share of runs</th></tr>` +
    Object.entries(c.business.shares).map(([k, v]) => `<tr${k === c.business.class ? " class=ours" : ""}><td>${esc(k)}${k === c.business.class ? " ← your class" : ""}</td><td class=n>${pc(v)}</td></tr>`).join("") + "</table>";
  return h;
}
function projectorHtml(s) {
  if (s.role === "screen") return `<p>Pair this screen: on the teacher's page, type</p><p class=pair id=paircode_shown>${esc(s.pair)}</p><p class=meta>under "pair a projector". This screen then shows the join code.</p>`;
  let h = `<div class=grid><div><p>Open <b>${esc(s.address)}</b> and join with code</p><p class=code id=projcode>${esc(s.join_code)}</p>` +
    (s.locked ? "<p class=err>Joining is locked.</p>" : "") + `</div><div id=qr>${s.qr || ""}</div></div><h2>Seats</h2><div class=grid id=projseats>`;
  for (const [id, seat] of Object.entries(s.seats))
    h += `<div class=seatcard data-seat=${esc(id)}><b>${esc(seat.name)}</b><br>${seat.taken ? esc(seat.team || "a team") + ` (${seat.members})` : "the model's agent"}` +
      (s.phase === "open" ? `<br>${seat.taken ? (seat.voted ? "✓ voted" : "… thinking") : ""}` : "") + "</div>";
  return h + "</div>";
}
function roundWords(s) {
  if (s.phase === "lobby") return `Waiting to start · ${s.rounds} rounds`;
  if (s.phase === "ended") return `Game over after round ${s.round} of ${s.rounds}`;
  const what = {open: "open for votes", paused: "paused", closed: "played", over: "all rounds played"}[s.phase] || s.phase;
  const left = s.seconds_left == null ? "" : ` · ${s.seconds_left} s left`;
  return `Round ${s.current} of ${s.rounds} · ${what}${left}`;
}
function render(s) {
  last = s;
  $("title").textContent = "simrun — " + s.scenario;
  $("status").textContent = `${roundWords(s)} · tension ${s.tension.toFixed(2)}`;
  $("status").dataset.phase = s.phase; $("status").dataset.round = s.round;
  const summit = s.summits.length ? s.summits[s.summits.length - 1] : s.rounds;
  $("summitline").hidden = s.phase === "ended";
  $("summitline").textContent = s.summit_now ? `Round ${s.current} is the summit: texts are open for signature now.` :
    `Texts are signed only at the summit (round ${s.summits.join(", ") || s.rounds}); the rounds before it are sessions, where positions move and the chair floats drafts.`;
  $("notice").hidden = !s.notice;
  if (s.notice) { $("notice").textContent = `${s.notice[0].toUpperCase()}${s.notice.slice(1)}. You can join again.`; sessionStorage.removeItem("simrun-seat"); token = ""; }
  $("join").hidden = projector || s.role !== "public" || s.phase === "ended";
  const pick = $("seatpick");
  if (pick.options.length === 0) for (const kind of ["government", "company"]) {
    const g = document.createElement("optgroup"); g.label = kind === "government" ? "Governments" : "Company groups";
    for (const [id, seat] of Object.entries(s.seats)) if (seat.kind === kind) g.appendChild(new Option(seat.name, id));
    if (g.children.length) pick.appendChild(g);
  }
  for (const o of pick.options) o.disabled = s.seats[o.value].full;
  $("joinbtn").disabled = s.locked;
  $("proj").hidden = !projector || s.phase === "ended";
  if (projector) $("proj").innerHTML = projectorHtml(s);
  $("teacher").hidden = s.role !== "teacher";
  if (s.role === "teacher") {
    $("joincode").innerHTML = `Students open <b>${esc(s.address)}</b> · join code <b id=code_shown>${esc(s.join_code)}</b>`;
    $("screens").textContent = s.screens ? `${s.screens} projector screen(s) paired` : "";
    if (!$("eventbtns").children.length) for (const [k, label] of Object.entries(s.events)) {
      const b = document.createElement("button"); b.textContent = label; b.dataset.event = k;
      b.onclick = () => post("/api/teacher", {action: "event", name: k}); $("eventbtns").appendChild(b);
    }
    $("lockbtn").textContent = s.locked ? "Unlock joining" : "Lock joining"; $("lockbtn").dataset.locked = s.locked;
    if (document.activeElement !== $("cap")) $("cap").value = s.delegation;
    $("votes").textContent = "Votes: " + Object.entries(s.votes).map(([a, v]) => `${s.seats[a].name} ${v}`).join(" · ");
    const cs = Object.entries(s.counters);
    $("counters").textContent = cs.length ? "Counter-proposals: " + cs.map(([a, c]) => `${s.seats[a].name}: ` +
      Object.entries(c).filter(([k]) => k !== "level").map(([k, v]) => `${k.replace(/_/g, " ")} ${v.toFixed(2)}`).join(", ") + (c.level ? ` at ${s.levels[c.level]}` : "")).join(" · ") : "";
    let r = "<table><tr><th>seat</th><th>members (team · last seen)</th><th></th></tr>";
    for (const [a, ms] of Object.entries(s.members))
      r += `<tr data-seat=${esc(a)}><td>${esc(s.seats[a].name)}</td><td>` + (ms.map(m => `<span class=member data-member=${esc(m.id)}>${esc(m.team || m.id)}${m.voted ? " ✓" : ""} · ${m.seen} s <button data-remove=${esc(m.id)} data-seat=${esc(a)}>remove</button></span>`).join("<br>") || "the model's agent") +
        `</td><td>${ms.length ? `<button data-reset=${esc(a)}>reset seat</button>` : ""}</td></tr>`;
    $("roster").innerHTML = r + "</table>";
  }
  $("seat").hidden = s.role !== "seat";
  if (s.role === "seat") {
    const b = s.seat, open = s.phase === "open";
    $("seatname").textContent = "Your seat: " + b.name + (b.kind === "company" ? " (company group)" : "");
    $("seat").dataset.kind = b.kind;
    $("brief").innerHTML = briefHtml(b);
    $("govseat").hidden = b.kind !== "government";
    $("compseat").hidden = b.kind !== "company";
    if (b.kind === "government") renderGovernment(s, b); else renderCompany(b);
    for (const id of ["v_accept", "v_reject"]) $(id).hidden = !open || !b.signing;
    $("v_auto").hidden = !open || !b.signing;
    $("compbtns").hidden = !open;
    for (const id of ["counterbtn", "withdrawbtn"]) $(id).hidden = !open;
    const tally = Object.entries(b.tally).map(([v, n]) => `${v} ${n}`).join(", ");
    $("myvote").textContent = !open ? "" : `Your vote this round: ${b.vote}` + (b.members > 1 ? ` · your delegation (${b.members}) votes ${b.seat_vote}` + (tally ? ` (${tally})` : "") : "");
    $("myvote").dataset.vote = b.vote; $("myvote").dataset.seatVote = b.seat_vote;
  }
  $("tablepart").hidden = projector && s.role === "screen";
  $("proposal").innerHTML = "<p>The chair's text:</p>" + textTable(s.proposal);
  $("deals").innerHTML = s.deals.length ? "<p>Deals in force: " + s.deals.map(d => `${esc(d.level)} (round ${d.round}: ${esc(d.signed)})`).join("; ") + "</p>" : "<p>No deal yet.</p>";
  $("plenary").innerHTML = s.plenary.slice().reverse().map(l => `<div class=line>${esc(l)}</div>`).join("");
  $("debrief").hidden = !s.debrief;
  if (s.debrief && $("debrief").dataset.shown !== "yes") { $("debrieftext").innerHTML = debriefHtml(s.debrief); $("debrief").dataset.shown = "yes"; }
}
async function refresh() {
  try {
    if (projector && !screen) {
      const r = await fetch("/api/screen", {method: "POST", headers: {"Content-Type": "application/json"}, body: "{}"});
      const d = await r.json(); screen = d.key; sessionStorage.setItem("simrun-screen", screen);
      if (window.opener) try { window.opener.postMessage({simrunPair: d.pair}, location.origin); } catch (e) {}
    }
    const r = await fetch(projector ? "/api/state?screen=" + encodeURIComponent(screen) : "/api/state?token=" + encodeURIComponent(token));
    render(await r.json());
  } catch (e) { $("error").textContent = "lost contact with the teacher's computer; retrying"; }
}
$("joinbtn").onclick = async () => {
  const d = await post("/api/join", {code: $("code").value, seat: $("seatpick").value, team: $("team").value});
  if (d.token) { token = d.token; sessionStorage.setItem("simrun-seat", token); $("notice").hidden = true; refresh(); }
};
$("leavebtn").onclick = async () => { await post("/api/leave", {}); sessionStorage.removeItem("simrun-seat"); token = ""; refresh(); };
for (const a of ["open", "close", "pause", "resume", "end"])
  $(a).onclick = () => post("/api/teacher", {action: a, seconds: Number($("seconds").value)});
$("lockbtn").onclick = () => post("/api/teacher", {action: $("lockbtn").dataset.locked === "true" ? "unlock" : "lock"});
$("capbtn").onclick = () => post("/api/teacher", {action: "cap", members: Number($("cap").value)});
$("pairbtn").onclick = () => post("/api/teacher", {action: "pair", code: $("paircode").value.trim()});
$("projbtn").onclick = () => window.open("/projector", "simrun-projector");
window.addEventListener("message", e => {
  if (e.origin === location.origin && e.data && e.data.simrunPair && last && last.role === "teacher")
    post("/api/teacher", {action: "pair", code: String(e.data.simrunPair)});
});
$("roster").onclick = e => {
  const b = e.target.closest("button"); if (!b) return;
  if (b.dataset.remove) post("/api/teacher", {action: "remove", seat: b.dataset.seat, member: b.dataset.remove});
  if (b.dataset.reset) post("/api/teacher", {action: "reset", seat: b.dataset.reset});
};
for (const v of ["accept", "reject", "auto"]) $("v_" + v).onclick = () => post("/api/vote", {vote: v});
for (const v of ["bloc", "common", "both", "neither", "auto"]) $("c_" + v).onclick = () => post("/api/vote", {vote: v});
$("counterbtn").onclick = () => {
  const text = {};
  for (const i of document.querySelectorAll("#counterform input"))
    if (i.value !== "" && Number(i.value) !== Number(i.dataset.was)) text[i.dataset.issue] = Number(i.value);
  post("/api/counter", {text, level: $("counterlevel").value || null});
};
$("withdrawbtn").onclick = () => post("/api/counter", {withdraw: true});
refresh(); setInterval(refresh, 1000);
</script></body></html>
"""
