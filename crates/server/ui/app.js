// The usertrail admin panel: plain JavaScript, no dependencies, reading the documented
// /api/v1 API with the token the admin signed in with. Every text from the server is
// inserted as text (never as HTML).

const TOKEN_KEY = "usertrail.token";
const PAGE_SIZE = 50;

const SOURCES = {
  scim: "SCIM",
  invite: "Invite",
  self_registration: "Self-registered",
  sso: "SSO",
  email_domain: "Email domain",
  admin: "Admin",
  api: "API",
  self_service: "Self-service",
  system: "System",
};
const SOURCE_COLORS = {
  scim: "#3b6fe0",
  invite: "#8b4fd8",
  self_registration: "#2e9457",
  sso: "#1a8f9c",
  email_domain: "#d08c1a",
  admin: "#c7354f",
  api: "#6b7586",
  self_service: "#9aa3b2",
  system: "#c3c9d3",
};
const STATUSES = {
  active: "Active",
  pending: "Pending invite",
  invite_expired: "Invite expired",
  deactivated: "Deactivated",
  deleted: "Deleted",
};
// The attributes an organization's identity provider owns once it provisions over SCIM.
const IDP_OWNED = ["userName", "name", "emails", "active"];

// --- small helpers -------------------------------------------------------------------

function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (value === true) element.setAttribute(name, "");
    else element.setAttribute(name, String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

const main = () => document.getElementById("main");

function show(...nodes) {
  main().replaceChildren(...nodes);
}

function banner(message) {
  const element = document.getElementById("banner");
  element.hidden = !message;
  element.textContent = message || "";
}

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
const exact = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });

function ago(iso, now = Date.now()) {
  const seconds = Math.round((new Date(iso).getTime() - now) / 1000);
  const units = [
    ["year", 31536000], ["month", 2592000], ["week", 604800],
    ["day", 86400], ["hour", 3600], ["minute", 60], ["second", 1],
  ];
  for (const [unit, size] of units) {
    if (Math.abs(seconds) >= size || unit === "second") {
      return relative.format(Math.round(seconds / size), unit);
    }
  }
  return "";
}

// A time as "3 days ago", with the exact moment in the viewer's time zone on hover.
function when(iso) {
  if (!iso) return h("span", { class: "muted" }, "never");
  return h("time", { datetime: iso, title: exact.format(new Date(iso)) }, ago(iso));
}

function sourceBadge(source) {
  return h("span", { class: `badge source-${source}`, "data-source": source },
    SOURCES[source] || source);
}

function actorText(actor) {
  if (!actor) return "";
  const kinds = { scim_client: "SCIM client", user: "user", api_token: "token", system: "usertrail" };
  return `${actor.display} (${kinds[actor.kind] || actor.kind})`;
}

function userLabel(user) {
  return user.display_name || nameOf(user.attributes) || user.user_name;
}

function nameOf(attributes) {
  const name = attributes && attributes.name;
  if (!name) return "";
  return name.formatted || [name.givenName, name.familyName].filter(Boolean).join(" ");
}

// --- the API -------------------------------------------------------------------------

class ApiFailure extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function api(path) {
  const token = sessionStorage.getItem(TOKEN_KEY);
  let response;
  try {
    response = await fetch(`/api/v1${path}`, {
      headers: { Authorization: `Bearer ${token}`, Accept: "application/json" },
    });
  } catch {
    throw new ApiFailure(0, "The usertrail server cannot be reached. Check that it is running, then reload.");
  }
  if (response.ok) return response.json();
  let detail = "";
  try {
    detail = (await response.json()).message || "";
  } catch {
    detail = "";
  }
  if (response.status === 401) {
    throw new ApiFailure(401, "This token is not valid or has been revoked. Sign in with another one.");
  }
  if (response.status === 403) {
    throw new ApiFailure(403, "This token may not read the panel: it needs a service or auditor token.");
  }
  throw new ApiFailure(response.status, detail || `The server answered ${response.status}.`);
}

