// robustsim dashboard: one page over the JSON API of `robustsim dashboard` (no libraries, no CDN).
"use strict";

const POLL_MS = 3000;
const SVG = "http://www.w3.org/2000/svg";
const GROUPS = ["object", "environment"];
const ROLE_NAMES = { x: "x axis", y: "y axis", slider: "slider", all: "aggregate" };
const state = {
  schema: null,
  roles: {}, // dimension name -> "x" | "y" | "slider" | "all"
  sliders: {}, // dimension name -> bin number
  excluded: { object: new Set(), environment: new Set() },
  metric: "top1",
  cell: null, // {x, y} of the selected heat-map cell
  sequence: 0, // answers to older requests are dropped
};

const $ = (id) => document.getElementById(id);

function element(tag, attributes = {}, text = null) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  if (text !== null) node.textContent = text;
  return node;
}

function svgElement(tag, attributes = {}, text = null) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  if (text !== null) node.textContent = text;
  return node;
}

async function getJSON(path, params = null) {
  const response = await fetch(params ? `${path}?${params}` : path, { cache: "no-store" });
  const body = await response.json();
  if (!response.ok) throw new Error(body.error || response.statusText);
  return body;
}

const fixed = (value, digits = 2) => (value === null || value === undefined ? "–" : value.toFixed(digits));
const interval = (row) => `${fixed(row.accuracy)} [${fixed(row.low)}, ${fixed(row.high)}]`;
const metricName = () => (state.metric === "topk" ? `top-${state.schema.topk || "k"}` : "top-1");

// Colour scale for accuracy: red (0) - yellow (0.5) - green (1).
const STOPS = [[0, [215, 48, 39]], [0.5, [254, 224, 139]], [1, [26, 152, 80]]];
function colour(value) {
  const v = Math.min(1, Math.max(0, value));
  const upper = v <= 0.5 ? 1 : 2;
  const [a, ca] = STOPS[upper - 1];
  const [b, cb] = STOPS[upper];
  const t = (v - a) / (b - a);
  return `rgb(${ca.map((c, i) => Math.round(c + t * (cb[i] - c))).join(",")})`;
}

function dimensions() {
  const { schema } = state;
  return [
    { name: "object", kind: "discrete", labels: schema.objects, group: true },
    { name: "environment", kind: "discrete", labels: schema.environments, group: true },
    ...schema.parameters,
  ];
}

function defaultRoles() {
  const names = state.schema.parameters.map((p) => p.name);
  const [x, y] = names.length >= 2 ? names : names.length === 1 ? [names[0], "object"] : ["environment", "object"];
  const roles = {};
  for (const d of dimensions()) roles[d.name] = d.name === x ? "x" : d.name === y ? "y" : "all";
  return roles;
}

function viewParams() {
  const params = new URLSearchParams();
  for (const [name, role] of Object.entries(state.roles)) {
    if (role === "x" || role === "y") params.set(role, name);
    else if (role === "slider") params.append("slider", `${name}:${state.sliders[name] || 0}`);
  }
  for (const group of GROUPS) {
    const excluded = state.excluded[group];
    if (!excluded.size) continue;
    const labels = group === "object" ? state.schema.objects : state.schema.environments;
    const chosen = labels.filter((label) => !excluded.has(label));
    if (chosen.length) chosen.forEach((label) => params.append(group, label));
    else params.append(group, "");
  }
  params.set("metric", state.metric);
  return params;
}

// ---- loading and polling ----

async function reload() {
  const schema = await getJSON("/api/schema");
  const first = state.schema === null;
  state.schema = schema;
  const roles = defaultRoles();
  if (!first) {
    for (const name of Object.keys(roles)) if (name in state.roles) roles[name] = state.roles[name];
  }
  state.roles = roles;
  for (const d of dimensions()) {
    state.sliders[d.name] = Math.min(state.sliders[d.name] || 0, Math.max(0, d.labels.length - 1));
  }
  drawCounts(schema);
  drawParameters();
  await update();
}

async function poll() {
  try {
    const status = await getJSON("/api/status");
    if (!state.schema || status.version !== state.schema.version) await reload();
    $("live").textContent = `live · checked ${new Date().toLocaleTimeString()}`;
  } catch (error) {
    $("live").textContent = `server unreachable (${error.message})`;
  }
}

