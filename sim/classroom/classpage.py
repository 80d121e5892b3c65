"""The class game's one page: plain HTML and JavaScript, served by :mod:`sim.classroom.classserver`.

The same page serves the teacher (token in the address's ``#teacher=`` part), a seat
(token kept in the tab's sessionStorage after joining) and the public plenary; it polls
``/api/state`` every second and renders what the token may see. A government seat votes
and may hand in a counter-proposal; a company seat votes which standards its companies
adopt. Nothing is loaded from outside.
"""

PAGE = r"""<!DOCTYPE html><html lang=en><head><meta charset=utf-8><title>simrun class</title>
<meta name=viewport content="width=device-width,initial-scale=1"><link rel=icon href="data:,">
<style>
body{font-family:system-ui,sans-serif;max-width:60rem;margin:1rem auto;padding:0 1rem;color:#222}
h1{font-size:1.4rem} h2{font-size:1.1rem;border-bottom:1px solid #ccc;margin-top:1.4rem} h3{font-size:1rem}
table{border-collapse:collapse;font-size:.9rem} td,th{border:1px solid #ccc;padding:.2rem .45rem;text-align:left}
td.n{text-align:right} button{margin:.15rem;padding:.35rem .8rem;font-size:.95rem}
#plenary{max-height:18rem;overflow-y:auto;border:1px solid #ddd;padding:.4rem;font-size:.92rem}
.err{color:#a00} .meta{color:#666;font-size:.9rem} .on{background:#1565c0;color:#fff}
input.x{width:4.2rem}
</style></head><body>
<h1 id=title>simrun — class game</h1>
<div id=status class=meta></div><div id=error class=err></div>
<div id=join hidden><h2>Join the game</h2>
<label>Join code <input id=code size=8></label> <label>Team name <input id=team size=14></label>
<label>Seat <select id=seatpick></select></label> <button id=joinbtn>Take this seat</button>
<p class=meta>Several devices or teams may join one seat (a delegation): the seat votes as most of its members do.</p></div>
<div id=teacher hidden><h2>Teacher</h2><div id=joincode></div>
<label>Round timer (s) <input id=seconds size=4 value=90></label>
<button id=open>Open round</button><button id=close>Close round</button>
<button id=pause>Pause</button><button id=resume>Resume</button><button id=end>End the game</button>
<div id=eventbtns></div><div id=votes class=meta></div><div id=counters class=meta></div></div>
<div id=seat hidden><h2 id=seatname></h2><div id=brief></div>
<div id=govseat hidden>
<h3>The text on the table and your utility for it</h3><div id=utility></div>
<div><button id=v_accept>Sign</button><button id=v_reject>Refuse</button>
<button id=v_auto>Let our agent decide</button></div>
<h3>Counter-proposal</h3>
<p class=meta>Change the chair's text where you want it different; the chair tables your text only if, by its own
objective (its utility and how broad the support is), it beats what it drafted itself. Your vote applies to whatever is tabled.</p>
<div id=counterform></div>
<label>Depth <select id=counterlevel></select></label>
<button id=counterbtn>Hand in counter-proposal</button><button id=withdrawbtn>Withdraw it</button>
<div id=countershown class=meta></div></div>
<div id=compseat hidden>
<h3>The drafts on the table</h3><div id=drafts></div>
<h3>Your companies' utility for each standard</h3><div id=standards></div>
<div><button id=c_bloc>Adopt our bloc's standard</button><button id=c_common>Adopt the common standard</button>
<button id=c_both>Adopt both</button><button id=c_neither>Adopt neither</button>
<button id=c_auto>Let our companies decide</button></div></div>
<div><span id=myvote class=meta></span></div></div>
<h2>The table</h2><div id=proposal></div><div id=deals></div>
<h2>Plenary</h2><div id=plenary></div>
<div id=debrief hidden><h2>Debrief</h2><div id=debrieftext></div></div>
<script>
"use strict";
const $ = id => document.getElementById(id);
const esc = s => String(s).replace(/[&<>"']/g, c => ({"&":"&amp;","<":"&lt;",">":"&gt;",'"':"&quot;","'":"&#39;"}[c]));
const f3 = v => Number(v).toFixed(3);
let token = "", formRound = null, last = null;
const hash = new URLSearchParams(location.hash.slice(1));
if (hash.get("teacher")) token = hash.get("teacher"); else token = sessionStorage.getItem("simrun-seat") || "";
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
    b.utility.map(u => `<tr><td>${esc(u.level)}</td><td class=n>${f3(u.legitimacy)}</td><td class=n>${f3(u.cooperation)}</td><td class=n>${f3(u.content)}</td><td class=n>${f3(u.rivalry)}</td><td class=n>${f3(u.too_deep)}</td><td class=n>${f3(u.value)}</td></tr>`).join("") + "</table>";
  if (formRound !== s.round) {  // rebuild the form only when the chair's text changes, never while a team types
    formRound = s.round;
    $("counterform").innerHTML = "<table><tr><th>issue</th><th>0 means</th><th>chair's text</th><th>yours</th><th>1 means</th></tr>" + s.proposal.map(i =>
      `<tr><td>${esc(i.issue)}</td><td>${esc(i.low)}</td><td class=n>${i.value.toFixed(2)}</td><td>${i.depth ? "set by the depth" : `<input class=x type=number min=0 max=1 step=0.05 data-issue="${esc(i.id)}" data-was="${i.value.toFixed(2)}" value="${i.value.toFixed(2)}">`}</td><td>${esc(i.high)}</td></tr>`).join("") + "</table>";
    const sel = $("counterlevel"); sel.innerHTML = "";
    sel.add(new Option("any depth (the chair picks)", ""));
    for (const [k, label] of Object.entries(s.levels)) sel.add(new Option(label, k));
  }
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
    b.standards.map(u => `<tr data-standard=${esc(u.standard)}><td>${esc(u.label)}</td><td class=n>${f3(u.legitimacy)}</td><td class=n>${f3(u.market)}</td><td class=n>${f3(u.content)}</td><td class=n>${f3(u.rivalry)}</td><td class=n>${f3(u.value)}</td><td class=n>${(100 * u.agents).toFixed(0)} %</td></tr>`).join("") +
    "</table><p class=meta>The drafts move in the next round's meetings before your companies decide.</p>";
}
function debriefHtml(d) {
  const pair = (x, k) => `${f3(x[k][0])} / ${f3(x[k][1])}`;
  const turn = t => t ? esc(`round ${t.round}: ${[].concat(t.class).join(", ")} (agent: ${[].concat(t.agent).join(", ")})`) : "none";
  let h = "<table><tr><th>seat</th><th>played by</th><th>signed (class / agent)</th><th>utility (class / agent)</th><th>legitimacy</th><th>cooperation</th><th>content cost</th><th>rivalry cost</th><th>too deep</th><th>turning point</th></tr>";
  for (const [a, r] of Object.entries(d.seats))
    h += `<tr class=seatrow data-seat=${esc(a)}><td>${esc(r.name)}</td><td>${esc(r.played_by)}</td><td>${esc(d.labels[r.signed[0]] || r.signed[0])} / ${esc(d.labels[r.signed[1]] || r.signed[1])}</td><td class=n>${f3(r.utility[0])} / ${f3(r.utility[1])}</td><td class=n>${pair(r.terms, "legitimacy")}</td><td class=n>${pair(r.terms, "cooperation")}</td><td class=n>${pair(r.terms, "content")}</td><td class=n>${pair(r.terms, "rivalry")}</td><td class=n>${pair(r.terms, "too_deep")}</td><td>${turn(r.turning_point)}</td></tr>`;
  h += "</table>";
  if (Object.keys(d.companies).length) {
    h += "<h3>Company groups</h3><table><tr><th>group</th><th>played by</th><th>companies adopting (class / agent)</th><th>utility (class / agent)</th><th>legitimacy</th><th>market</th><th>content cost</th><th>rivalry cost</th><th>turning point</th></tr>";
    for (const [a, r] of Object.entries(d.companies))
      h += `<tr class=companyrow data-seat=${esc(a)}><td>${esc(r.name)}</td><td>${esc(r.played_by)}</td><td>bloc ${r.adopted[0][0]}, common ${r.adopted[0][1]} / bloc ${r.adopted[1][0]}, common ${r.adopted[1][1]} (of ${r.count})</td><td class=n>${f3(r.utility[0])} / ${f3(r.utility[1])}</td><td class=n>${pair(r.terms, "legitimacy")}</td><td class=n>${pair(r.terms, "market")}</td><td class=n>${pair(r.terms, "content")}</td><td class=n>${pair(r.terms, "rivalry")}</td><td>${turn(r.turning_point)}</td></tr>`;
    h += "</table>";
  }
  h += "<p>" + (d.parted == null ? "The class's game went exactly as the agents would have played it." : `The class's game parted from the agents' play in round ${d.parted}.`) + "</p>";
  const dist = (p, labels, ours) => "<table>" + Object.entries(p).map(([k, v]) => `<tr${k === ours ? " class=on" : ""}><td>${esc(labels[k])}</td><td class=n>${(100 * v).toFixed(0)} %</td></tr>`).join("") + "</table>";
  h += `<p id=classline>The class reached: <b>${esc(d.labels[d.class_level])}</b>. In ${d.runs} model runs of the same scenario${d.events_replayed ? ` (with the teacher's ${d.events_replayed} event${d.events_replayed > 1 ? 's' : ''} at the same rounds)` : ''} the deepest deal was:</p>` + dist(d.distribution, d.labels, d.class_level);
  h += `<p id=businessline>The class's companies ended with <b>${esc(d.business_labels[d.class_business])}</b> (the agents alone: ${esc(d.business_labels[d.agent_business])}). In the ${d.runs} runs:</p>` + dist(d.business, d.business_labels, d.class_business);
  return h;
}
function render(s) {
  last = s;
  $("title").textContent = "simrun — " + s.scenario;
  const left = s.seconds_left == null ? "" : ` · ${s.seconds_left} s left`;
  $("status").textContent = `Round ${s.round} of ${s.rounds} · ${s.phase}${left} · tension ${s.tension.toFixed(2)}`;
  $("status").dataset.phase = s.phase; $("status").dataset.round = s.round;
  $("join").hidden = s.role !== "public" || s.phase === "ended";
  const pick = $("seatpick");
  if (pick.options.length === 0) for (const kind of ["government", "company"]) {
    const g = document.createElement("optgroup"); g.label = kind === "government" ? "Governments" : "Company groups";
    for (const [id, seat] of Object.entries(s.seats)) if (seat.kind === kind) g.appendChild(new Option(seat.name, id));
    if (g.children.length) pick.appendChild(g);
  }
  for (const o of pick.options) o.disabled = s.seats[o.value].full;
  $("teacher").hidden = s.role !== "teacher";
  if (s.role === "teacher") {
    $("joincode").innerHTML = `Join code: <b id=code_shown>${esc(s.join_code)}</b>`;
    if (!$("eventbtns").children.length) for (const [k, label] of Object.entries(s.events)) {
      const b = document.createElement("button"); b.textContent = label; b.dataset.event = k;
      b.onclick = () => post("/api/teacher", {action: "event", name: k}); $("eventbtns").appendChild(b);
    }
    $("votes").textContent = "Votes: " + Object.entries(s.votes).map(([a, v]) => `${s.seats[a].name} ${v}`).join(" · ");
    const cs = Object.entries(s.counters);
    $("counters").textContent = cs.length ? "Counter-proposals: " + cs.map(([a, c]) => `${s.seats[a].name}: ` +
      Object.entries(c).filter(([k]) => k !== "level").map(([k, v]) => `${k.replace(/_/g, " ")} ${v.toFixed(2)}`).join(", ") + (c.level ? ` at ${s.levels[c.level]}` : "")).join(" · ") : "";
  }
  $("seat").hidden = s.role !== "seat";
  if (s.role === "seat") {
    const b = s.seat;
    $("seatname").textContent = "Your seat: " + b.name + (b.kind === "company" ? " (company group)" : "");
    $("seat").dataset.kind = b.kind;
    $("brief").innerHTML = briefHtml(b);
    $("govseat").hidden = b.kind !== "government";
    $("compseat").hidden = b.kind !== "company";
    if (b.kind === "government") renderGovernment(s, b); else renderCompany(b);
    const tally = Object.entries(b.tally).map(([v, n]) => `${v} ${n}`).join(", ");
    $("myvote").textContent = `Your vote this round: ${b.vote}` + (b.members > 1 ? ` · your delegation (${b.members}) votes ${b.seat_vote}` + (tally ? ` (${tally})` : "") : "");
    $("myvote").dataset.vote = b.vote; $("myvote").dataset.seatVote = b.seat_vote;
  }
  $("proposal").innerHTML = "<p>The chair's text:</p>" + textTable(s.proposal);
  $("deals").innerHTML = s.deals.length ? "<p>Deals in force: " + s.deals.map(d => `${esc(d.level)} (round ${d.round}: ${esc(d.signed)})`).join("; ") + "</p>" : "<p>No deal yet.</p>";
  $("plenary").innerHTML = s.plenary.slice().reverse().map(l => `<div class=line>${esc(l)}</div>`).join("");
  $("debrief").hidden = !s.debrief;
  if (s.debrief) $("debrieftext").innerHTML = debriefHtml(s.debrief);
}
async function refresh() {
  try {
    const r = await fetch("/api/state?token=" + encodeURIComponent(token));
    render(await r.json());
  } catch (e) { $("error").textContent = "lost contact with the teacher's computer; retrying"; }
}
$("joinbtn").onclick = async () => {
  const d = await post("/api/join", {code: $("code").value, seat: $("seatpick").value, team: $("team").value});
  if (d.token) { token = d.token; sessionStorage.setItem("simrun-seat", token); refresh(); }
};
for (const a of ["open", "close", "pause", "resume", "end"])
  $(a).onclick = () => post("/api/teacher", {action: a, seconds: Number($("seconds").value)});
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