// An error on a page: back to sign-in for a bad token, a banner otherwise.
function failed(error) {
  if (error instanceof ApiFailure && (error.status === 401 || error.status === 403)) {
    signOut(error.message);
    return;
  }
  banner(error.message || String(error));
}

// --- sign-in -------------------------------------------------------------------------

function signOut(message) {
  sessionStorage.removeItem(TOKEN_KEY);
  renderSignIn(message);
}

function renderSignIn(message) {
  document.getElementById("nav").hidden = true;
  banner("");
  const input = h("input", {
    id: "token", name: "token", type: "password", autocomplete: "off", required: true,
    "aria-describedby": "token-hint",
  });
  const error = h("p", { class: "error", role: "alert", id: "signin-error" }, message || "");
  const form = h("form", { class: "card signin", "aria-labelledby": "signin-title" },
    h("h1", { id: "signin-title" }, "Sign in to usertrail"),
    h("label", { for: "token" }, "API token"),
    input,
    h("p", { class: "hint", id: "token-hint" },
      "A service or auditor token of your organization. It is kept in this tab only."),
    h("button", { type: "submit", class: "primary" }, "Sign in"),
    error);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, input.value.trim());
    error.textContent = "Checking…";
    try {
      await api("/users?limit=1");
      error.textContent = "";
      if (!location.hash || location.hash === "#/signin") location.hash = "#/users";
      else route();
    } catch (failure) {
      sessionStorage.removeItem(TOKEN_KEY);
      error.textContent = failure.message;
    }
  });
  show(form);
  input.focus();
}

// --- users table ---------------------------------------------------------------------

const listState = { source: "", status: "", q: "", sort: "updated_at", order: "desc", cursors: [null] };

function usersQuery(cursor) {
  const params = new URLSearchParams({ limit: PAGE_SIZE, sort: listState.sort, order: listState.order });
  if (listState.source) params.set("created_source", listState.source);
  if (listState.status) params.set("status", listState.status);
  if (listState.q) params.set("q", listState.q);
  if (cursor) params.set("cursor", cursor);
  return `/users?${params}`;
}

function select(id, label, options, value, onChange) {
  const element = h("select", { id, name: id, onchange: (event) => onChange(event.target.value) },
    h("option", { value: "" }, "Any"),
    Object.entries(options).map(([key, text]) => h("option", { value: key, selected: key === value }, text)));
  return h("label", { for: id }, label, element);
}

function sortHeader(label, key) {
  const active = listState.sort === key;
  const ariaSort = active ? (listState.order === "asc" ? "ascending" : "descending") : "none";
  const arrow = active ? (listState.order === "asc" ? " ▲" : " ▼") : "";
  return h("th", { scope: "col", "aria-sort": ariaSort },
    h("button", {
      type: "button", "data-sort": key,
      onclick: () => {
        listState.order = active && listState.order === "desc" ? "asc" : "desc";
        listState.sort = key;
        listState.cursors = [null];
        renderUsers();
      },
    }, label + arrow));
}