function drawCounts(schema) {
  $("experiment").textContent = schema.experiment || "";
  const counts = $("counts");
  counts.dataset.rows = schema.rows;
  counts.textContent =
    `${schema.rows} renders (${schema.failed} failed) in ${schema.parts} part file(s) · ` +
    `${schema.bins} ${schema.binning} bins per continuous parameter · ${schema.folder}`;
}

async function update() {
  const sequence = ++state.sequence;
  const params = viewParams();
  const failures = new URLSearchParams(params);
  failures.set("failures", "1");
  failures.set("limit", "12");
  try {
    const [heat, tables, worst] = await Promise.all([
      getJSON("/api/heatmap", params),
      getJSON("/api/tables", params),
      getJSON("/api/samples", failures),
    ]);
    if (sequence !== state.sequence) return;
    drawHeatmap(heat);
    drawGroup("object", tables.objects);
    drawGroup("environment", tables.environments);
    drawGallery($("failure-gallery"), worst.samples, "No misclassified renders in this view.");
    await showCell();
  } catch (error) {
    showError(error);
  }
}

function showError(error) {
  $("overall").textContent = `error: ${error.message}`;
  $("overall").className = "error";
}

// ---- parameters: role and slider per dimension ----

function setRole(name, role) {
  for (const [other, current] of Object.entries(state.roles)) {
    if (other !== name && (role === "x" || role === "y") && current === role) state.roles[other] = "all";
  }
  state.roles[name] = role;
  state.cell = null;
  drawParameters();
  update();
}

function drawParameters() {
  const body = $("parameters").querySelector("tbody");
  body.replaceChildren();
  for (const d of dimensions()) {
    const row = element("tr", { "data-name": d.name });
    const name = element("td", {}, d.name);
    name.append(element("div", { class: "bin-label" }, `${d.kind}, ${d.labels.length} ${d.group ? "values" : "bins"}`));
    const select = element("select", { "data-name": d.name, "aria-label": `role of ${d.name}` });
    for (const role of d.group ? ["x", "y", "all"] : ["x", "y", "slider", "all"]) {
      const option = element("option", { value: role }, d.group && role === "all" ? "selected below" : ROLE_NAMES[role]);
      option.selected = state.roles[d.name] === role;
      select.append(option);
    }
    select.addEventListener("change", () => setRole(d.name, select.value));
    const bin = element("td");
    if (state.roles[d.name] === "slider") {
      const slider = element("input", {
        type: "range", min: "0", max: String(d.labels.length - 1), step: "1",
        value: String(state.sliders[d.name]), "data-name": d.name, "aria-label": `bin of ${d.name}`,
      });
      const label = element("div", { class: "bin-label" }, d.labels[state.sliders[d.name]] ?? "");
      slider.addEventListener("input", () => {
        state.sliders[d.name] = Number(slider.value);
        label.textContent = d.labels[state.sliders[d.name]];
        update();
      });
      bin.append(slider, label);
    }
    const role = element("td");
    role.append(select);
    row.append(name, role, bin);
    body.append(row);
  }
}

// ---- per-object and per-environment tables (also the selectors) ----

function drawGroup(group, rows) {
  const body = $(group === "object" ? "objects" : "environments").querySelector("tbody");
  body.replaceChildren();
  for (const row of rows) {
    const label = row[group];
    const tr = element("tr", { "data-label": label });
    const check = element("input", { type: "checkbox", "aria-label": `show ${label}` });
    check.checked = !state.excluded[group].has(label);
    check.addEventListener("change", () => {
      if (check.checked) state.excluded[group].delete(label);
      else state.excluded[group].add(label);
      update();
    });
    const box = element("td");
    box.append(check);
    const ci = element("td", { class: "ci" }, row.n ? interval(row) : "–");
    const bar = element("span", { class: "bar" });
    bar.style.width = `${Math.round((row.accuracy || 0) * 60)}px`;
    ci.append(bar);
    tr.append(box, element("td", {}, label), element("td", { class: "number" }, String(row.n)), ci);
    body.append(tr);
  }
}

function selectAll(group, all) {
  const labels = group === "object" ? state.schema.objects : state.schema.environments;
  state.excluded[group] = all ? new Set() : new Set(labels);
  update();
}

