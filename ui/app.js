// Lookout's page: the live picture with boxes, zones and masks drawn over it, status and stage times,
// the last hour's events, and tuning (thresholds, zone and mask polygons) saved into the config file.
// Plain browser JavaScript served by the daemon itself (docs/ui.md): no build step, nothing fetched
// from anywhere else. Coordinates are normalized to the frame ([0, 1] both ways), as in the config.
'use strict';

const $ = (id) => document.getElementById(id);
const STAGES = [
  ['capture_ms', '#8e24aa'],
  ['wait_ms', '#9aa5b1'],
  ['preprocess_ms', '#f9a825'],
  ['inference_ms', '#1565c0'],
  ['postprocess_ms', '#00897b'],
  ['publish_ms', '#6d4c41'],
  ['total_ms', '#c62828'],
];
const KIND_COLORS = { zone: '#00e5ff', mask: '#ff1744', motion: '#ffab00' };
const CLOSE_PX = 12;

const state = {
  cameras: [],
  uiFps: 2,
  camera: null, // the selected camera's view from /api/cameras
  image: null, // ImageBitmap of the shown frame
  imageSeq: null,
  framesShown: 0,
  frames: new Map(), // frame seq -> detections payload (recent), for the shown camera
  timingByFrame: new Map(), // frame seq -> timing payload (it carries the frame's motion regions)
  latest: null, // newest detections payload of the shown camera
  timings: [], // recent timing payloads of the shown camera
  status: null,
  draft: null, // { zones, masks, motion_masks, min_score, min_scores }: what Save sends
  drawing: null, // { kind, points } while a new shape is drawn
  selected: null, // { kind, index }
  dragging: null, // { kind, index, point }
  hover: null,
  events: [],
};

// --- data ----------------------------------------------------------------------------------------

async function getJson(url) {
  const res = await fetch(url, { cache: 'no-store' });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return res.json();
}

async function loadCameras(keepSelection) {
  const body = await getJson('/api/cameras');
  state.cameras = body.cameras;
  state.uiFps = body.ui && body.ui.fps ? body.ui.fps : 2;
  const select = $('camera-select');
  const wanted = keepSelection && state.camera ? state.camera.name : new URLSearchParams(location.search).get('camera');
  select.replaceChildren(...state.cameras.map((c) => new Option(c.name, c.name)));
  const chosen = state.cameras.find((c) => c.name === wanted) || state.cameras[0] || null;
  if (chosen) select.value = chosen.name;
  selectCamera(chosen, keepSelection);
}

function selectCamera(view, keepFrames) {
  const changed = !state.camera || !view || state.camera.name !== view.name;
  state.camera = view;
  if (changed || !keepFrames) {
    state.frames.clear();
    state.timingByFrame.clear();
    state.latest = null;
    state.timings = [];
    state.image = null;
    state.imageSeq = null;
  }
  state.draft = view ? draftOf(view) : null;
  state.drawing = null;
  state.selected = null;
  $('add-motion-mask').hidden = !(view && view.motion_on);
  renderTuning();
  renderEvents();
  loadEvents();
  draw();
}

function draftOf(view) {
  const clone = (x) => JSON.parse(JSON.stringify(x));
  return {
    zones: clone(view.zones || []),
    masks: clone(view.masks || []),
    // Motion masks only where the camera computes motion (a `motion` block, or motion on by default).
    motion_masks: view.motion_on ? clone(view.motion_masks || []) : null,
    min_score: view.min_score,
    min_scores: clone(view.own && view.own.min_scores ? view.own.min_scores : {}),
  };
}

async function loadEvents() {
  if (!state.camera) return;
  try {
    const body = await getJson(`/api/events?camera=${encodeURIComponent(state.camera.name)}`);
    state.events = body.events;
    renderEvents();
  } catch (e) {
    console.warn(e);
  }
}