async function renderUsers() {
  const page = listState.cursors.length - 1;
  let debounce;
  const search = h("input", {
    id: "q", name: "q", type: "search", value: listState.q, placeholder: "Name or email",
    oninput: (event) => {
      clearTimeout(debounce);
      debounce = setTimeout(() => {
        listState.q = event.target.value.trim();
        listState.cursors = [null];
        renderUsers().then(() => document.getElementById("q")?.focus());
      }, 300);
    },
  });
  const filters = h("form", { class: "filters", role: "search", "aria-label": "Filter users", onsubmit: (e) => e.preventDefault() },
    h("label", { for: "q" }, "Search", search),
    select("source", "Created via", SOURCES, listState.source, (value) => {
      listState.source = value; listState.cursors = [null]; renderUsers();
    }),
    select("status", "Status", STATUSES, listState.status, (value) => {
      listState.status = value; listState.cursors = [null]; renderUsers();
    }));
  const body = h("tbody", {}, h("tr", {}, h("td", { colspan: 13, class: "loading" }, "Loading users…")));
  const table = h("table", { id: "users", "aria-label": "Users", "aria-busy": "true" },
    h("thead", {}, h("tr", {},
      h("th", { scope: "col" }, "Name"), h("th", { scope: "col" }, "Email"),
      h("th", { scope: "col" }, "Status"), h("th", { scope: "col" }, "Role"),
      h("th", { scope: "col" }, "Groups"),
      sortHeader("Created", "created_at"), h("th", { scope: "col" }, "Created via"),
      h("th", { scope: "col" }, "Created by"),
      sortHeader("Last changed", "updated_at"), h("th", { scope: "col" }, "Changed via"),
      h("th", { scope: "col" }, "Changed by"), h("th", { scope: "col" }, "Last event"))),
    body);
  const pager = h("div", { class: "pager" });
  show(h("h1", {}, "Users"), filters, table, pager);
  setNav("users");

  let result;
  try {
    result = await api(usersQuery(listState.cursors[page]));
  } catch (error) {
    body.replaceChildren(h("tr", {}, h("td", { colspan: 13, class: "empty" }, "The users could not be loaded.")));
    table.setAttribute("aria-busy", "false");
    failed(error);
    return;
  }
  banner("");
  table.setAttribute("aria-busy", "false");
  if (result.users.length === 0) {
    body.replaceChildren(h("tr", {}, h("td", { colspan: 13, class: "empty" },
      page === 0 ? "No users match these filters." : "No more users.")));
  } else {
    body.replaceChildren(...result.users.map(userRow));
  }
  pager.replaceChildren(
    h("button", {
      type: "button", disabled: page === 0,
      onclick: () => { listState.cursors.pop(); renderUsers(); },
    }, "Previous page"),
    h("span", { class: "muted" }, `Page ${page + 1}`),
    h("button", {
      type: "button", disabled: !result.next_cursor,
      onclick: () => { listState.cursors.push(result.next_cursor); renderUsers(); },
    }, "Next page"));
}

function userRow(user) {
  return h("tr", { "data-user-id": user.id },
    h("td", {}, h("a", { href: `#/users/${user.id}` }, userLabel(user))),
    h("td", {}, user.email || user.user_name),
    h("td", { class: `status-${user.status}`, "data-status": user.status }, STATUSES[user.status] || user.status),
    h("td", {}, user.role || h("span", { class: "muted" }, "—")),
    h("td", {}, String(user.groups_count ?? 0)),
    h("td", {}, when(user.created_at)),
    h("td", { "data-column": "created-via" }, sourceBadge(user.created_source)),
    h("td", {}, actorText(user.created_actor)),
    h("td", {}, when(user.updated_at)),
    h("td", { "data-column": "changed-via" }, sourceBadge(user.updated_source)),
    h("td", {}, actorText(user.updated_actor)),
    h("td", { class: "muted" }, user.last_event_type));
}

// --- user page -----------------------------------------------------------------------

// Applies the add / remove / replace operations of an RFC 6902 patch, as the log's diffs
// use them, to a copy of `document`.
function applyPatch(document, patch) {
  const result = structuredClone(document ?? {});
  for (const operation of patch) {
    const keys = operation.path.split("/").slice(1).map((key) => key.replace(/~1/g, "/").replace(/~0/g, "~"));
    if (keys.length === 0) continue;
    let parent = result;
    for (const key of keys.slice(0, -1)) {
      if (parent[key] === undefined) parent[key] = {};
      parent = parent[key];
    }
    const last = keys[keys.length - 1];
    if (operation.op === "remove") {
      if (Array.isArray(parent)) parent.splice(Number(last), 1);
      else delete parent[last];
    } else if (Array.isArray(parent) && operation.op === "add") {
      if (last === "-") parent.push(operation.value);
      else parent.splice(Number(last), 0, operation.value);
    } else {
      parent[last] = operation.value;
    }
  }
  return result;
}