// ---- the heat map ----

function drawHeatmap(heat) {
  const svg = $("heatmap");
  svg.replaceChildren();
  const xs = heat.x ? heat.x.labels : [""];
  const ys = heat.y ? heat.y.labels : [""];
  const longest = Math.max(...ys.map((label) => label.length), 1);
  const left = 24 + 7 * longest + (heat.y ? 20 : 0);
  const cellW = Math.max(36, Math.min(96, Math.floor(640 / xs.length)));
  const cellH = Math.max(26, Math.min(64, Math.floor(400 / ys.length)));
  const rotate = xs.some((label) => label.length * 7 > cellW);
  const bottom = (rotate ? 8 + 6 * Math.max(...xs.map((label) => label.length)) : 24) + 24;
  const top = 10;
  const width = left + cellW * xs.length + 90;
  const height = top + cellH * ys.length + bottom;
  svg.setAttribute("width", width);
  svg.setAttribute("height", height);
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);

  for (const cell of heat.cells) {
    const x = left + cell.x * cellW;
    const y = top + (ys.length - 1 - cell.y) * cellH; // y bin 0 at the bottom
    const rect = svgElement("rect", {
      class: "cell", x, y, width: cellW, height: cellH, "data-x": cell.x, "data-y": cell.y, "data-n": cell.n,
      fill: cell.n ? colour(cell.accuracy) : "#e6e6e6",
    });
    if (state.cell && state.cell.x === cell.x && state.cell.y === cell.y) rect.classList.add("selected");
    const words = describeCell(heat, cell);
    rect.append(svgElement("title", {}, words.join("\n")));
    rect.addEventListener("mousemove", (event) => showTooltip(event, words));
    rect.addEventListener("mouseleave", () => ($("tooltip").hidden = true));
    rect.addEventListener("click", () => selectCell(cell.x, cell.y));
    svg.append(rect);
    const dark = cell.n && (cell.accuracy < 0.2 || cell.accuracy > 0.85);
    const textClass = `cell-text${dark ? " light" : ""}`;
    const centre = x + cellW / 2;
    svg.append(svgElement("text", { class: textClass, x: centre, y: y + cellH / 2 + (cellH > 34 ? -2 : 4) },
      cell.n ? fixed(cell.accuracy) : "–"));
    if (cellH > 34) svg.append(svgElement("text", { class: textClass, x: centre, y: y + cellH / 2 + 12 }, `n=${cell.n}`));
  }
  xs.forEach((label, i) => {
    const x = left + (i + 0.5) * cellW;
    const y = top + ys.length * cellH + 14;
    const text = svgElement("text", { x, y, "text-anchor": rotate ? "end" : "middle" }, label);
    if (rotate) text.setAttribute("transform", `rotate(-40 ${x} ${y})`);
    svg.append(text);
  });
  ys.forEach((label, i) => {
    const y = top + (ys.length - 1 - i + 0.5) * cellH + 4;
    svg.append(svgElement("text", { x: left - 6, y, "text-anchor": "end" }, label));
  });
  if (heat.x) {
    svg.append(svgElement("text", { class: "axis-title", x: left + (cellW * xs.length) / 2, y: height - 6, "text-anchor": "middle" }, heat.x.name));
  }
  if (heat.y) {
    const cy = top + (cellH * ys.length) / 2;
    svg.append(svgElement("text", { class: "axis-title", x: 14, y: cy, "text-anchor": "middle", transform: `rotate(-90 14 ${cy})` }, heat.y.name));
  }
  drawLegend(svg, left + cellW * xs.length + 24, top, Math.max(cellH * ys.length, 120));

  const title = [heat.y && heat.y.name, heat.x && heat.x.name].filter(Boolean).join(" × ");
  $("heatmap-title").textContent = `${metricName()} accuracy${title ? ` by ${title}` : ""}`;
  const overall = $("overall");
  overall.className = "";
  overall.textContent = heat.overall.n
    ? `This view: ${metricName()} ${interval(heat.overall)} (95% Wilson interval), n = ${heat.overall.n}`
    : "No evaluated renders in this view (yet: the page picks up new part files as a run writes them).";
}