function connectLive() {
  const source = new EventSource('/api/live');
  source.addEventListener('open', () => ($('connection').textContent = 'live'));
  source.addEventListener('error', () => ($('connection').textContent = 'reconnecting…'));
  source.addEventListener('frame', (e) => {
    const f = JSON.parse(e.data);
    if (!state.camera || f.camera !== state.camera.name) return;
    state.latest = f.detections;
    state.frames.set(f.detections.frame, f.detections);
    if (state.frames.size > 60) state.frames.delete(state.frames.keys().next().value);
    state.timingByFrame.set(f.timing.frame, f.timing);
    if (state.timingByFrame.size > 60) state.timingByFrame.delete(state.timingByFrame.keys().next().value);
    state.timings.push(f.timing);
    if (state.timings.length > 120) state.timings.shift();
    drawTiming();
  });
  source.addEventListener('status', (e) => {
    state.status = JSON.parse(e.data);
    renderStatus();
  });
  source.addEventListener('event', (e) => {
    const ev = JSON.parse(e.data);
    if (!state.camera || ev.camera !== state.camera.name) return;
    state.events.unshift(ev);
    renderEvents();
    // Its snapshot is written just after the event: ask again for the file's name shortly.
    if (ev.snapshot) setTimeout(loadEvents, 1500);
  });
}

/** The live picture: one JPEG at a time, at most ui.fps a second, only while this page is visible. */
async function pictureLoop() {
  for (;;) {
    const started = performance.now();
    if (state.camera && !document.hidden) {
      try {
        const res = await fetch(`/api/cameras/${encodeURIComponent(state.camera.name)}/frame.jpg`, { cache: 'no-store' });
        if (res.ok) {
          const seq = Number(res.headers.get('x-frame-seq'));
          const bitmap = await createImageBitmap(await res.blob());
          if (state.image && state.image.close) state.image.close();
          state.image = bitmap;
          if (seq !== state.imageSeq) state.framesShown++;
          state.imageSeq = seq;
          draw();
        }
      } catch (e) {
        console.warn(e);
      }
    }
    const wait = Math.max(50, 1000 / state.uiFps - (performance.now() - started));
    await new Promise((r) => setTimeout(r, wait));
  }
}

// --- thresholds (preview) ------------------------------------------------------------------------

function thresholdOf(label) {
  const d = state.draft;
  if (!d) return 0;
  return d.min_scores[label] !== undefined ? d.min_scores[label] : d.min_score;
}

function shownDetections() {
  const payload = (state.imageSeq !== null && state.frames.get(state.imageSeq)) || state.latest;
  if (!payload) return { payload: null, list: [] };
  return { payload, list: payload.detections.filter((d) => d.score >= thresholdOf(d.label)) };
}

// --- drawing -------------------------------------------------------------------------------------

function draw() {
  const canvas = $('stage');
  const ctx = canvas.getContext('2d');
  const img = state.image;
  $('no-frame').hidden = !!img;
  if (img && (canvas.width !== img.width || canvas.height !== img.height)) {
    canvas.width = img.width;
    canvas.height = img.height;
  }
  const W = canvas.width;
  const H = canvas.height;
  ctx.clearRect(0, 0, W, H);
  if (img) ctx.drawImage(img, 0, 0);
  const line = Math.max(2, Math.round(W / 400));
  ctx.lineWidth = line;
  ctx.font = `${Math.max(12, Math.round(W / 50))}px system-ui, sans-serif`;
  const d = state.draft;
  if (d) {
    if ($('show-masks').checked) d.masks.forEach((p, i) => drawPolygon(ctx, p, KIND_COLORS.mask, `mask ${i + 1}`, 0.35, isSelected('mask', i)));
    if ($('show-motion').checked && d.motion_masks)
      d.motion_masks.forEach((p, i) => drawPolygon(ctx, p, KIND_COLORS.motion, `motion mask ${i + 1}`, 0.25, isSelected('motion', i)));
    if ($('show-zones').checked) d.zones.forEach((z, i) => drawPolygon(ctx, z.polygon, KIND_COLORS.zone, z.name, 0.12, isSelected('zone', i)));
  }
  const { payload, list } = shownDetections();
  const timing = payload ? state.timingByFrame.get(payload.frame) : null;
  if (timing && $('show-motion').checked) drawMotion(ctx, timing);
  if ($('show-boxes').checked) for (const det of list) drawBox(ctx, det, line);
  if (state.drawing) drawOpenShape(ctx, state.drawing);
  renderDetections(payload, list);
  $('frame-info').textContent = state.imageSeq !== null ? `frame ${state.imageSeq} · ${state.framesShown} shown` : '';
}

