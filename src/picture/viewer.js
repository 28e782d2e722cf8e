// The picture of a raftsim run: reads the trace's JSON lines from the page
// and draws them on a canvas over virtual time. Lanes: the network (its
// partitions and noise), one per node (role and term as a band, commit and
// apply index as lines, writes waiting for fsync, crashes and other marks),
// one per client (its operations). Messages are arrows from send to
// delivery; past a number in view they are drawn as a density until zoomed
// in. Every drawn thing keeps its record, shown on click.
"use strict";

(function () {
  // ---- the data -----------------------------------------------------
  const started = performance.now();
  const text = document.getElementById("trace-data").textContent.trim();
  // One parse of the lines as an array is several times faster than a
  // parse per line.
  const records = text ? JSON.parse("[" + text.replaceAll("\n", ",") + "]") : [];
  const timing = { parsedMs: performance.now() - started, startedMs: started };

  const run = {
    header: null,
    end: null,
    nodes: new Map(), // id -> [{at, rec}]
    clients: new Set(),
    sends: new Map(), // packet id -> message in flight
    messages: [], // {a, b, from, to, msg, fate, rec, endRec}
    marks: [], // {at, lane: "net" | node id, kind, rec}
    partitions: [], // {a, b, links, recs}
    ops: new Map(), // history position -> {a, b, rec}
    msgTypes: new Map(), // type -> count
    last: { t: 1, s: 1 }, // the end of the run, in both units
  };

  const MARK_KINDS = new Set([
    "crash", "crash_keeping", "restart", "pause", "resume", "skew", "disk",
    "campaign", "heartbeat", "check_quorum", "tick_now", "compact", "propose",
    "conf_change", "transfer_leader",
  ]);
  const NET_KINDS = new Set(["noise", "torn", "workload", "membership", "heal", "block"]);
  // Records that describe what an event changed, not an event: they sit at
  // the step of the event before them.
  const PICTURE_KINDS = new Set(["header", "end", "send", "node", "invoke", "op"]);

  const peerKey = (p) => (p.node !== undefined ? "n" + p.node : "c" + p.client);
  let openPartition = null;
  let steps = 0;
  const times = new Set();
  for (const rec of records) {
    const t = rec.time_ns || 0;
    let s;
    if (PICTURE_KINDS.has(rec.kind)) {
      s = Math.max(0, steps - 1);
    } else {
      s = steps++;
      times.add(t);
    }
    const at = { t, s };
    if (t > run.last.t) run.last.t = t;
    switch (rec.kind) {
      case "header": run.header = rec; break;
      case "end": run.end = rec; break;
      case "node": {
        if (!run.nodes.has(rec.node)) run.nodes.set(rec.node, []);
        run.nodes.get(rec.node).push({ at, rec });
        break;
      }
      case "send": {
        run.msgTypes.set(rec.msg, (run.msgTypes.get(rec.msg) || 0) + 1);
        noteClient(rec.from); noteClient(rec.to);
        if (rec.packets.length === 0) {
          run.messages.push({ a: at, b: null, from: rec.from, to: rec.to, msg: rec.msg, fate: rec.fate, rec, endRec: null });
        }
        for (const id of rec.packets) {
          const m = { a: at, b: null, from: rec.from, to: rec.to, msg: rec.msg, fate: rec.fate, rec, endRec: null };
          run.sends.set(id, m);
          run.messages.push(m);
        }
        break;
      }
      case "deliver":
      case "drop": {
        const m = rec.packet !== undefined ? run.sends.get(rec.packet) : undefined;
        if (m) {
          m.b = at;
          m.endRec = rec;
          if (rec.kind === "drop") m.fate = "dropped";
          run.sends.delete(rec.packet);
        }
        break;
      }
      case "invoke": {
        run.ops.set(rec.position, { a: at, b: null, rec });
        run.clients.add(rec.client);
        break;
      }
      case "op": {
        const op = run.ops.get(rec.position) || { a: { t: rec.invoke_ns, s }, b: null };
        op.rec = rec;
        op.b = rec.complete_ns === null || rec.complete_ns === undefined ? null : { t: rec.complete_ns, s };
        run.ops.set(rec.position, op);
        run.clients.add(rec.client);
        break;
      }
      default: break;
    }
    if (MARK_KINDS.has(rec.kind) && rec.node !== undefined) {
      run.marks.push({ at, lane: rec.node, kind: rec.kind, rec });
    }
    if (NET_KINDS.has(rec.kind)) {
      run.marks.push({ at, lane: "net", kind: rec.kind, rec });
      if (rec.kind === "block") {
        if (!openPartition) {
          openPartition = { a: at, b: null, links: [], recs: [] };
          run.partitions.push(openPartition);
        }
        for (const link of rec.links) openPartition.links.push(link);
        openPartition.recs.push(rec);
      } else if (rec.kind === "heal" && openPartition) {
        openPartition.b = at;
        openPartition.recs.push(rec);
        openPartition = null;
      }
    }
  }
  run.last.s = Math.max(1, steps);
  if (run.end && run.end.time_ns > run.last.t) run.last.t = run.end.time_ns;
  for (const p of run.partitions) if (p.b === null) p.b = run.last;
  // Messages never delivered nor dropped by the end: still in flight.
  for (const m of run.messages) {
    if (m.b === null && m.rec.packets.length > 0) { m.b = run.last; m.fate = "in_flight"; }
  }
  for (const op of run.ops.values()) if (op.b === null) op.b = run.last;
  function noteClient(p) { if (p.client !== undefined) run.clients.add(p.client); }
  // Virtual time, or the order of events where time stood still (a manual
  // scenario, a counterexample of the model checker).
  let mode = times.size * 10 < steps || run.last.t <= 1 ? "s" : "t";
  timing.readMs = performance.now() - started;

  const nodeIds = [...run.nodes.keys()].sort((a, b) => a - b);
  const clientIds = [...run.clients].sort((a, b) => a - b);
  const rejected = new Map(); // history position -> "stuck" | "shown"
  if (run.end && run.end.rejected_ops) {
    run.end.rejected_ops.forEach((p, i) => rejected.set(p, i === 0 ? "stuck" : "shown"));
  }
  const blamed = new Set((run.end && run.end.nodes) || []);
  let maxIndex = 1;
  for (const list of run.nodes.values()) {
    for (const { rec } of list) maxIndex = Math.max(maxIndex, rec.last_index, rec.commit);
  }
  // The violation is seen during the last event.
  const violationAt = run.end && run.end.result === "violation"
    ? { t: run.end.time_ns, s: Math.max(0, steps - 1) } : null;

  // ---- the summary ----------------------------------------------------
  const summary = document.getElementById("summary");
  const h = run.header || {};
  const title = h.source === "scenario" ? "scenario " + (h.file || "") :
    h.plan && h.plan.seed !== undefined ? "seed " + h.plan.seed : (h.source || "run");
  const end = run.end || { result: "unfinished" };
  summary.append(el("h1", "raftsim: " + title));
  const verdict = el("span", end.result + (end.invariant ? " (" + end.invariant + ")" : ""));
  verdict.className = "verdict " + end.result;
  verdict.id = "verdict";
  summary.append(verdict, document.createTextNode(
    "  " + nodeIds.length + " nodes, " + clientIds.length + " clients, " + fmtNs(run.last.t) +
    " virtual, " + steps + " events, " + run.messages.length + " messages" +
    (end.trace_hash ? ", trace hash " + end.trace_hash : "") +
    (LEFT_OUT > 0 ? " (" + LEFT_OUT + " events past the picture's size bound left out)" : "")));
  if (end.message) {
    const msg = el("div", end.message);
    msg.className = "message";
    summary.append(msg);
  }

  // ---- colours --------------------------------------------------------
  const ROLE = { follower: "#b9cde6", pre_candidate: "#f2da8c", candidate: "#f0a14f", leader: "#46a867" };
  const PROCESS = { down: "#555", paused: "#a58bd6" };
  const OUTCOME = { ok: "#7cc48f", fail: "#bbbbbb", unknown: "#f0b24f", pending: "#e0e0e0" };
  const palette = ["#3b6fb6", "#c0392b", "#8e44ad", "#16a085", "#d35400", "#2c3e50", "#7f8c8d", "#27ae60",
    "#e67e22", "#2980b9", "#b03a7a", "#6d7d1e", "#5d4037", "#00838f", "#ad1457", "#455a64"];
  const msgColour = new Map();
  [...run.msgTypes.keys()].sort().forEach((type, i) => msgColour.set(type, palette[i % palette.length]));

  // ---- the controls ---------------------------------------------------
  const shown = new Map(); // message type -> on
  const filters = document.getElementById("filters");
  filters.append(document.createTextNode("messages: "));
  for (const type of [...run.msgTypes.keys()].sort()) {
    shown.set(type, true);
    const label = document.createElement("label");
    const box = document.createElement("input");
    box.type = "checkbox"; box.checked = true; box.dataset.msg = type;
    box.addEventListener("change", () => { shown.set(type, box.checked); draw(); });
    const swatch = el("span", ""); swatch.className = "swatch"; swatch.style.background = msgColour.get(type);
    label.append(box, swatch, document.createTextNode(type + " (" + run.msgTypes.get(type) + ")"));
    filters.append(label);
  }
  const legend = document.getElementById("legend");
  legend.append(document.createTextNode("roles:"));
  for (const [name, colour] of Object.entries(ROLE)) addSwatch(legend, colour, name);
  addSwatch(legend, PROCESS.down, "down"); addSwatch(legend, PROCESS.paused, "paused");
  addSwatch(legend, "#e8842c", "fsync pending");
  addSwatch(legend, "#1d3f8a", "commit"); addSwatch(legend, "#19a7a0", "applied");
  legend.append(document.createTextNode("   operations:"));
  for (const [name, colour] of Object.entries(OUTCOME)) addSwatch(legend, colour, name);
  addSwatch(legend, "#d0021b", "rejected by the linearizability checker");
  legend.append(document.createTextNode("   messages: ✕ lost, dashed duplicated   marks: ✕ crash ▲ restart ‖ pause ▶ resume ∿ clock skew ⊘ partition ✓ heal ★ campaign"));

  // ---- geometry ---------------------------------------------------------
  const canvas = document.getElementById("picture");
  const ctx = canvas.getContext("2d");
  const GUTTER = 64, AXIS = 22, NET_H = 22, NODE_H = 46, CLIENT_H = 14, PAD = 4;
  const lanes = new Map(); // key -> {y, h}
  let y = AXIS;
  lanes.set("net", { y, h: NET_H }); y += NET_H + PAD;
  for (const id of nodeIds) { lanes.set("n" + id, { y, h: NODE_H }); y += NODE_H + PAD; }
  if (clientIds.length) y += 6;
  for (const id of clientIds) { lanes.set("c" + id, { y, h: CLIENT_H }); y += CLIENT_H + 2; }
  const HEIGHT = y + 8;
  let width = 800;
  const view = { v0: 0, v1: run.last[mode] }; // in the mode's unit
  const AGGREGATE_ABOVE = 3000;
  let hits = [];
  let aggregated = 0; // messages in view drawn as a density

  function resize() {
    const stage = document.getElementById("stage");
    width = Math.max(400, stage.clientWidth);
    const dpr = window.devicePixelRatio || 1;
    canvas.width = Math.floor(width * dpr);
    canvas.height = Math.floor(HEIGHT * dpr);
    canvas.style.width = width + "px";
    canvas.style.height = HEIGHT + "px";
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    draw();
  }
  const plotW = () => width - GUTTER - 8;
  const xOfV = (v) => GUTTER + ((v - view.v0) / (view.v1 - view.v0)) * plotW();
  const X = (p) => xOfV(p[mode]);
  const vOf = (x) => view.v0 + ((x - GUTTER) / plotW()) * (view.v1 - view.v0);
  const inView = (a, b) => b[mode] >= view.v0 && a[mode] <= view.v1;
  const laneMid = (peer) => { const l = lanes.get(peerKey(peer)); return l ? l.y + l.h / 2 : null; };
  const fmtAt = (p) => fmtNs(p.t) + (mode === "s" ? " (event " + p.s + ")" : "");

  // ---- drawing ----------------------------------------------------------
  function draw() {
    const drawStart = performance.now();
    hits = [];
    ctx.clearRect(0, 0, width, HEIGHT);
    ctx.font = "11px system-ui, sans-serif";
    drawAxis();
    drawLaneLabels();
    ctx.save();
    ctx.beginPath(); ctx.rect(GUTTER, 0, plotW(), HEIGHT); ctx.clip();
    drawPartitions();
    for (const id of nodeIds) drawNode(id);
    drawOps();
    drawMarks();
    drawMessages();
    drawViolation();
    ctx.restore();
    document.getElementById("window").textContent = mode === "t"
      ? fmtNs(view.v0) + " – " + fmtNs(view.v1)
      : "events " + Math.round(view.v0) + " – " + Math.round(view.v1);
    timing.drawMs = performance.now() - drawStart;
    document.getElementById("aggregated").textContent = aggregated
      ? aggregated + " messages in view, drawn as their density: zoom in to see arrows" : "";
  }

  function drawAxis() {
    const span = view.v1 - view.v0;
    const step = Math.max(mode === "s" ? 1 : 0, niceStep(span / Math.max(1, plotW() / 90)));
    ctx.fillStyle = "#555"; ctx.strokeStyle = "#e3e3e3"; ctx.lineWidth = 1;
    for (let v = Math.ceil(view.v0 / step) * step; v <= view.v1; v += step) {
      const x = xOfV(v);
      ctx.beginPath(); ctx.moveTo(x, AXIS - 4); ctx.lineTo(x, HEIGHT); ctx.stroke();
      ctx.fillText(mode === "t" ? fmtNs(v) : "#" + v, x + 2, 12);
    }
  }

  function drawLaneLabels() {
    for (const [key, lane] of lanes) {
      const label = key === "net" ? "network" : key;
      ctx.fillStyle = key[0] === "n" && blamed.has(Number(key.slice(1))) ? "#c0262d" : "#333";
      ctx.fillText(label, 6, lane.y + Math.min(lane.h, 16) - 3);
    }
  }

  function drawPartitions() {
    const lane = lanes.get("net");
    for (const p of run.partitions) {
      if (!inView(p.a, p.b)) continue;
      const x0 = Math.max(GUTTER, X(p.a)), x1 = Math.min(width, X(p.b));
      ctx.fillStyle = "rgba(214, 48, 49, 0.25)";
      ctx.fillRect(x0, lane.y, Math.max(2, x1 - x0), lane.h);
      const cut = new Set();
      for (const [a, b] of p.links) { cut.add(a); cut.add(b); }
      ctx.fillStyle = "rgba(214, 48, 49, 0.08)";
      for (const id of cut) {
        const l = lanes.get("n" + id);
        if (l) ctx.fillRect(x0, l.y, Math.max(2, x1 - x0), l.h);
      }
      const label = p.links.slice(0, 6).map(([a, b]) => "n" + a + "→n" + b).join(" ") + (p.links.length > 6 ? " …" : "");
      ctx.fillStyle = "#8a1c1c";
      if (x1 - x0 > 60) ctx.fillText(label, x0 + 14, lane.y + 15, x1 - x0 - 18);
      hits.push({ kind: "partition", x: x0, y: lane.y, w: Math.max(4, x1 - x0), h: lane.h,
        title: "partition " + fmtAt(p.a) + " – " + fmtAt(p.b) + ": " + p.links.length + " links cut",
        rec: { links: p.links, records: p.recs } });
    }
  }

  function drawNode(id) {
    const lane = lanes.get("n" + id);
    const list = run.nodes.get(id);
    const bandH = 16;
    const endOf = (i) => (i + 1 < list.length ? list[i + 1].at : run.last);
    // The band: one rectangle per run of records of the same process, role
    // and term (the records between differ in index only).
    const same = (a, b) => a.process === b.process && a.role === b.role && a.term === b.term;
    for (let i = 0; i < list.length;) {
      let j = i + 1;
      while (j < list.length && same(list[j].rec, list[i].rec)) j++;
      const { at, rec } = list[i];
      const until = j < list.length ? list[j].at : run.last;
      i = j;
      if (!inView(at, until)) continue;
      const x0 = Math.max(GUTTER - 1, X(at)), x1 = Math.min(width + 1, X(until));
      const w = Math.max(0.5, x1 - x0);
      ctx.fillStyle = rec.process === "up" ? (ROLE[rec.role] || "#ccc") : PROCESS[rec.process];
      ctx.fillRect(x0, lane.y, w, bandH);
      if (w > 18) {
        ctx.fillStyle = rec.process === "down" ? "#eee" : "#1b1b1b";
        ctx.fillText(rec.process === "up" ? "t" + rec.term : rec.process, x0 + 2, lane.y + 12, w - 3);
      }
    }
    for (let i = 0; i < list.length; i++) {
      const { at, rec } = list[i];
      const until = endOf(i);
      if (!inView(at, until)) continue;
      const x0 = Math.max(GUTTER - 1, X(at)), x1 = Math.min(width + 1, X(until));
      const w = Math.max(0.5, x1 - x0);
      if (rec.syncing) { ctx.fillStyle = "#e8842c"; ctx.fillRect(x0, lane.y + lane.h - 4, w, 3); }
      hits.push({ kind: "state", x: x0, y: lane.y, w, h: lane.h,
        title: () => "n" + id + " from " + fmtAt(at) + " to " + fmtAt(until), rec });
    }
    // commit and apply index as step lines in the lower part of the lane
    const top = lane.y + bandH + 2, bottom = lane.y + lane.h - 6;
    const yOf = (v) => bottom - (v / maxIndex) * (bottom - top);
    for (const [field, colour] of [["commit", "#1d3f8a"], ["applied", "#19a7a0"]]) {
      ctx.strokeStyle = colour; ctx.lineWidth = 1.2; ctx.beginPath();
      let started = false;
      for (let i = 0; i < list.length; i++) {
        const { at, rec } = list[i];
        const until = endOf(i);
        if (!inView(at, until) || rec.process === "down") { started = false; continue; }
        const yy = yOf(rec[field]);
        const x0 = Math.max(GUTTER - 1, X(at)), x1 = Math.min(width + 1, X(until));
        if (started) ctx.lineTo(x0, yy); else ctx.moveTo(x0, yy);
        ctx.lineTo(x1, yy);
        started = true;
      }
      ctx.stroke();
    }
    if (blamed.has(id)) {
      ctx.strokeStyle = "#d0021b"; ctx.lineWidth = 2;
      ctx.strokeRect(GUTTER, lane.y - 1, plotW(), lane.h + 2);
    }
  }

  function drawOps() {
    for (const op of run.ops.values()) {
      const rec = op.rec;
      const lane = lanes.get("c" + rec.client);
      if (!lane || !inView(op.a, op.b)) continue;
      const x0 = Math.max(GUTTER - 1, X(op.a)), x1 = Math.min(width + 1, X(op.b));
      const w = Math.max(1.5, x1 - x0);
      ctx.fillStyle = OUTCOME[rec.outcome] || OUTCOME.pending;
      ctx.fillRect(x0, lane.y + 1, w, lane.h - 2);
      const judged = rejected.get(rec.position);
      if (judged) {
        ctx.strokeStyle = judged === "stuck" ? "#d0021b" : "#f39c12";
        ctx.lineWidth = judged === "stuck" ? 3 : 2;
        ctx.strokeRect(x0, lane.y, Math.max(4, w), lane.h);
      }
      if (w > 40) {
        ctx.fillStyle = "#1b1b1b";
        const read = rec.read ? " → [" + rec.read.join(",") + "]" : "";
        ctx.fillText(rec.op + read, x0 + 2, lane.y + lane.h - 3, w - 3);
      }
      hits.push({ kind: judged ? "rejected-op" : "op", x: x0, y: lane.y, w: Math.max(4, w), h: lane.h,
        title: () => "c" + rec.client + " " + rec.op + ": " + (rec.outcome || "pending") +
          (judged === "stuck" ? " (no order of the operations fits it)" : ""), rec });
    }
  }

  const GLYPH = { crash: "✕", crash_keeping: "✕", restart: "▲", pause: "‖", resume: "▶", skew: "∿",
    disk: "◆", campaign: "★", heartbeat: "♥", check_quorum: "Q", tick_now: "·", compact: "▣",
    propose: "+", conf_change: "⚙", transfer_leader: "⇄", noise: "≈", torn: "⌇", workload: "◎",
    membership: "⚙", heal: "✓", block: "⊘" };
  const GLYPH_COLOUR = { crash: "#c0262d", crash_keeping: "#c0262d", restart: "#23803f", heal: "#23803f", block: "#c0262d" };

  function drawMarks() {
    ctx.font = "bold 13px system-ui, sans-serif";
    for (const m of run.marks) {
      if (!inView(m.at, m.at)) continue;
      const lane = lanes.get(m.lane === "net" ? "net" : "n" + m.lane);
      if (!lane) continue;
      const x = X(m.at), yy = lane.y + (m.lane === "net" ? 15 : 13);
      ctx.fillStyle = GLYPH_COLOUR[m.kind] || "#333";
      ctx.fillText(GLYPH[m.kind] || "•", x - 4, yy);
      hits.push({ kind: m.kind, x: x - 6, y: lane.y, w: 12, h: 18, title: () => m.kind + " at " + fmtAt(m.at), rec: m.rec, mark: true });
    }
    ctx.font = "11px system-ui, sans-serif";
  }

  function drawMessages() {
    aggregated = 0;
    const visible = [];
    for (const m of run.messages) {
      if (!shown.get(m.msg) || !inView(m.a, m.b || m.a)) continue;
      visible.push(m);
    }
    if (visible.length > AGGREGATE_ABOVE) return drawDensity(visible);
    for (const m of visible) {
      const y0 = laneMid(m.from), y1 = laneMid(m.to);
      if (y0 === null || y1 === null) continue;
      const x0 = X(m.a);
      const lost = m.b === null;
      const x1 = lost ? x0 + 8 : X(m.b);
      const yEnd = lost ? y0 + (y1 - y0) * 0.25 : y1;
      ctx.strokeStyle = msgColour.get(m.msg); ctx.lineWidth = 1;
      ctx.setLineDash(m.fate === "duplicated" ? [4, 3] : []);
      ctx.beginPath(); ctx.moveTo(x0, y0); ctx.lineTo(x1, yEnd); ctx.stroke();
      ctx.setLineDash([]);
      if (lost || m.fate === "dropped") {
        ctx.strokeStyle = "#d0021b";
        cross(x1, yEnd, 3);
      } else {
        arrowHead(x0, y0, x1, yEnd);
      }
      hits.push({ kind: "message", seg: [x0, y0, x1, yEnd],
        title: () => m.msg + " " + peerKey(m.from) + "→" + peerKey(m.to) + " (" + m.fate + ")",
        rec: m.endRec ? { send: m.rec, end: m.endRec } : { send: m.rec } });
    }
  }

  function drawDensity(visible) {
    // Per lane and pixel bucket: how many messages were sent from it.
    const BUCKET = 3;
    const counts = new Map();
    let most = 1;
    for (const m of visible) {
      const key = peerKey(m.from);
      if (!counts.has(key)) counts.set(key, new Map());
      const b = Math.floor((X(m.a) - GUTTER) / BUCKET);
      const row = counts.get(key);
      const n = (row.get(b) || 0) + 1;
      row.set(b, n);
      if (n > most) most = n;
    }
    for (const [key, row] of counts) {
      const lane = lanes.get(key);
      if (!lane) continue;
      const h = key[0] === "n" ? 6 : lane.h - 4;
      const top = key[0] === "n" ? lane.y + lane.h / 2 + 5 - h / 2 : lane.y + 2;
      for (const [b, n] of row) {
        ctx.fillStyle = "rgba(40, 70, 140, " + (0.15 + 0.6 * n / most).toFixed(3) + ")";
        ctx.fillRect(GUTTER + b * BUCKET, top, BUCKET, h);
      }
    }
    aggregated = visible.length;
  }

  function drawViolation() {
    if (!violationAt || !inView(violationAt, violationAt)) return;
    const x = X(violationAt);
    ctx.strokeStyle = "#d0021b"; ctx.lineWidth = 2;
    ctx.beginPath(); ctx.moveTo(x, AXIS); ctx.lineTo(x, HEIGHT); ctx.stroke();
    ctx.fillStyle = "#d0021b"; ctx.font = "bold 12px system-ui, sans-serif";
    const label = "✗ " + (run.end.invariant || "violation");
    const w = ctx.measureText(label).width;
    ctx.fillText(label, Math.max(GUTTER + 2, x - w - 4), AXIS + 12);
    ctx.font = "11px system-ui, sans-serif";
    hits.push({ kind: "violation", x: x - 6, y: AXIS, w: 12, h: HEIGHT - AXIS,
      title: label + " at " + fmtAt(violationAt), rec: run.end, mark: true });
  }

  function arrowHead(x0, y0, x1, y1) {
    const a = Math.atan2(y1 - y0, x1 - x0);
    ctx.beginPath();
    ctx.moveTo(x1, y1);
    ctx.lineTo(x1 - 5 * Math.cos(a - 0.4), y1 - 5 * Math.sin(a - 0.4));
    ctx.moveTo(x1, y1);
    ctx.lineTo(x1 - 5 * Math.cos(a + 0.4), y1 - 5 * Math.sin(a + 0.4));
    ctx.stroke();
  }

  function cross(x, yy, r) {
    ctx.beginPath();
    ctx.moveTo(x - r, yy - r); ctx.lineTo(x + r, yy + r);
    ctx.moveTo(x + r, yy - r); ctx.lineTo(x - r, yy + r);
    ctx.stroke();
  }

  // ---- finding what was clicked -------------------------------------------
  function hitAt(x, yy) {
    // Marks first (they sit on top), then arrows, then operations, then
    // bands and partitions.
    let best = null, bestRank = 99;
    for (const hit of hits) {
      let rank;
      if (hit.seg) {
        if (distToSegment(x, yy, hit.seg) > 3) continue;
        rank = 1;
      } else {
        if (x < hit.x || x > hit.x + hit.w || yy < hit.y || yy > hit.y + hit.h) continue;
        rank = hit.mark ? 0 : hit.kind === "state" || hit.kind === "partition" ? 3 : 2;
      }
      if (rank < bestRank) { best = hit; bestRank = rank; }
    }
    return best;
  }

  function distToSegment(px, py, [x0, y0, x1, y1]) {
    const dx = x1 - x0, dy = y1 - y0;
    const len = dx * dx + dy * dy;
    const u = len === 0 ? 0 : Math.max(0, Math.min(1, ((px - x0) * dx + (py - y0) * dy) / len));
    return Math.hypot(px - (x0 + u * dx), py - (y0 + u * dy));
  }

  // Titles are made when asked for: formatting one per drawn thing would
  // cost more than drawing it.
  const titleOf = (hit) => (typeof hit.title === "function" ? hit.title() : hit.title);

  function show(hit) {
    const details = document.getElementById("details");
    details.innerHTML = "";
    details.dataset.kind = hit ? hit.kind : "";
    if (!hit) { details.append(el("p", "Nothing here.")); return; }
    details.append(el("h2", titleOf(hit)), el("pre", JSON.stringify(hit.rec, null, 2)));
  }

  // ---- zoom and pan ---------------------------------------------------------
  const minSpan = () => (mode === "t" ? 1000 : 4);
  function zoom(factor, atX) {
    const at = atX === undefined ? (view.v0 + view.v1) / 2 : vOf(atX);
    let span = Math.max(minSpan(), (view.v1 - view.v0) * factor);
    span = Math.min(span, run.last[mode] * 1.05);
    const share = (at - view.v0) / (view.v1 - view.v0);
    setView(at - share * span, at - share * span + span);
  }
  function setView(v0, v1) {
    const span = v1 - v0;
    if (v0 < -span * 0.02) { v0 = -span * 0.02; v1 = v0 + span; }
    if (v1 > run.last[mode] + span * 0.02) { v1 = run.last[mode] + span * 0.02; v0 = v1 - span; }
    view.v0 = v0; view.v1 = v1;
    draw();
  }
  const fit = () => setView(0, run.last[mode]);
  function toViolation() {
    if (!violationAt) return;
    // A linearizability violation is judged at the end of the run: what
    // matters is when the operations it rejects ran.
    let lo = Infinity, hi = -Infinity;
    for (const op of run.ops.values()) {
      if (!rejected.has(op.rec.position)) continue;
      lo = Math.min(lo, op.a[mode]);
      hi = Math.max(hi, op.b[mode]);
    }
    if (lo <= hi) {
      const pad = Math.max(minSpan(), (hi - lo) * 0.1);
      setView(lo - pad, hi + pad);
      return;
    }
    const span = Math.max(minSpan() * 100, run.last[mode] / 50);
    setView(violationAt[mode] - span * 0.8, violationAt[mode] + span * 0.2);
  }
  function setMode(next) {
    mode = next;
    modeButton.textContent = mode === "t" ? "axis: virtual time" : "axis: event order";
    view.v0 = 0;
    view.v1 = run.last[mode];
  }

  let drag = null;
  canvas.addEventListener("mousedown", (e) => { drag = { x: e.offsetX, v0: view.v0, v1: view.v1, moved: false }; });
  window.addEventListener("mousemove", (e) => {
    if (!drag) return;
    const rect = canvas.getBoundingClientRect();
    const dx = e.clientX - rect.left - drag.x;
    if (Math.abs(dx) > 3) drag.moved = true;
    if (!drag.moved) return;
    const dv = (dx / plotW()) * (drag.v1 - drag.v0);
    setView(drag.v0 - dv, drag.v1 - dv);
  });
  window.addEventListener("mouseup", (e) => {
    if (!drag) return;
    const wasClick = !drag.moved;
    drag = null;
    if (wasClick && e.target === canvas) {
      const rect = canvas.getBoundingClientRect();
      show(hitAt(e.clientX - rect.left, e.clientY - rect.top));
    }
  });
  canvas.addEventListener("wheel", (e) => { e.preventDefault(); zoom(e.deltaY > 0 ? 1.25 : 0.8, e.offsetX); }, { passive: false });
  canvas.addEventListener("dblclick", fit);
  document.getElementById("fit").addEventListener("click", fit);
  document.getElementById("zoom-in").addEventListener("click", () => zoom(0.5));
  document.getElementById("zoom-out").addEventListener("click", () => zoom(2));
  const violationButton = document.getElementById("to-violation");
  violationButton.disabled = !violationAt;
  violationButton.addEventListener("click", toViolation);
  const modeButton = document.getElementById("axis");
  modeButton.addEventListener("click", () => { setMode(mode === "t" ? "s" : "t"); draw(); });
  window.addEventListener("keydown", (e) => {
    const span = view.v1 - view.v0;
    if (e.key === "+" || e.key === "=") zoom(0.5);
    else if (e.key === "-") zoom(2);
    else if (e.key === "0") fit();
    else if (e.key === "v") toViolation();
    else if (e.key === "ArrowLeft") setView(view.v0 - span / 5, view.v1 - span / 5);
    else if (e.key === "ArrowRight") setView(view.v0 + span / 5, view.v1 + span / 5);
  });
  window.addEventListener("resize", resize);

  // ---- helpers --------------------------------------------------------------
  function el(tag, textContent) { const e = document.createElement(tag); e.textContent = textContent; return e; }
  function addSwatch(parent, colour, name) {
    const s = el("span", ""); s.className = "swatch"; s.style.background = colour;
    parent.append(s, document.createTextNode(name));
  }
  function niceStep(raw) {
    const p = Math.pow(10, Math.floor(Math.log10(Math.max(raw, 1e-9))));
    for (const m of [1, 2, 5, 10]) if (m * p >= raw) return m * p;
    return 10 * p;
  }
  function fmtNs(ns) {
    const a = Math.abs(ns);
    if (a >= 1e9) return (ns / 1e9).toFixed(a >= 1e10 ? 1 : 3).replace(/\.?0+$/, "") + " s";
    if (a >= 1e6) return (ns / 1e6).toFixed(a >= 1e7 ? 1 : 3).replace(/\.?0+$/, "") + " ms";
    if (a >= 1e3) return (ns / 1e3).toFixed(1).replace(/\.?0+$/, "") + " µs";
    return Math.round(ns) + " ns";
  }

  // For tests and the curious: where the things of a kind are drawn, in
  // page coordinates, and how many of each are in view.
  window.raftsimPicture = {
    lanes: [...lanes.keys()],
    view,
    mode: () => mode,
    find(kind) {
      const rect = canvas.getBoundingClientRect();
      return hits.filter((h) => h.kind === kind).map((h) => h.seg
        ? { x: rect.left + (h.seg[0] + h.seg[2]) / 2, y: rect.top + (h.seg[1] + h.seg[3]) / 2, title: titleOf(h) }
        : { x: rect.left + h.x + h.w / 2, y: rect.top + h.y + Math.min(h.h, 16) / 2, title: titleOf(h) });
    },
    counts() {
      const c = {};
      for (const h of hits) c[h.kind] = (c[h.kind] || 0) + 1;
      return c;
    },
    zoomToViolation: toViolation,
    readyMs: 0,
    timing,
    setView,
    fit,
  };
  setMode(mode);
  resize();
  // A link to the page with #violation opens it zoomed to the violation.
  if (window.location.hash === "#violation") toViolation();
  window.raftsimPicture.readyMs = performance.now();
})();
