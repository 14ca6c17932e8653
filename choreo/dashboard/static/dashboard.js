// The choreo dashboard: live over a websocket, or static with the data embedded
// (window.CHOREO_REPORT, written by `choreo report`). Plain JS, uPlot for the plots.
"use strict";

const AXES = ["A1", "A2", "A3", "A4", "A5", "A6"];
const MAX_POINTS = 1200;
const $ = (id) => document.getElementById(id);
const fmt = (v, d = 2, plus = false) =>
  v === null || v === undefined || !isFinite(v) ? "—" : (plus && v >= 0 ? "+" : "") + v.toFixed(d);

// What tests and the latency benchmark read: snapshots received, the last one, and for
// the last points drawn, the LSL time of the window and the wall time it was shown.
const choreo = (window.choreo = { received: 0, last: null, shown: [], pings: {} });

// ---------------------------------------------------------------- plots
const series = { wall: [], score: [], alpha: [], theta: [] };
function plotWidth(el) { return Math.max(300, el.clientWidth - 10); }
function makePlot(el, label, lines, height = 200, timeAxis = true) {
  const opts = {
    width: plotWidth(el), height,
    scales: { x: { time: timeAxis } },
    axes: [timeAxis ? { label: "time" } : { label: "trial", incrs: [1, 2, 5, 10, 20, 50, 100] },
      { label }],
    series: [{}].concat(lines.map(([name, color]) => ({ label: name, stroke: color, width: 2,
      points: { show: !timeAxis, size: 7, fill: color } }))),
    cursor: { drag: { x: true, y: false } },
    hooks: timeAxis ? { drawClear: [shadeIntervals] } : {},
  };
  return new uPlot(opts, [[]].concat(lines.map(() => [])), el);
}
const plots = {};
// Baseline block (gold) and trials (blue; red when not scored) behind the time plots.
let intervals = [], lslToWall = null;
function shadeIntervals(u) {
  if (lslToWall === null) return;
  const g = u.ctx, top = u.bbox.top, h = u.bbox.height;
  for (const [kind, a, b, status] of intervals) {
    if (a === null || b === null) continue;
    const x0 = u.valToPos(a + lslToWall, "x", true), x1 = u.valToPos(b + lslToWall, "x", true);
    const lo = Math.max(x0, u.bbox.left), hi = Math.min(x1, u.bbox.left + u.bbox.width);
    if (hi <= lo) continue;
    g.fillStyle = kind === "baseline" ? "rgba(230,180,0,0.18)"
      : status === "scored" ? "rgba(26,107,138,0.10)" : "rgba(192,57,43,0.12)";
    g.fillRect(lo, top, hi - lo, h);
  }
}
function initPlots() {
  plots.score = makePlot($("plot-score"), "score (z)", [["score (z)", "#1a6b8a"]]);
  plots.bands = makePlot($("plot-bands"), "relative power", [
    ["alpha", "#8e44ad"], ["theta", "#d35400"]]);
  plots.trials = makePlot($("plot-trials"), "trial score (z)", [["score (z)", "#2a8a3a"]], 160, false);
}
function addPoints(points) {
  // points: [i, lsl_t, wall, score, rel_alpha, rel_theta, accepted]
  for (const p of points) {
    series.wall.push(p[2]);
    series.score.push(p[6] ? p[3] : null);
    series.alpha.push(p[4]);
    series.theta.push(p[5]);
  }
  const keep = choreo.maxPoints || MAX_POINTS;
  for (const k of Object.keys(series)) {
    if (series[k].length > keep) series[k].splice(0, series[k].length - keep);
  }
}
function drawPlots(snap) {
  plots.score.setData([series.wall, series.score]);
  plots.bands.setData([series.wall, series.alpha, series.theta]);
  const sc = snap.scores || [];
  plots.trials.setData([sc.map((_, i) => i + 1), sc]);
}