function isSelected(kind, index) {
  return !!state.selected && state.selected.kind === kind && state.selected.index === index;
}

function px(p) {
  const c = $('stage');
  return [p[0] * c.width, p[1] * c.height];
}

function drawPolygon(ctx, polygon, color, name, alpha, selected) {
  if (!polygon || polygon.length < 2) return;
  ctx.beginPath();
  polygon.forEach((p, i) => (i === 0 ? ctx.moveTo(...px(p)) : ctx.lineTo(...px(p))));
  ctx.closePath();
  ctx.globalAlpha = alpha;
  ctx.fillStyle = color;
  ctx.fill();
  ctx.globalAlpha = 1;
  ctx.strokeStyle = color;
  ctx.setLineDash(selected ? [] : [8, 6]);
  ctx.stroke();
  ctx.setLineDash([]);
  if (selected) for (const p of polygon) handle(ctx, px(p), color);
  const [x, y] = px(polygon[0]);
  label(ctx, name, x, y, color);
}

function drawOpenShape(ctx, drawing) {
  const color = KIND_COLORS[drawing.kind];
  ctx.strokeStyle = color;
  ctx.beginPath();
  drawing.points.forEach((p, i) => (i === 0 ? ctx.moveTo(...px(p)) : ctx.lineTo(...px(p))));
  if (state.hover && drawing.points.length) ctx.lineTo(...px(state.hover));
  ctx.stroke();
  drawing.points.forEach((p, i) => handle(ctx, px(p), i === 0 ? '#fff' : color));
}

function handle(ctx, [x, y], color) {
  ctx.fillStyle = color;
  ctx.fillRect(x - 5, y - 5, 10, 10);
  ctx.strokeStyle = '#000';
  ctx.lineWidth = 1;
  ctx.strokeRect(x - 5, y - 5, 10, 10);
  ctx.lineWidth = Math.max(2, Math.round($('stage').width / 400));
}

function label(ctx, text, x, y, color) {
  const w = ctx.measureText(text).width + 8;
  const h = parseInt(ctx.font, 10) + 6;
  const top = y - h < 0 ? y : y - h;
  ctx.fillStyle = color;
  ctx.fillRect(x, top, w, h);
  ctx.fillStyle = '#000';
  ctx.fillText(text, x + 4, top + h - 5);
}

function colorOf(labelName) {
  let h = 0;
  for (const ch of labelName) h = (h * 31 + ch.charCodeAt(0)) % 360;
  return `hsl(${h}, 90%, 55%)`;
}

function drawBox(ctx, det, line) {
  const [x1, y1] = px([det.box[0], det.box[1]]);
  const [x2, y2] = px([det.box[2], det.box[3]]);
  const color = colorOf(det.label);
  ctx.strokeStyle = color;
  ctx.lineWidth = line;
  ctx.strokeRect(x1, y1, x2 - x1, y2 - y1);
  const id = det.track_id !== undefined ? ` #${det.track_id}` : '';
  label(ctx, `${det.label} ${det.score.toFixed(2)}${id}`, x1, y1, color);
}

/** The frame's motion regions ([x1, y1, x2, y2], normalized), where its timing carries them. */
function drawMotion(ctx, timing) {
  const m = timing.motion;
  if (!m || !Array.isArray(m.regions)) return;
  const regions = m.regions;
  ctx.strokeStyle = KIND_COLORS.motion;
  ctx.setLineDash([4, 4]);
  for (const r of regions) {
    const box = Array.isArray(r) ? r : r.box;
    if (!box || box.length !== 4) continue;
    const [x1, y1] = px([box[0], box[1]]);
    const [x2, y2] = px([box[2], box[3]]);
    ctx.strokeRect(x1, y1, x2 - x1, y2 - y1);
  }
  ctx.setLineDash([]);
}