// The changes between two user documents ({status, role, idp_managed, profile, ...}):
// the user's own fields first, then each attribute of the profile.
function attributeChanges(before, after) {
  const changes = [];
  const differ = (old, now) => JSON.stringify(old) !== JSON.stringify(now);
  const fields = new Set([...Object.keys(before || {}), ...Object.keys(after || {})]);
  fields.delete("profile");
  for (const field of [...fields].sort()) {
    if (differ(before?.[field], after?.[field])) changes.push([field, before?.[field], after?.[field]]);
  }
  const keys = new Set([...Object.keys(before?.profile || {}), ...Object.keys(after?.profile || {})]);
  for (const key of [...keys].sort()) {
    if (differ(before?.profile?.[key], after?.profile?.[key])) {
      changes.push([key, before?.profile?.[key], after?.profile?.[key]]);
    }
  }
  return changes;
}

function valueText(value) {
  if (value === undefined) return h("span", { class: "muted" }, "(none)");
  return typeof value === "string" ? value : JSON.stringify(value);
}

function changesTable(changes, idpManaged) {
  if (changes.length === 0) return h("p", { class: "muted changes" }, "No attribute changed.");
  return h("table", { class: "changes", "aria-label": "Changes" },
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Attribute"),
      h("th", { scope: "col" }, "Before"), h("th", { scope: "col" }, "After"))),
    h("tbody", {}, changes.map(([key, before, after]) => h("tr", {},
      h("td", {}, key, idpManaged && IDP_OWNED.includes(key)
        ? h("span", { class: "owned", title: "Owned by the identity provider (SCIM)" }, "IdP-owned") : null),
      h("td", {}, valueText(before)), h("td", {}, valueText(after))))));
}

function membershipText(event) {
  const group = event.group_display_name || event.group_id;
  switch (event.event_type) {
    case "group_created": return `Added to the new group ${group}`;
    case "group_members_added": return `Added to group ${group}`;
    case "group_members_removed": return `Removed from group ${group}`;
    case "group_deleted": return `Group ${group} was deleted, ending the membership`;
    default: return `${event.event_type} in group ${group}`;
  }
}

function timeline(events) {
  // Documents are rebuilt oldest first from the diffs, then shown newest first. The
  // identity provider owns a user's identity fields once it manages the user
  // (`idp_managed`, set when SCIM creates or adopts it): those changes are marked.
  let document = {};
  const items = [];
  for (const event of events) {
    let body;
    if (event.stream === "group") {
      body = h("p", { class: "changes" }, membershipText(event));
    } else {
      const after = applyPatch(document, event.diff);
      body = changesTable(attributeChanges(document, after), after.idp_managed === true);
      document = after;
    }
    items.push(h("li", { "data-event-type": event.event_type, "data-source": event.source },
      h("div", { class: "event-head" },
        sourceBadge(event.source),
        h("span", { class: "event-type" }, event.event_type),
        h("span", {}, "by ", actorText(event.actor)),
        when(event.occurred_at)),
      body));
  }
  return h("ol", { class: "timeline", "aria-label": "History, newest first" }, items.reverse());
}

function attributesList(user) {
  const rows = [
    ["userName", user.user_name], ["status", STATUSES[user.status] || user.status],
    ["role", user.role], ["version", user.version],
  ];
  for (const [key, value] of Object.entries(user.attributes || {})) {
    if (key !== "userName") rows.push([key, value]);
  }
  return h("dl", { class: "attrs", id: "attributes" },
    rows.filter(([, value]) => value !== undefined && value !== null)
      .flatMap(([key, value]) => [h("dt", {}, key), h("dd", {}, valueText(value))]));
}