function drawLegend(svg, x, y, height) {
  const defs = svgElement("defs");
  const gradient = svgElement("linearGradient", { id: "scale", x1: "0", y1: "1", x2: "0", y2: "0" });
  for (const [offset] of STOPS) gradient.append(svgElement("stop", { offset, "stop-color": colour(offset) }));
  defs.append(gradient);
  svg.append(defs, svgElement("rect", { x, y, width: 14, height, fill: "url(#scale)" }));
  for (const value of [0, 0.25, 0.5, 0.75, 1]) {
    svg.append(svgElement("text", { x: x + 18, y: y + (1 - value) * height + 4 }, value.toFixed(2)));
  }
}

function describeCell(heat, cell) {
  const where = [];
  if (heat.x) where.push(`${heat.x.name} ${heat.x.labels[cell.x]}`);
  if (heat.y) where.push(`${heat.y.name} ${heat.y.labels[cell.y]}`);
  return [
    where.join(", ") || "all renders of this view",
    cell.n ? `${metricName()} ${interval(cell)}, n = ${cell.n}` : "no renders (n = 0)",
    cell.n ? `mean p(true class) ${fixed(cell.mean_true_prob)}` : "",
  ].filter(Boolean);
}

function showTooltip(event, lines) {
  const tip = $("tooltip");
  tip.replaceChildren(...lines.map((line) => element("div", {}, line)));
  tip.style.left = `${event.clientX + 14}px`;
  tip.style.top = `${event.clientY + 14}px`;
  tip.hidden = false;
}

// ---- renders: a cell's, and the failure gallery ----

function selectCell(x, y) {
  state.cell = { x, y };
  for (const rect of $("heatmap").querySelectorAll("rect.cell")) {
    rect.classList.toggle("selected", Number(rect.dataset.x) === x && Number(rect.dataset.y) === y);
  }
  showCell().catch(showError);
}

async function showCell() {
  if (!state.cell) return;
  const params = viewParams();
  params.set("cell", `${state.cell.x},${state.cell.y}`);
  params.set("limit", "48");
  const sequence = state.sequence;
  const answer = await getJSON("/api/samples", params);
  if (sequence !== state.sequence) return;
  const rect = $("heatmap").querySelector(`rect.cell[data-x="${state.cell.x}"][data-y="${state.cell.y}"]`);
  const where = rect ? rect.querySelector("title").textContent.split("\n")[0] : "";
  $("cell-title").textContent = `Renders: ${where}`;
  $("cell-hint").textContent = `${answer.total} render(s), lowest p(true class) first` +
    (answer.total > answer.samples.length ? `; showing ${answer.samples.length}` : "");
  drawGallery($("cell-gallery"), answer.samples, "No renders in this cell.");
}

function drawGallery(container, samples, empty) {
  container.replaceChildren();
  if (!samples.length) {
    container.append(element("p", { class: "muted" }, empty));
    return;
  }
  for (const sample of samples) {
    const figure = element("figure", { "data-id": sample.id });
    const parameters = Object.entries(sample.parameters).map(([k, v]) => `${k} = ${v}`).join("\n");
    figure.title = `${sample.object} in ${sample.environment}\n${parameters}`;
    if (sample.image) figure.append(element("img", { src: sample.image, alt: `render ${sample.id}`, loading: "lazy" }));
    else figure.append(element("div", { class: "no-image" }, "no image saved"));
    const caption = element("figcaption");
    const verdict = element("span", { class: sample.correct ? "right" : "wrong" }, sample.correct ? "✓ " : "✗ ");
    const line = element("div");
    line.append(verdict, document.createTextNode(sample.prediction || "?"));
    caption.append(
      line,
      element("div", {}, `p(true) ${fixed(sample.true_prob, 3)}`),
      element("div", { class: "muted" }, `${sample.object} · ${sample.environment}`),
    );
    figure.append(caption);
    container.append(figure);
  }
}

// ---- start ----

document.addEventListener("DOMContentLoaded", () => {
  $("metric").addEventListener("change", (event) => {
    state.metric = event.target.value;
    update();
  });
  $("refresh").addEventListener("click", () => reload().catch(showError));
  for (const button of document.querySelectorAll("button[data-select]")) {
    button.addEventListener("click", () => selectAll(button.dataset.select, button.dataset.all === "1"));
  }
  reload().catch(showError);
  setInterval(poll, POLL_MS);
});