function renderDetections(payload, list) {
  const body = $('detections').tBodies[0];
  const rows = list.map((d) => {
    const tr = document.createElement('tr');
    for (const text of [d.label, d.score.toFixed(2), d.track_id !== undefined ? `#${d.track_id}` : '', (d.zones || []).join(', ')]) {
      const td = document.createElement('td');
      td.textContent = text;
      tr.append(td);
    }
    tr.dataset.label = d.label;
    return tr;
  });
  const hidden = payload ? payload.detections.length - list.length : 0;
  if (hidden > 0) {
    const tr = document.createElement('tr');
    const td = document.createElement('td');
    td.colSpan = 4;
    td.className = 'muted';
    td.textContent = `${hidden} under the thresholds set here (not drawn)`;
    tr.append(td);
    rows.push(tr);
  }
  body.replaceChildren(...rows);
}

// --- status and timing ---------------------------------------------------------------------------

function renderStatus() {
  const cam = state.status && state.camera ? state.status.cameras.find((c) => c.name === state.camera.name) : null;
  const badge = $('camera-state');
  badge.textContent = cam ? cam.state : '…';
  badge.className = `state ${cam ? cam.state : ''}`;
  const last = state.timings[state.timings.length - 1];
  const rows = cam
    ? [
        ['state', cam.state + (cam.reason ? ` (${cam.reason})` : '')],
        ['detection FPS', cam.detect_fps.toFixed(2) + (cam.fps_cap !== null ? ` (cap ${cam.fps_cap})` : '')],
        ['inference p50', cam.inference_p50_ms !== null ? `${cam.inference_p50_ms.toFixed(1)} ms` : '–'],
        ['frames dropped', String(cam.dropped)],
        ['total per frame', last ? `${last.total_ms.toFixed(1)} ms` : '–'],
      ]
    : [];
  $('status').replaceChildren(
    ...rows.flatMap(([k, v]) => {
      const dt = document.createElement('dt');
      dt.textContent = k;
      const dd = document.createElement('dd');
      dd.textContent = v;
      return [dt, dd];
    }),
  );
}

function drawTiming() {
  const canvas = $('timing');
  const ctx = canvas.getContext('2d');
  const W = canvas.width;
  const H = canvas.height;
  const pad = { l: 34, r: 6, t: 6, b: 14 };
  ctx.clearRect(0, 0, W, H);
  const data = state.timings;
  const max = Math.max(10, ...data.map((t) => t.total_ms));
  const top = niceCeil(max);
  ctx.strokeStyle = '#e1e4e8';
  ctx.fillStyle = '#6b7785';
  ctx.font = '10px system-ui, sans-serif';
  ctx.lineWidth = 1;
  for (let i = 0; i <= 4; i++) {
    const y = pad.t + ((H - pad.t - pad.b) * i) / 4;
    ctx.beginPath();
    ctx.moveTo(pad.l, y);
    ctx.lineTo(W - pad.r, y);
    ctx.stroke();
    const v = top * (1 - i / 4);
    ctx.fillText(Number.isInteger(v) ? String(v) : v.toFixed(1), 2, y + 3);
  }
  const x = (i) => pad.l + ((W - pad.l - pad.r) * i) / 119;
  const y = (v) => pad.t + (H - pad.t - pad.b) * (1 - Math.min(v, top) / top);
  for (const [key, color] of STAGES) {
    ctx.strokeStyle = color;
    ctx.lineWidth = key === 'total_ms' ? 2 : 1.2;
    ctx.beginPath();
    data.forEach((t, i) => (i === 0 ? ctx.moveTo(x(i), y(t[key] || 0)) : ctx.lineTo(x(i), y(t[key] || 0))));
    ctx.stroke();
  }
  renderStatus();
}

