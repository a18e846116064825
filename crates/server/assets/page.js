// The home page: filter the codes as you type, and "try it" — ask the
// server for the exchange it recorded on the wire, and show it.
"use strict";

const search = document.getElementById("search");
const count = document.getElementById("count");
const items = Array.from(document.querySelectorAll("li.code"));
const sections = Array.from(document.querySelectorAll("section.class"));
const result = document.getElementById("result");
const summary = document.getElementById("summary");
const wire = document.getElementById("wire");

function filter() {
  const words = search.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
  let shown = 0;
  for (const li of items) {
    const match = words.every((w) => li.dataset.text.includes(w));
    li.hidden = !match;
    if (match) shown += 1;
  }
  for (const s of sections) {
    s.hidden = !s.querySelector("li.code:not([hidden])");
  }
  count.textContent = words.length ? `${shown} of ${items.length} codes` : `${items.length} codes`;
}

function block(title, lines, note) {
  const div = document.createElement("div");
  div.className = "response";
  const h = document.createElement("h3");
  h.textContent = title;
  div.appendChild(h);
  if (note) {
    const p = document.createElement("p");
    p.className = "note";
    p.textContent = note;
    div.appendChild(p);
  }
  const pre = document.createElement("pre");
  pre.textContent = lines.join("\n");
  div.appendChild(pre);
  return div;
}

function head(r) {
  return [`${r.version} ${r.status} ${r.reason}`, ...r.headers.map(([n, v]) => `${n}: ${v}`)];
}

async function tryCode(code, button) {
  button.disabled = true;
  result.hidden = false;
  summary.textContent = `Asking for ${code}…`;
  wire.replaceChildren();
  try {
    const res = await fetch(`/try/${code}`, { headers: { Accept: "application/json" } });
    const ex = await res.json();
    if (!res.ok) {
      summary.textContent = ex.detail || `The try failed with ${res.status}.`;
      return;
    }
    const last = ex.final;
    const took = `${ex.timing.total_ms.toFixed(2)} ms`;
    summary.textContent = last
      ? `GET /${code} → ${last.status} ${last.reason} in ${took}` +
        (ex.interim.length ? ` after ${ex.interim.length} interim response${ex.interim.length > 1 ? "s" : ""}` : "")
      : `GET /${code}: ${ex.incomplete || "no final response"}`;
    wire.appendChild(block("Request", [`${ex.request.method} ${ex.request.target} HTTP/1.1`, ...ex.request.headers.map(([n, v]) => `${n}: ${v}`)]));
    ex.interim.forEach((r, i) => {
      wire.appendChild(block(`Interim response ${i + 1}`, head(r), i === 0 ? ex.note : null));
    });
    if (last) {
      const body = last.body_bytes ? ["", last.body] : ["", "(no content)"];
      wire.appendChild(block("Final response", [...head(last), ...body], ex.interim.length ? null : ex.note));
    }
    result.focus();
  } catch (err) {
    summary.textContent = `The try failed: ${err}`;
  } finally {
    button.disabled = false;
  }
}

search.addEventListener("input", filter);
document.addEventListener("keydown", (e) => {
  if (e.key === "/" && document.activeElement !== search) {
    e.preventDefault();
    search.focus();
  }
});
document.addEventListener("click", (e) => {
  const button = e.target.closest("button.try");
  if (button) tryCode(button.dataset.code, button);
});
filter();