// ---------------------------------------------------------------- the arm
const view = { yaw: -0.7, pitch: 0.35, arm: null, best: null };
function project(p, w, h) {
  // Turn about z (yaw), tilt (pitch), then a mild perspective; z is up, metres.
  const [x, y, z] = p;
  const cy = Math.cos(view.yaw), sy = Math.sin(view.yaw);
  const xr = x * cy - y * sy, yr = x * sy + y * cy;
  const cp = Math.cos(view.pitch), sp = Math.sin(view.pitch);
  const depth = yr * cp + z * sp;
  const up = z * cp - yr * sp;
  const f = 3.0 / (3.0 + depth);
  const s = Math.min(w, h) * 0.55;
  return [w / 2 + xr * s * f, h * 0.88 - up * s * f];
}
function drawArm() {
  const c = $("arm"), g = c.getContext("2d"), w = c.width, h = c.height;
  g.clearRect(0, 0, w, h);
  g.strokeStyle = "#ddd"; g.lineWidth = 1;
  for (let i = -4; i <= 4; i++) {  // floor grid, 0.2 m
    const a = project([i * 0.2, -0.8, 0], w, h), b = project([i * 0.2, 0.8, 0], w, h);
    const d = project([-0.8, i * 0.2, 0], w, h), e = project([0.8, i * 0.2, 0], w, h);
    g.beginPath(); g.moveTo(...a); g.lineTo(...b); g.moveTo(...d); g.lineTo(...e); g.stroke();
  }
  if (view.best && view.best.length) {
    g.strokeStyle = "#2a8a3a"; g.setLineDash([4, 4]); g.lineWidth = 1.5; g.beginPath();
    view.best.forEach((p, i) => { const q = project(p, w, h); i ? g.lineTo(...q) : g.moveTo(...q); });
    g.stroke(); g.setLineDash([]);
  }
  if (!view.arm) {
    g.fillStyle = "#888"; g.fillText("no pose from the bridge yet", 10, 20); return;
  }
  const pts = view.arm.map((p) => project(p, w, h));
  g.lineCap = "round";
  g.strokeStyle = "#e67e22"; g.lineWidth = 10; g.beginPath();
  pts.forEach((q, i) => (i ? g.lineTo(...q) : g.moveTo(...q))); g.stroke();
  g.fillStyle = "#333";
  for (const q of pts) { g.beginPath(); g.arc(q[0], q[1], 4, 0, 2 * Math.PI); g.fill(); }
}
function initArm() {
  const c = $("arm");
  let drag = null;
  c.addEventListener("pointerdown", (e) => { drag = [e.clientX, e.clientY]; });
  window.addEventListener("pointerup", () => { drag = null; });
  window.addEventListener("pointermove", (e) => {
    if (!drag) return;
    view.yaw += (e.clientX - drag[0]) * 0.01;
    view.pitch = Math.max(-0.2, Math.min(1.4, view.pitch + (e.clientY - drag[1]) * 0.01));
    drag = [e.clientX, e.clientY]; drawArm();
  });
  $("joint-names").innerHTML = AXES.map((a) => `<th>${a}</th>`).join("");
}

// ---------------------------------------------------------------- render a snapshot
// The panels each source fills (the others are hidden); null: all of them.
const PANELS = {
  monitor: ["panel-now", "panel-quality", "panel-feedback"],
  bridge: ["panel-arm"],
};
function showPanels(source) {
  const keep = PANELS[source];
  if (!keep) return;
  for (const el of document.querySelectorAll("main > section")) {
    if (el.id !== "panel-report") el.hidden = !keep.includes(el.id);
  }
  $("controls").hidden = true;  // nothing to pause or skip without a session
}
function text(id, v) { const el = $(id); if (el.textContent !== v) el.textContent = v; }
function render(snap) {
  if (snap.source !== choreo.source) { choreo.source = snap.source; showPanels(snap.source); }
  text("title-session", snap.session ? `session ${snap.session}` : `(${snap.source})`);
  const phase = snap.paused && snap.phase !== "paused" ? `${snap.phase} (pause requested)` : snap.phase;
  text("phase", phase || "—");
  $("phase").className = "phase " + (snap.phase || "");
  text("message", snap.message || "");
  text("score", fmt(snap.score, 2, true));
  text("alpha", fmt(snap.rel_alpha, 3));
  text("theta", fmt(snap.rel_theta, 3));
  text("eeg", snap.eeg || "—");
  text("backend", snap.backend || "—");
  if (snap.command_reply) text("command-reply", snap.command_reply);
  const ch = snap.channels || [], q = snap.quality || [];
  const chips = ch.map((n, i) => `<span class="${q[i] || ""}" title="${q[i] || "no data"}">${n}: ${q[i] || "?"}</span>`).join("");
  if ($("quality").innerHTML !== chips) $("quality").innerHTML = chips;
  const scored = (snap.scores || []).filter((v) => v !== null).length;
  text("trial-line", snap.n_trials
    ? `trial ${snap.trial || 0} of ${snap.n_trials}  ·  ${scored} scored so far`
    : "no trials in this view");
  $("progress").style.width = `${Math.round(100 * Math.max(0, Math.min(1, snap.progress || 0)))}%`;
  if (snap.points && snap.points.length) {
    addPoints(snap.points);
    const p = snap.points[snap.points.length - 1];
    if (p[1] !== null) lslToWall = p[2] - p[1];  // the LSL clock on the plots' time axis
  }
  if (snap.intervals) intervals = snap.intervals;
  drawPlots(snap);
  view.arm = snap.arm || null;
  view.best = snap.best_path && snap.best_path.flange ? snap.best_path.flange : null;
  drawArm();
  $("joint-values").innerHTML = AXES.map((_, i) =>
    `<td>${snap.joints ? fmt(snap.joints[i], 1) + "°" : "—"}</td>`).join("");
  const best = snap.best_trial === null || snap.best_trial === undefined ? "none scored yet"
    : `trial ${snap.best_trial}: ${fmt(snap.best_score, 2, true)} z ${snap.best_note || ""}` +
      (snap.best_path && snap.best_path.durations_s
        ? ` · ${snap.best_path.durations_s.length} keyframes, ` +
          `${fmt(snap.best_path.durations_s.reduce((a, b) => a + b, 0), 1)} s in all` : "");
  text("best", best);
  const ev = (snap.events || []).map((e) => `<li>${escapeHtml(e)}</li>`).join("");
  if ($("events").innerHTML !== ev) $("events").innerHTML = ev;
  // For the latency benchmark: the windows of this snapshot, once painted on screen.
  if (snap.points && snap.points.length && !window.CHOREO_REPORT) {
    const pts = snap.points;
    requestAnimationFrame(() => {
      const now = Date.now() / 1000;
      for (const p of pts) choreo.shown.push({ i: p[0], lsl_t: p[1], wall_shown: now });
      if (choreo.shown.length > 5000) choreo.shown.splice(0, choreo.shown.length - 5000);
    });
  }
}
function escapeHtml(s) {
  return String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c]));
}