function niceCeil(v) {
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function renderLegend() {
  $('timing-legend').replaceChildren(
    ...STAGES.map(([key, color]) => {
      const span = document.createElement('span');
      const i = document.createElement('i');
      i.style.background = color;
      span.append(i, key.replace('_ms', ''));
      return span;
    }),
  );
}

// --- events --------------------------------------------------------------------------------------

function renderEvents() {
  const list = state.events.slice(0, 200).map((e) => {
    const li = document.createElement('li');
    const time = new Date(e.at || e.updated_at).toLocaleTimeString();
    const text = document.createElement('span');
    text.textContent = `${time} ${e.type} ${e.label} #${e.track_id} ${e.score.toFixed(2)}${e.zones && e.zones.length ? ` in ${e.zones.join(', ')}` : ''}`;
    if (e.snapshot_url) {
      const a = document.createElement('a');
      a.href = e.snapshot_url;
      a.target = '_blank';
      const img = document.createElement('img');
      img.src = e.snapshot_url;
      img.alt = `snapshot of ${e.label} #${e.track_id}`;
      img.loading = 'lazy';
      a.append(img);
      li.append(a);
    }
    li.append(text);
    return li;
  });
  $('events').replaceChildren(...list);
}

// --- tuning --------------------------------------------------------------------------------------

function renderTuning() {
  const d = state.draft;
  const cam = state.camera;
  const slider = $('min-score');
  slider.disabled = !d;
  if (!d || !cam) {
    $('shape-list').replaceChildren();
    $('label-scores').replaceChildren();
    return;
  }
  slider.value = String(d.min_score);
  $('min-score-value').textContent = Number(d.min_score).toFixed(2);
  const labels = [...new Set([...(cam.labels || []), ...Object.keys(d.min_scores)])];
  $('label-scores').replaceChildren(
    ...labels.flatMap((l) => {
      const name = document.createElement('label');
      name.textContent = l;
      const input = document.createElement('input');
      input.type = 'number';
      input.min = '0';
      input.max = '1';
      input.step = '0.01';
      input.placeholder = Number(d.min_score).toFixed(2);
      input.dataset.label = l;
      if (d.min_scores[l] !== undefined) input.value = String(d.min_scores[l]);
      input.addEventListener('input', () => {
        if (input.value === '') delete d.min_scores[l];
        else d.min_scores[l] = Number(input.value);
        draw();
      });
      name.htmlFor = input.id = `score-${l}`;
      return [name, input];
    }),
  );
  renderShapes();
}

function renderShapes() {
  const d = state.draft;
  const items = [];
  const row = (kind, index, title, editableName) => {
    const li = document.createElement('li');
    li.className = isSelected(kind, index) ? 'selected' : '';
    const sw = document.createElement('span');
    sw.className = 'swatch';
    sw.style.background = KIND_COLORS[kind];
    li.append(sw);
    if (editableName) {
      const input = document.createElement('input');
      input.value = title;
      input.setAttribute('aria-label', 'zone name');
      input.addEventListener('input', () => {
        d.zones[index].name = input.value;
        draw();
      });
      li.append(input);
    } else {
      const span = document.createElement('span');
      span.textContent = title;
      li.append(span);
    }
    const edit = document.createElement('button');
    edit.type = 'button';
    edit.textContent = 'edit';
    edit.addEventListener('click', () => {
      state.selected = { kind, index };
      renderShapes();
      draw();
    });
    const del = document.createElement('button');
    del.type = 'button';
    del.textContent = 'delete';
    del.addEventListener('click', () => {
      listOf(kind).splice(index, 1);
      state.selected = null;
      renderShapes();
      draw();
    });
    li.append(edit, del);
    items.push(li);
  };
  d.zones.forEach((z, i) => row('zone', i, z.name, true));
  d.masks.forEach((_, i) => row('mask', i, `mask ${i + 1}`, false));
  if (d.motion_masks) d.motion_masks.forEach((_, i) => row('motion', i, `motion mask ${i + 1}`, false));
  $('shape-list').replaceChildren(...items);
}

function listOf(kind) {
  const d = state.draft;
  if (kind === 'zone') return d.zones;
  if (kind === 'mask') return d.masks;
  return d.motion_masks;
}

function polygonOf(kind, index) {
  const item = listOf(kind)[index];
  return kind === 'zone' ? item.polygon : item;
}

function startShape(kind) {
  if (!state.draft) return;
  state.drawing = { kind, points: [] };
  state.selected = null;
  $('finish').disabled = false;
  $('cancel-shape').disabled = false;
  draw();
}

function finishShape() {
  const dr = state.drawing;
  if (!dr) return;
  state.drawing = null;
  $('finish').disabled = true;
  $('cancel-shape').disabled = true;
  // A shape with fewer than three points is kept as drawn: Save shows what the config check says.
  if (dr.points.length > 0) {
    const list = listOf(dr.kind);
    if (dr.kind === 'zone') list.push({ name: nextZoneName(), polygon: dr.points });
    else list.push(dr.points);
    state.selected = { kind: dr.kind, index: list.length - 1 };
  }
  renderShapes();
  draw();
}

function nextZoneName() {
  const names = new Set(state.draft.zones.map((z) => z.name));
  for (let i = 1; ; i++) if (!names.has(`zone_${i}`)) return `zone_${i}`;
}

function pointAt(e) {
  const c = $('stage');
  const r = c.getBoundingClientRect();
  const clamp = (v) => Math.min(1, Math.max(0, v));
  const round = (v) => Math.round(v * 10000) / 10000;
  return [round(clamp((e.clientX - r.left) / r.width)), round(clamp((e.clientY - r.top) / r.height))];
}

function nearPoint(polygon, p) {
  const c = $('stage');
  const r = c.getBoundingClientRect();
  return polygon.findIndex((q) => Math.hypot((q[0] - p[0]) * r.width, (q[1] - p[1]) * r.height) <= CLOSE_PX);
}

function onCanvasDown(e) {
  if (!state.draft) return;
  const p = pointAt(e);
  if (state.drawing) {
    const pts = state.drawing.points;
    if (pts.length >= 3 && nearPoint([pts[0]], p) === 0) finishShape();
    else pts.push(p);
    draw();
    return;
  }
  if (state.selected) {
    const polygon = polygonOf(state.selected.kind, state.selected.index);
    const i = nearPoint(polygon, p);
    if (i >= 0 && e.altKey) {
      polygon.splice(i, 1);
      draw();
      return;
    }
    if (i >= 0) {
      state.dragging = { polygon, point: i };
      return;
    }
  }
}

function onCanvasMove(e) {
  const p = pointAt(e);
  if (state.dragging) {
    state.dragging.polygon[state.dragging.point] = p;
    draw();
  } else if (state.drawing) {
    state.hover = p;
    draw();
  }
}

function onCanvasUp() {
  state.dragging = null;
}

function tuningBody() {
  const d = state.draft;
  const body = { zones: d.zones, masks: d.masks, min_score: d.min_score, min_scores: d.min_scores };
  // Sent only when changed: a camera without a `motion` block in the file would get one otherwise.
  if (d.motion_masks && JSON.stringify(d.motion_masks) !== JSON.stringify(state.camera.motion_masks || [])) body.motion_masks = d.motion_masks;
  return body;
}

async function save() {
  if (!state.camera) return;
  if (state.drawing) finishShape();
  const result = $('save-result');
  const problems = $('problems');
  result.textContent = 'saving…';
  result.className = '';
  problems.replaceChildren();
  let res;
  let body;
  try {
    res = await fetch(`/api/cameras/${encodeURIComponent(state.camera.name)}/tuning`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(tuningBody()),
    });
    body = await res.json();
  } catch (e) {
    result.textContent = `Save failed: ${e.message}`;
    return;
  }
  if (res.ok && body.ok) {
    result.textContent = `Saved to ${body.file}${body.backup ? ` (the previous file is ${body.backup})` : ''} and reloaded${body.restart_needed.length ? `; applies after a restart: ${body.restart_needed.join(', ')}` : ''}.`;
    result.className = 'ok';
    await loadCameras(true);
  } else {
    result.textContent = `Not saved (HTTP ${res.status}): the file and the running config are unchanged.`;
    problems.replaceChildren(
      ...(body.problems || []).map((p) => {
        const li = document.createElement('li');
        li.textContent = p;
        return li;
      }),
    );
  }
}