async function renderUser(id, asOf) {
  setNav("users");
  show(h("p", { class: "loading" }, "Loading the user…"));
  let user;
  let history;
  try {
    const asOfQuery = asOf ? `?as_of=${encodeURIComponent(asOf)}` : "";
    [user, history] = await Promise.all([api(`/users/${id}${asOfQuery}`), api(`/users/${id}/events`)]);
  } catch (error) {
    show(h("p", { class: "empty" }, error.status === 404
      ? "This user does not exist, or did not exist yet at that time." : "The user could not be loaded."),
    h("p", {}, h("a", { href: "#/users" }, "Back to users")));
    if (error.status !== 404) failed(error);
    return;
  }
  banner("");
  const picker = h("input", { id: "as-of", name: "as-of", type: "datetime-local", step: 1 });
  if (asOf) picker.value = toLocalInput(new Date(asOf));
  const asOfForm = h("form", { class: "asof", "aria-label": "Show the user as of a time" },
    h("label", { for: "as-of" }, "As of", picker),
    h("button", { type: "submit" }, "Show"),
    asOf ? h("button", { type: "button", onclick: () => { location.hash = `#/users/${id}`; } }, "Now") : null);
  asOfForm.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!picker.value) return;
    location.hash = `#/users/${id}?as_of=${encodeURIComponent(new Date(picker.value).toISOString())}`;
  });
  const heading = asOf ? `As of ${exact.format(new Date(asOf))}` : "Now";
  show(
    h("p", {}, h("a", { href: "#/users" }, "← Users")),
    h("h1", {}, userLabel(user), " ", h("span", { class: `status-${user.status}` }, `(${STATUSES[user.status] || user.status})`)),
    h("p", {}, "Created ", when(user.created_at), " via ", sourceBadge(user.created_source),
      " by ", actorText(user.created_actor), "; last changed ", when(user.updated_at), " via ",
      sourceBadge(user.updated_source), " by ", actorText(user.updated_actor), "."),
    asOfForm,
    h("div", { class: "grid" },
      h("section", { class: "card", "aria-labelledby": "state-title" },
        h("h2", { id: "state-title" }, heading), attributesList(user)),
      h("section", { "aria-labelledby": "history-title" },
        h("h2", { id: "history-title" }, `History (${history.events.length} events)`),
        timeline(history.events))));
}

function toLocalInput(date) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

// --- overview ------------------------------------------------------------------------

function chart(days) {
  const width = 900;
  const height = 220;
  const left = 36;
  const bottom = 24;
  const max = Math.max(1, ...days.map((day) => day.total));
  const barWidth = (width - left) / days.length;
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-labelledby", "chart-title");
  const node = (tag, attributes, text) => {
    const element = document.createElementNS(ns, tag);
    for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
    if (text !== undefined) element.textContent = text;
    svg.append(element);
    return element;
  };
  const plot = height - bottom;
  node("line", { x1: left, y1: plot, x2: width, y2: plot, stroke: "#c3c9d3" });
  node("text", { x: left - 6, y: 12, "text-anchor": "end", "font-size": 11, fill: "#5b6576" }, String(max));
  node("text", { x: left - 6, y: plot, "text-anchor": "end", "font-size": 11, fill: "#5b6576" }, "0");
  days.forEach((day, index) => {
    let y = plot;
    const x = left + index * barWidth + 2;
    for (const source of Object.keys(SOURCES)) {
      const count = day.by_source[source] || 0;
      if (!count) continue;
      const barHeight = (count / max) * (plot - 10);
      y -= barHeight;
      const rect = node("rect", {
        x, y, width: Math.max(1, barWidth - 4), height: barHeight,
        fill: SOURCE_COLORS[source], "data-source": source, "data-day": day.day,
      });
      const title = document.createElementNS(ns, "title");
      title.textContent = `${day.day}: ${count} via ${SOURCES[source]}`;
      rect.append(title);
    }
    if (index % 5 === 0 || index === days.length - 1) {
      node("text", { x: x + barWidth / 2, y: height - 6, "text-anchor": "middle", "font-size": 10, fill: "#5b6576" }, day.day.slice(5));
    }
  });
  return svg;
}

function changesTableFor(days) {
  const used = Object.keys(SOURCES).filter((source) => days.some((day) => day.by_source[source]));
  return h("table", { class: "visually-hidden", "aria-label": "Changes per day by source" },
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Day"),
      used.map((source) => h("th", { scope: "col" }, SOURCES[source])), h("th", { scope: "col" }, "Total"))),
    h("tbody", {}, days.map((day) => h("tr", {}, h("td", {}, day.day),
      used.map((source) => h("td", {}, String(day.by_source[source] || 0))), h("td", {}, String(day.total))))));
}