// ---------------------------------------------------------------- live: websocket + controls
function token() { return new URLSearchParams(location.search).get("token"); }
function connect() {
  const proto = location.protocol === "https:" ? "wss" : "ws";
  const t = token();
  const ws = new WebSocket(`${proto}://${location.host}/ws${t ? "?token=" + encodeURIComponent(t) : ""}`);
  choreo.ws = ws;
  ws.onopen = () => text("connection", "live");
  ws.onclose = () => { text("connection", "disconnected: retrying"); setTimeout(connect, 1000); };
  ws.onmessage = (m) => {
    const d = JSON.parse(m.data);
    if ("pong" in d) { const r = choreo.pings[d.pong]; if (r) r(Date.now() / 1000); return; }
    if ("reply" in d) { text("command-reply", d.reply); return; }
    choreo.received += 1; choreo.last = d;
    render(d);
  };
}
// Round trip of a message through the server, s (the benchmark's anchor).
choreo.ping = () => new Promise((resolve) => {
  const id = Math.random().toString(36).slice(2), t0 = Date.now() / 1000;
  choreo.pings[id] = (t1) => { delete choreo.pings[id]; resolve(t1 - t0); };
  choreo.ws.send(JSON.stringify({ ping: id }));
});
function initControls() {
  const send = (name) => choreo.ws && choreo.ws.readyState === 1 &&
    choreo.ws.send(JSON.stringify({ command: name }));
  $("btn-pause").onclick = () => send("pause");
  $("btn-resume").onclick = () => send("resume");
  $("btn-skip").onclick = () => send("skip");
  $("btn-stop").onclick = () => {
    if (window.CHOREO_NO_CONFIRM || confirm("Stop the session? The robot goes home; every finished trial is kept.")) send("stop");
  };
}

// ---------------------------------------------------------------- static report
function table(rows, cols) {
  const head = cols.map(([k, label, cls]) => `<th class="${cls || ""}">${label}</th>`).join("");
  const body = rows.map((r) => "<tr>" + cols.map(([k, , cls]) =>
    `<td class="${cls || ""}">${escapeHtml(r[k] === null || r[k] === undefined ? "—" : r[k])}</td>`).join("") + "</tr>").join("");
  return `<table class="data"><tr>${head}</tr>${body}</table>`;
}
function renderReport(rep) {
  $("controls").hidden = true;
  choreo.maxPoints = Infinity;  // the whole session, not the last two minutes
  text("title-feedback", "Feedback score over the whole session");
  text("connection", "report (recorded session)");
  $("panel-report").hidden = false;
  render(rep.snapshot);
  $("trials-table").innerHTML = table(rep.trials, [
    ["trial", "trial id"], ["n", "scored trial"], ["status", "outcome", "text"],
    ["score", "score (z)"], ["n_windows", "EEG windows"], ["duration_s", "performance (s)"],
    ["reason", "why not scored", "text"]]);
  $("seeds-table").innerHTML = table(rep.settings, [["what", "setting", "text"], ["value", "value", "text"]]);
  choreo.last = rep.snapshot;
  // The arm shows the best choreography's keyframes in turn, each for its duration.
  const path = rep.snapshot.best_path;
  if (path && path.arm_keyframes && path.arm_keyframes.length) {
    let k = 0;
    const step = () => {
      view.arm = path.arm_keyframes[k];
      $("joint-values").innerHTML = AXES.map((_, i) => `<td>${fmt(path.keyframes_deg[k][i], 1)}°</td>`).join("");
      drawArm();
      const wait = Math.max(300, Math.min(1500, 1000 * path.durations_s[k] / 4));
      k = (k + 1) % path.arm_keyframes.length;
      setTimeout(step, wait);
    };
    step();
  }
}

window.addEventListener("load", () => {
  initPlots(); initArm();
  if (window.CHOREO_REPORT) { renderReport(window.CHOREO_REPORT); return; }
  initControls(); connect();
});