// --- YAML view -----------------------------------------------------------------------------------

function yamlOf() {
  const d = state.draft;
  const poly = (p) => `[${p.map((q) => `[${q[0]}, ${q[1]}]`).join(', ')}]`;
  const lines = [`  - name: ${state.camera.name}`, '    objects:', `      min_score: ${d.min_score}`];
  const scores = Object.entries(d.min_scores);
  if (scores.length) lines.push(`      min_scores: {${scores.map(([l, s]) => `${l}: ${s}`).join(', ')}}`);
  if (d.zones.length) {
    lines.push('    zones:');
    for (const z of d.zones)
      lines.push(`      - name: ${z.name}`, `        polygon: ${poly(z.polygon)}`, ...(z.objects ? [`        objects: [${z.objects.join(', ')}]`] : []));
  }
  if (d.masks.length) {
    lines.push('    masks:');
    for (const m of d.masks) lines.push(`      - ${poly(m)}`);
  }
  if (d.motion_masks && d.motion_masks.length) {
    lines.push('    motion:', '      masks:');
    for (const m of d.motion_masks) lines.push(`        - ${poly(m)}`);
  }
  return `cameras:\n${lines.join('\n')}\n`;
}

function showYaml() {
  if (!state.draft) return;
  $('yaml').textContent = yamlOf();
  $('yaml-view').hidden = false;
}