function tokenRow(token) {
  const stale = !token.revoked_at && (!token.last_request_at ||
    Date.now() - new Date(token.last_request_at).getTime() > 24 * 3600 * 1000);
  return h("tr", { "data-token-id": token.id },
    h("td", {}, token.label, token.revoked_at ? h("span", { class: "muted" }, " (revoked)") : null),
    h("td", {}, when(token.last_request_at),
      stale ? h("span", { class: "warn" }, " — no request in 24 hours") : null),
    h("td", {}, String(token.requests_24h)),
    h("td", { class: token.errors_24h ? "warn" : "" }, String(token.errors_24h)));
}

async function renderOverview() {
  setNav("overview");
  show(h("h1", {}, "Overview"), h("p", { class: "loading" }, "Loading…"));
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  let changes;
  let tokens;
  try {
    [changes, tokens] = await Promise.all([
      api(`/overview/changes?days=30&tz=${encodeURIComponent(zone)}`),
      api("/overview/scim-tokens"),
    ]);
  } catch (error) {
    show(h("h1", {}, "Overview"), h("p", { class: "empty" }, "The overview could not be loaded."));
    failed(error);
    return;
  }
  banner("");
  const total = changes.days.reduce((sum, day) => sum + day.total, 0);
  const legend = h("div", { class: "legend", "aria-hidden": "true" },
    Object.entries(SOURCES).map(([source, label]) => {
      // Set through the CSSOM: the page's CSP allows no inline style attributes.
      const swatch = h("i", { class: "swatch" });
      swatch.style.background = SOURCE_COLORS[source];
      return h("span", {}, swatch, label);
    }));
  show(
    h("h1", {}, "Overview"),
    h("section", { class: "card chart", "aria-labelledby": "chart-title" },
      h("h2", { id: "chart-title" }, `Changes per day, last 30 days (${total} in all, ${changes.time_zone})`),
      total === 0 ? h("p", { class: "empty" }, "No changes in the last 30 days.") : chart(changes.days),
      legend, changesTableFor(changes.days)),
    h("section", { "aria-labelledby": "tokens-title" },
      h("h2", { id: "tokens-title" }, "SCIM tokens"),
      tokens.tokens.length === 0
        ? h("p", { class: "empty" }, "No SCIM token yet: provisioning has not been set up.")
        : h("table", { id: "tokens", "aria-label": "SCIM tokens" },
          h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Token"),
            h("th", { scope: "col" }, "Last request"), h("th", { scope: "col" }, "Requests (24 h)"),
            h("th", { scope: "col" }, "Errors (24 h)"))),
          h("tbody", {}, tokens.tokens.map(tokenRow)))));
}

// --- routing -------------------------------------------------------------------------

function setNav(current) {
  document.getElementById("nav").hidden = false;
  for (const link of document.querySelectorAll("[data-nav]")) {
    if (link.dataset.nav === current) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

function route() {
  if (!sessionStorage.getItem(TOKEN_KEY)) {
    renderSignIn();
    return;
  }
  const [path, query] = location.hash.replace(/^#/, "").split("?");
  const parts = path.split("/").filter(Boolean);
  const params = new URLSearchParams(query || "");
  if (parts[0] === "users" && parts[1]) renderUser(parts[1], params.get("as_of"));
  else if (parts[0] === "overview") renderOverview();
  else renderUsers();
  main().focus();
}

// `make run` prints a link with the token in the fragment (never sent to the server):
// it is moved to this tab's session storage and removed from the address at once.
function takeTokenFromFragment() {
  const match = location.hash.match(/^#token=([^&]+)/);
  if (!match) return;
  sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(match[1]));
  history.replaceState(null, "", `${location.pathname}#/users`);
}

document.getElementById("sign-out").addEventListener("click", () => signOut());
window.addEventListener("hashchange", route);
takeTokenFromFragment();
route();
