/// The live dashboard served at `/`: one self-contained page (inline CSS and JS, no CDN) that polls
/// `/api/stats` every second and shows connection states, symbols per connection, per-channel and
/// per-sink rates, drops, latency and read lag, with small canvas charts of the last two minutes.
enum DashboardPage {
    static let html = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>TickRouter</title>
<style>
  :root { --bg:#0f1419; --panel:#171e26; --fg:#d8dee6; --dim:#7d8894; --ok:#3fb950; --warn:#d29922; --bad:#f85149; --line:#263040; --accent:#58a6ff; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 13px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: var(--bg); color: var(--fg); }
  header { display: flex; gap: 16px; align-items: baseline; padding: 12px 18px; border-bottom: 1px solid var(--line); }
  header h1 { font-size: 16px; margin: 0; }
  #status { font-weight: bold; }
  #status.ok { color: var(--ok); } #status.bad { color: var(--bad); }
  main { display: grid; grid-template-columns: repeat(auto-fit, minmax(460px, 1fr)); gap: 14px; padding: 14px 18px; }
  section { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px; }
  h2 { font-size: 13px; margin: 0 0 8px; color: var(--dim); text-transform: uppercase; letter-spacing: .06em; }
  table { width: 100%; border-collapse: collapse; }
  th, td { text-align: right; padding: 3px 6px; border-bottom: 1px solid var(--line); white-space: nowrap; }
  th:first-child, td:first-child, td.l, th.l { text-align: left; }
  th { color: var(--dim); font-weight: normal; }
  .state-streaming { color: var(--ok); } .state-backing-off, .state-connecting, .state-authenticating, .state-subscribing, .state-cooling-down { color: var(--warn); }
  .state-failed, .state-stopped, .state-idle { color: var(--bad); }
  .drop { color: var(--warn); }
  canvas { width: 100%; height: 90px; display: block; }
  #reasons { color: var(--bad); margin: 0; padding-left: 18px; }
  .dim { color: var(--dim); }
</style>
</head>
<body>
<header><h1>TickRouter</h1><span id="status" class="bad">loading…</span><span id="uptime" class="dim"></span><span id="error" class="dim"></span></header>
<main>
  <section style="grid-column: 1 / -1">
    <h2>Connections</h2>
    <table id="connections"><thead><tr><th class="l">name</th><th class="l">state</th><th class="l">feed</th><th class="l">channels</th><th>symbols</th><th>events/s</th><th>frames/s</th><th>MB/s</th><th>lag ms</th><th>reconnects</th><th>malformed</th></tr></thead><tbody></tbody></table>
    <ul id="reasons"></ul>
  </section>
  <section><h2>Events in per second</h2><canvas id="chart-in" width="600" height="90"></canvas></section>
  <section><h2>Delivered per second, by sink</h2><canvas id="chart-out" width="600" height="90"></canvas></section>
  <section>
    <h2>Channels</h2>
    <table id="channels"><thead><tr><th class="l">channel</th><th>in/s</th><th>out/s</th><th>received</th><th>forwarded</th><th class="l">quarantined</th></tr></thead><tbody></tbody></table>
  </section>
  <section>
    <h2>Sinks</h2>
    <table id="sinks"><thead><tr><th class="l">sink</th><th class="l">type</th><th>in/s</th><th>out/s</th><th>queued</th><th>clients</th><th>latency p50</th><th>p99</th><th class="l">dropped</th></tr></thead><tbody></tbody></table>
  </section>
</main>
<script>
"use strict";
const HISTORY = 120;
let previous = null;
const inHistory = [];
const outHistory = {};
const palette = ["#58a6ff", "#3fb950", "#d29922", "#bc8cff", "#f85149", "#39c5cf"];

function text(tag, value, cls) { const el = document.createElement(tag); el.textContent = value; if (cls) el.className = cls; return el; }
function row(cells) { const tr = document.createElement("tr"); for (const c of cells) tr.appendChild(c); return tr; }
function micros(n) { if (n === null || n === undefined) return "–"; if (n >= 9e18) return "> 10 s"; if (n >= 1e6) return "≤ " + (n / 1e6).toFixed(1) + " s"; if (n >= 1e3) return "≤ " + (n / 1e3).toFixed(1) + " ms"; return "≤ " + n + " µs"; }
function fmt(n) { if (n === null || n === undefined) return "–"; if (n >= 1e6) return (n / 1e6).toFixed(2) + "M"; if (n >= 1e4) return (n / 1e3).toFixed(1) + "k"; return Math.round(n).toString(); }
function reasons(map) { const parts = Object.entries(map || {}).map(([k, v]) => k + " " + fmt(v)); return parts.length ? parts.join(", ") : "–"; }
function rate(now, before, key, name, field, seconds) {
  if (!before || seconds <= 0) return null;
  const old = before[key].find(x => x[field] === name);
  const cur = now[key].find(x => x[field] === name);
  return old && cur ? Object.fromEntries(Object.keys(cur).filter(k => typeof cur[k] === "number").map(k => [k, Math.max(0, cur[k] - old[k]) / seconds])) : null;
}
function fill(id, rows) { const body = document.querySelector("#" + id + " tbody"); body.replaceChildren(...rows); }

function draw(canvas, series) {
  const ctx = canvas.getContext("2d");
  const w = canvas.width, h = canvas.height;
  ctx.clearRect(0, 0, w, h);
  let max = 1;
  for (const s of series) for (const v of s.values) max = Math.max(max, v);
  ctx.strokeStyle = "#263040"; ctx.beginPath(); ctx.moveTo(0, h - 0.5); ctx.lineTo(w, h - 0.5); ctx.stroke();
  ctx.fillStyle = "#7d8894"; ctx.font = "11px monospace"; ctx.fillText(fmt(max) + "/s", 4, 12);
  series.forEach((s, i) => {
    ctx.strokeStyle = palette[i % palette.length]; ctx.lineWidth = 1.5; ctx.beginPath();
    s.values.forEach((v, x) => { const px = w - (s.values.length - 1 - x) * (w / (HISTORY - 1)); const py = h - 2 - (v / max) * (h - 16); x ? ctx.lineTo(px, py) : ctx.moveTo(px, py); });
    ctx.stroke();
    ctx.fillStyle = palette[i % palette.length]; ctx.fillText(s.name, 80 + i * 110, 12);
  });
}

function render(now, health) {
  const seconds = previous ? (now.takenAtMillis - previous.takenAtMillis) / 1000 : 0;
  const status = document.getElementById("status");
  status.textContent = health.status;
  status.className = health.status === "ok" ? "ok" : "bad";
  document.getElementById("uptime").textContent = "up " + Math.round(now.uptimeSeconds) + " s";
  document.getElementById("reasons").replaceChildren(...(health.reasons || []).map(r => text("li", r.code + ": " + r.message)));

  let totalIn = 0;
  fill("connections", now.connections.map(c => {
    const r = rate(now, previous, "connections", c.name, "name", seconds);
    if (r) totalIn += r.events;
    return row([text("td", c.name), text("td", c.state, "l state-" + c.state), text("td", c.feed, "l"), text("td", c.channels.join(","), "l"),
      text("td", fmt(c.symbols)), text("td", r ? fmt(r.events) : "–"), text("td", r ? fmt(r.frames) : "–"), text("td", r ? (r.bytes / 1e6).toFixed(2) : "–"),
      text("td", fmt(c.readLagMillis)), text("td", fmt(c.reconnects)), text("td", fmt(c.malformedFrames))]);
  }));
  fill("channels", now.channels.map(c => {
    const r = rate(now, previous, "channels", c.channel, "channel", seconds);
    return row([text("td", c.channel), text("td", r ? fmt(r.received) : "–"), text("td", r ? fmt(r.forwarded) : "–"), text("td", fmt(c.received)), text("td", fmt(c.forwarded)),
      text("td", reasons(c.quarantined), Object.keys(c.quarantined || {}).length ? "l drop" : "l")]);
  }));
  fill("sinks", now.sinks.map(s => {
    const r = rate(now, previous, "sinks", s.name, "name", seconds);
    if (r) { (outHistory[s.name] = outHistory[s.name] || []).push(r.delivered); if (outHistory[s.name].length > HISTORY) outHistory[s.name].shift(); }
    return row([text("td", s.name), text("td", s.type, "l"), text("td", r ? fmt(r.accepted) : "–"), text("td", r ? fmt(r.delivered) : "–"), text("td", fmt(s.queuedEvents)),
      text("td", fmt(s.clients)), text("td", micros(s.latencyP50Micros)), text("td", micros(s.latencyP99Micros)),
      text("td", reasons(s.dropped), Object.keys(s.dropped || {}).length ? "l drop" : "l")]);
  }));
  if (previous) { inHistory.push(totalIn); if (inHistory.length > HISTORY) inHistory.shift(); }
  draw(document.getElementById("chart-in"), [{ name: "events in", values: inHistory }]);
  draw(document.getElementById("chart-out"), Object.entries(outHistory).map(([name, values]) => ({ name, values })));
  previous = now;
}

async function poll() {
  try {
    const [stats, health] = await Promise.all([
      fetch("api/stats", { cache: "no-store" }).then(r => r.json()),
      fetch("health", { cache: "no-store" }).then(r => r.json()),
    ]);
    document.getElementById("error").textContent = "";
    if (stats.connections) render(stats, health);
  } catch (e) {
    document.getElementById("error").textContent = "admin endpoint unreachable: " + e;
  }
  setTimeout(poll, 1000);
}
poll();
</script>
</body>
</html>
"""#
}