async function copyYaml() {
  const text = $('yaml').textContent;
  try {
    await navigator.clipboard.writeText(text);
    $('copy-yaml').textContent = 'Copied';
  } catch {
    // No clipboard API (plain http off localhost): select the text for Ctrl+C.
    const range = document.createRange();
    range.selectNodeContents($('yaml'));
    const sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
    $('copy-yaml').textContent = 'Selected: press Ctrl+C';
  }
}

// --- wiring --------------------------------------------------------------------------------------

function wire() {
  $('camera-select').addEventListener('change', (e) => selectCamera(state.cameras.find((c) => c.name === e.target.value) || null, false));
  for (const id of ['show-boxes', 'show-zones', 'show-masks', 'show-motion']) $(id).addEventListener('change', draw);
  $('min-score').addEventListener('input', (e) => {
    state.draft.min_score = Number(e.target.value);
    $('min-score-value').textContent = state.draft.min_score.toFixed(2);
    for (const input of $('label-scores').querySelectorAll('input')) input.placeholder = state.draft.min_score.toFixed(2);
    draw();
  });
  $('add-zone').addEventListener('click', () => startShape('zone'));
  $('add-mask').addEventListener('click', () => startShape('mask'));
  $('add-motion-mask').addEventListener('click', () => startShape('motion'));
  $('finish').addEventListener('click', finishShape);
  $('cancel-shape').addEventListener('click', () => {
    state.drawing = null;
    $('finish').disabled = true;
    $('cancel-shape').disabled = true;
    draw();
  });
  $('save').addEventListener('click', save);
  $('revert').addEventListener('click', () => selectCamera(state.camera, true));
  $('show-yaml').addEventListener('click', showYaml);
  $('copy-yaml').addEventListener('click', copyYaml);
  const canvas = $('stage');
  canvas.addEventListener('mousedown', onCanvasDown);
  canvas.addEventListener('mousemove', onCanvasMove);
  window.addEventListener('mouseup', onCanvasUp);
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && state.drawing) finishShape();
    if (e.key === 'Escape' && state.drawing) $('cancel-shape').click();
  });
  document.addEventListener('visibilitychange', draw);
}

async function main() {
  wire();
  renderLegend();
  drawTiming();
  try {
    await loadCameras(false);
  } catch (e) {
    $('connection').textContent = `cannot load the cameras: ${e.message}`;
    return;
  }
  connectLive();
  void pictureLoop();
}

void main();
