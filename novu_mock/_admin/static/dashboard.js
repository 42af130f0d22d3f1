// novu-mock dashboard: plain JavaScript, no dependencies, talks to /_mock/* only.
// Views and filters live in the URL hash (#/journal?subscriberId=user-1, #/trigger/12, ...), so a
// view can be bookmarked, shared and reloaded. The mock is polled for a change signal and the
// current view is fetched again when it changes (no reload, no server-sent events).
"use strict";

(() => {
  const API = "/_mock";
  const PAGE = 50;
  const POLL_MS = 1000;
  const FILTERS = ["workflowId", "subscriberId", "status", "transactionId"];
  const CHANNELS = ["in_app", "email", "sms", "chat", "push"];
  const RECIPIENTS_SHOWN = 5;

  const $ = (id) => document.getElementById(id);
  let route = { view: "journal", params: new URLSearchParams(), seq: null };
  let signature = null;
  let generation = 0;
  let newestSeen = 0;
  let lastJournalHash = "#/journal";
  let typingTimer = null;

  // -- small helpers ---------------------------------------------------------------------------

  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(props || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (name === "className") node.className = value;
      else if (name === "dataset") Object.assign(node.dataset, value);
      else node.setAttribute(name, value === true ? "" : String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  async function api(path, options) {
    const response = await fetch(API + path, { cache: "no-store", ...(options || {}) });
    if (!response.ok) {
      let message = response.statusText;
      try {
        message = (await response.json()).message || message;
      } catch (_) {
        /* not JSON */
      }
      const error = new Error(`${response.status} ${message}`);
      error.status = response.status;
      throw error;
    }
    return response.status === 204 ? null : response.json();
  }

  function showError(error) {
    const banner = $("error");
    banner.hidden = !error;
    banner.textContent = error ? String(error.message || error) : "";
  }

  function statusKind(status) {
    if (status === "processed") return "ok";
    if (status === "error") return "bad";
    return "warn";
  }

  function statusBadge(status, forced) {
    return el(
      "span",
      {},
      el("span", { className: `badge status status-${statusKind(status)}` }, status),
      forced ? el("span", { className: "badge forced", title: "forced by a fixture outcome" }, "forced") : null,
    );
  }

  function sourceText(source, bulkIndex) {
    return source === "bulk" ? `bulk #${bulkIndex}` : source;
  }

  function json(value) {
    return JSON.stringify(value, null, 2);
  }

  function pick(params, names) {
    const out = new URLSearchParams();
    for (const name of names) if (params.get(name)) out.set(name, params.get(name));
    return out;
  }

  // -- routing ---------------------------------------------------------------------------------

  function parseHash() {
    const raw = location.hash.replace(/^#\/?/, "");
    const cut = raw.indexOf("?");
    const path = cut < 0 ? raw : raw.slice(0, cut);
    const params = new URLSearchParams(cut < 0 ? "" : raw.slice(cut + 1));
    const parts = path.split("/").filter(Boolean);
    if (parts[0] === "trigger" && parts[1]) return { view: "trigger", params, seq: parts[1] };
    if (["subscribers", "stores", "outbox"].includes(parts[0])) return { view: parts[0], params, seq: null };
    if (parts[0] === "drift") return { view: "drift", params, seq: null };
    return { view: "journal", params, seq: null };
  }

  function hashFor(view, params) {
    const query = params.toString();
    return `#/${view}${query ? "?" + query : ""}`;
  }

  function navigate(hash, replace) {
    if (replace) {
      history.replaceState(null, "", hash);
      onRoute();
    } else {
      location.hash = hash;
    }
  }

  function onRoute() {
    route = parseHash();
    for (const section of document.querySelectorAll(".view")) {
      section.hidden = section.id !== `view-${route.view}`;
    }
    for (const link of document.querySelectorAll("nav a")) {
      link.classList.toggle("active", link.dataset.view === route.view);
      const keep = pick(route.params, ["environment"]);
      link.setAttribute("href", hashFor(link.dataset.view, keep));
    }
    if (route.view === "journal") lastJournalHash = location.hash || "#/journal";
    $("back").setAttribute("href", lastJournalHash);
    syncForm();
    refresh();
  }

  function syncForm() {
    for (const name of [...FILTERS, "environment"]) {
      const input = $(`f-${name}`);
      const value = route.params.get(name) || "";
      if (name === "environment") ensureOption(input, value);
      if (input !== document.activeElement && input.value !== value) input.value = value;
    }
  }

  function ensureOption(select, value) {
    if (value && ![...select.options].some((o) => o.value === value)) {
      select.append(el("option", { value }, value));
    }
  }

  function formParams() {
    const params = new URLSearchParams();
    for (const name of [...FILTERS, "environment"]) {
      const value = $(`f-${name}`).value.trim();
      if (value) params.set(name, value);
    }
    return params;
  }

  function applyFilters(replace) {
    const params = formParams();
    if (route.view === "journal") navigate(hashFor("journal", params), replace);
    else navigate(hashFor(route.view === "trigger" ? "journal" : route.view, pick(params, ["environment"])), false);
  }

  // -- views -----------------------------------------------------------------------------------

  async function refresh() {
    const mine = ++generation;
    const current = () => mine === generation;
    try {
      if (route.view === "journal") await loadJournal(current);
      else if (route.view === "trigger") await loadTrigger(current);
      else if (route.view === "subscribers") await loadSubscribers(current);
      else if (route.view === "outbox") await loadOutbox(current);
      else if (route.view === "drift") await loadDrift(current);
      else await loadStores(current);
      if (current()) showError(null);
    } catch (error) {
      if (current()) showError(error);
    }
  }

  async function loadJournal(current) {
    const params = route.params;
    const offset = Math.max(0, parseInt(params.get("offset") || "0", 10) || 0);
    const query = pick(params, [...FILTERS, "environment"]);
    query.set("offset", String(offset));
    query.set("limit", String(PAGE));
    const body = await api(`/dashboard/triggers?${query}`);
    if (!current()) return;
    const rows = body.data.map((r) => journalRow(r, r.seq > newestSeen && newestSeen > 0));
    for (const r of body.data) newestSeen = Math.max(newestSeen, r.seq);
    const tbody = $("journal").tBodies[0];
    if (rows.length === 0) {
      const filtered = [...query.keys()].some((k) => k !== "offset" && k !== "limit");
      const text = filtered ? "No trigger matches these filters." : "No triggers yet: send one to POST /v1/events/trigger.";
      tbody.replaceChildren(el("tr", { className: "empty" }, el("td", { colspan: 9 }, text)));
    } else {
      tbody.replaceChildren(...rows);
    }
    const last = offset + body.data.length;
    $("summary").textContent = body.total === 0 ? "0 triggers" : `${offset + 1}-${last} of ${body.total} triggers, newest first`;
    $("prev").disabled = offset === 0;
    $("next").disabled = last >= body.total;
    $("prev").dataset.offset = String(Math.max(0, offset - PAGE));
    $("next").dataset.offset = String(offset + PAGE);
  }

  function journalRow(r, fresh) {
    const shown = r.recipients.slice(0, RECIPIENTS_SHOWN).join(", ");
    const more = r.recipientCount - Math.min(r.recipientCount, RECIPIENTS_SHOWN);
    const link = `#/trigger/${r.seq}`;
    return el(
      "tr",
      { className: `row status-row-${statusKind(r.status)}${fresh ? " fresh" : ""}`, dataset: { seq: r.seq, status: r.status } },
      el("td", {}, el("a", { href: link }, r.seq)),
      el("td", { title: r.receivedAt }, r.receivedAt.slice(11, 23)),
      el("td", { className: "mono" }, r.environment),
      el("td", {}, r.workflowId === null ? el("span", { className: "muted" }, "(none)") : String(r.workflowId)),
      el(
        "td",
        { className: "status-cell" },
        statusBadge(r.status, r.forced),
        r.error && r.error.length ? el("div", { className: "error-text" }, r.error.join("; ")) : null,
        r.noteCount ? el("div", { className: "note-hint" }, `${r.noteCount} note${r.noteCount > 1 ? "s" : ""}`) : null,
      ),
      el("td", { className: "recipients" }, shown || el("span", { className: "muted" }, "none"), more > 0 ? ` +${more} more` : null),
      el("td", { className: "mono" }, r.transactionId || ""),
      el("td", {}, sourceText(r.source, r.bulkIndex)),
      el("td", {}, r.canceled ? el("span", { className: "badge canceled" }, "cancelled") : ""),
    );
  }

  async function loadTrigger(current) {
    let body;
    try {
      body = await api(`/dashboard/triggers/${encodeURIComponent(route.seq)}`);
    } catch (error) {
      if (error.status === 404) {
        if (!current()) return;
        $("detail-title").textContent = `Trigger ${route.seq} is not in the journal (was the mock reset?)`;
        for (const id of ["detail-facts", "detail-request", "detail-answer", "detail-notes", "detail-http"]) $(id).replaceChildren();
        return;
      }
      throw error;
    }
    if (!current()) return;
    const r = body.data;
    $("detail-title").textContent = `Trigger #${r.seq}: ${r.workflowId}`;
    const txnLink = r.transactionId
      ? el("a", { href: hashFor("journal", new URLSearchParams({ transactionId: r.transactionId })) }, r.transactionId)
      : "(none)";
    const facts = [
      ["Received", r.receivedAt],
      ["Environment", r.environment],
      ["Workflow", String(r.workflowId)],
      ["Status", statusBadge(r.status, r.forced)],
      ["Error", r.error ? r.error.join("; ") : "—"],
      ["Source", sourceText(r.source, r.bulkIndex)],
      ["transactionId", txnLink],
      ["Recipients", r.recipients.length ? r.recipients.join(", ") : "none"],
      ["Cancelled", r.canceled ? "yes" : "no"],
    ];
    $("detail-facts").replaceChildren(...facts.flatMap(([name, value]) => [el("dt", {}, name), el("dd", {}, value)]));
    $("detail-request").textContent = json(r.sent);
    $("detail-answer").textContent = json(r.answer);
    $("detail-http").textContent = r.httpStatus ? `HTTP ${r.httpStatus}` : "(rebuilt from the record)";
    $("detail-notes").replaceChildren(
      ...(r.notes.length ? r.notes.map((n) => el("li", {}, n)) : [el("li", { className: "muted" }, "None: Novu would have done the same.")]),
    );
    await loadTimeline(r, current);
  }

  // The trigger's timeline: when it was received, each held job (scheduled, due, its status)
  // and each message its run sent (GET /_mock/messages?transactionId=...).
  async function loadTimeline(r, current) {
    let messages = [];
    if (r.transactionId) {
      try {
        const query = new URLSearchParams({ transactionId: r.transactionId });
        messages = (await api(`/messages?${query}`)).data.filter((m) => m.environment === r.environment);
      } catch (_) {
        messages = [];
      }
    }
    if (!current()) return;
    const entries = [{ at: r.receivedAt, order: 0, node: el("span", {}, "received: ", statusBadge(r.status, r.forced)) }];
    for (const job of r.jobs || []) {
      const what = `${job.type} step ${job.stepId || ""} for ${job.subscriberId || "?"}`;
      const pending = Boolean(job.pending);
      entries.push({
        at: job.dueAt,
        order: 1,
        node: el(
          "span",
          { className: "job", dataset: { status: job.status } },
          el("span", { className: `badge job-${job.status}` }, job.status),
          ` ${what}: scheduled ${job.scheduledAt}, due ${job.dueAt}`,
          pending ? el("span", { className: "muted" }, " (pending)") : "",
        ),
      });
    }
    for (const m of messages) {
      entries.push({
        at: m.createdAt,
        order: 2,
        node: el(
          "span",
          { className: "message", dataset: { channel: m.channel } },
          el("span", { className: "badge sent" }, "sent"),
          ` ${m.channel} to ${m.subscriberId}: `,
          el("strong", {}, m.subject || ""),
          m.subject ? " " : "",
          el("span", { className: "content" }, m.content || ""),
        ),
      });
    }
    entries.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.order - b.order));
    $("detail-timeline").replaceChildren(
      ...entries.map((e) => el("li", {}, el("time", { className: "mono" }, e.at), " ", e.node)),
    );
  }

  // -- the clock ---------------------------------------------------------------------------------

  let clockSignature = "";
  let nextDue = null;

  function showClock(c) {
    $("clock-now").textContent = c.now;
    $("clock-mode").textContent = c.mode;
    $("clock-pending").textContent = `${c.pending} pending`;
    nextDue = c.nextDueAt;
    $("clock-next").disabled = !nextDue;
    $("clock-next").title = nextDue ? `Set the clock to ${nextDue}` : "Nothing is pending";
  }

  async function loadClock() {
    const c = (await api("/clock")).data;
    showClock(c);
    return `${c.pending}|${c.nextDueAt}|${c.mode === "virtual" ? c.now : ""}`;
  }

  async function moveClock(body) {
    try {
      const c = (await api("/clock", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      })).data;
      showClock(c);
      refresh();
    } catch (error) {
      showError(error);
    }
  }

  async function loadSubscribers(current) {
    const query = pick(route.params, ["environment"]);
    query.set("limit", "500");
    const body = await api(`/dashboard/subscribers?${query}`);
    if (!current()) return;
    const rows = body.data.map((s) => {
      const journal = hashFor("journal", new URLSearchParams({ subscriberId: s.subscriberId, environment: s.environment }));
      const byWorkflow = Object.entries(s.workflows).map(([id, w]) => {
        const counts = CHANNELS.filter((c) => w.channels[c]).map((c) => `${c} ${w.channels[c]}`);
        return el("div", {}, el("strong", {}, id), ` (${w.triggers})`, counts.length ? `: ${counts.join(", ")}` : "");
      });
      return el(
        "tr",
        { dataset: { subscriber: s.subscriberId } },
        el("td", { className: "mono" }, s.environment),
        el("td", {}, el("a", { href: journal }, s.subscriberId)),
        el("td", {}, s.triggers),
        ...CHANNELS.map((c) => el("td", { className: s.channels[c] ? "count" : "count zero", dataset: { channel: c } }, s.channels[c])),
        el("td", {}, s.canceled || ""),
        el("td", {}, byWorkflow),
      );
    });
    const tbody = $("subscribers").tBodies[0];
    if (rows.length === 0) tbody.replaceChildren(el("tr", { className: "empty" }, el("td", { colspan: 10 }, "Nothing delivered yet.")));
    else tbody.replaceChildren(...rows);
    const shown = body.data.length < body.total ? ` (first ${body.data.length} shown)` : "";
    $("sub-summary").textContent = `${body.total} subscriber${body.total === 1 ? "" : "s"} reached${shown}`;
  }

  // Drift (novu-mock proxy only: /_mock/drift answers 404 on a plain server).
  async function loadDrift(current) {
    const body = await api("/drift");
    if (!current()) return;
    const wanted = route.params.get("environment");
    const entries = body.data.filter((d) => !wanted || d.environment === wanted).reverse();
    const rows = entries.map((d) =>
      el(
        "tr",
        {},
        el("td", { className: "mono" }, (d.receivedAt || "").replace("T", " ").replace("Z", "")),
        el("td", { className: "mono" }, d.environment || ""),
        el("td", { className: "mono" }, `${d.method} ${d.path}`),
        el("td", {}, String(d.upstreamStatus)),
        el("td", {}, String(d.mockStatus)),
        el(
          "td",
          {},
          el(
            "ul",
            { className: "notes" },
            d.differences.map((f) =>
              el("li", {}, el("code", {}, f.at), ": upstream ", el("code", {}, JSON.stringify(f.upstream)), ", mock ", el("code", {}, JSON.stringify(f.mock))),
            ),
          ),
        ),
      ),
    );
    const tbody = $("drift").tBodies[0];
    if (rows.length === 0) tbody.replaceChildren(el("tr", { className: "empty" }, el("td", { colspan: 6 }, "No drift: the mock agreed with the upstream.")));
    else tbody.replaceChildren(...rows);
    $("drift-summary").textContent = `${entries.length} call${entries.length === 1 ? "" : "s"} with drift`;
  }

  function table(headers, rows, empty) {
    if (rows.length === 0) return el("p", { className: "muted" }, empty);
    return el(
      "table",
      { className: "grid" },
      el("thead", {}, el("tr", {}, headers.map((h) => el("th", {}, h)))),
      el("tbody", {}, rows.map((cells) => el("tr", {}, cells.map((c) => el("td", {}, c))))),
    );
  }

  function stepBadges(steps) {
    return steps.map((s) =>
      el("span", { className: `badge step${s.active === false ? " inactive" : ""}`, title: s.active === false ? "inactive" : "active" }, s.type),
    );
  }

  async function loadStores(current) {
    const body = await api("/state");
    if (!current()) return;
    const wanted = route.params.get("environment");
    const entries = Object.entries(body.data).filter(([env]) => !wanted || env === wanted);
    fillWorkflowIds(body.data);
    if (entries.length === 0) {
      $("stores").replaceChildren(
        el("p", { className: "muted" }, "No environment yet: each API key gets one, seeded from the fixtures, on its first call."),
      );
      return;
    }
    $("stores").replaceChildren(...entries.map(([env, doc]) => storesOf(env, doc)));
  }

  function storesOf(env, doc) {
    const workflows = table(
      ["workflowId", "Name", "Active", "Steps", "Tenant overrides", "Payload schema"],
      doc.workflows.map((w) => [
        w.workflowId,
        w.name,
        w.active ? "yes" : el("span", { className: "badge status status-warn" }, "inactive"),
        stepBadges(w.steps),
        w.tenantOverrides ? Object.entries(w.tenantOverrides).map(([t, o]) => `${t}: ${o.active ? "active" : "inactive"}`).join(", ") : "",
        w.payloadSchema ? el("code", {}, JSON.stringify(w.payloadSchema)) : "",
      ]),
      "No workflows.",
    );
    const subscribers = table(
      ["subscriberId", "Name", "Email", "Phone", "Data"],
      doc.subscribers.map((s) => [
        s.subscriberId,
        [s.firstName, s.lastName].filter(Boolean).join(" "),
        s.email || "",
        s.phone || "",
        s.data ? el("code", {}, JSON.stringify(s.data)) : "",
      ]),
      "No subscribers.",
    );
    const tenants = table(
      ["Identifier", "Name", "Data"],
      doc.tenants.map((t) => [t.identifier, t.name || "", el("code", {}, JSON.stringify(t.data || {}))]),
      "No tenants.",
    );
    const topics = table(
      ["Key", "Name", "Members"],
      doc.topics.map((t) => [t.key, t.name || "", t.subscribers.join(", ")]),
      "No topics.",
    );
    return el(
      "section",
      { className: "env-stores", dataset: { environment: env } },
      el("h2", {}, "Environment ", el("span", { className: "mono" }, env)),
      el("h3", {}, `Workflows (${doc.workflows.length})`), workflows,
      el("h3", {}, `Subscribers (${doc.subscribers.length})`), subscribers,
      el("h3", {}, `Tenants (${doc.tenants.length})`), tenants,
      el("h3", {}, `Topics (${doc.topics.length})`), topics,
    );
  }

  function fillWorkflowIds(state) {
    const ids = new Set();
    for (const doc of Object.values(state)) for (const w of doc.workflows) ids.add(w.workflowId);
    $("workflow-ids").replaceChildren(...[...ids].sort().map((id) => el("option", { value: id })));
  }

  // -- live updates ----------------------------------------------------------------------------

  function updateEnvironments(environments) {
    const select = $("f-environment");
    const chosen = select.value;
    const options = [el("option", { value: "" }, "all"), ...environments.map((e) => el("option", { value: e }, e))];
    select.replaceChildren(...options);
    ensureOption(select, chosen);
    select.value = chosen;
  }

  async function poll() {
    try {
      const v = await api("/dashboard/version");
      $("live").classList.remove("down");
      const warnings = v.warnings || [];
      $("warnings").hidden = warnings.length === 0;
      $("warnings").replaceChildren(...warnings.map((w) => el("p", {}, w)));
      const environments = v.environments.join(",");
      const next = [v.triggers, v.last, v.requests, environments].join("|");
      if (signature === null || !signature.endsWith(`|${environments}`)) {
        updateEnvironments(v.environments);
        api("/state").then(fillWorkflowIds, () => {});
      }
      // The first answer also refreshes: a trigger may have landed between the view's first
      // load and this answer, and there is no earlier signature to compare it with.
      let changed = next !== signature;
      signature = next;
      try {
        const clock = await loadClock();
        if (clock !== clockSignature) changed = true;
        clockSignature = clock;
      } catch (_) {
        /* an older mock without /_mock/clock */
      }
      if (changed && $("live-toggle").checked) refresh();
    } catch (_) {
      $("live").classList.add("down");
    } finally {
      setTimeout(poll, POLL_MS);
    }
  }

  async function reset() {
    try {
      await api("/reset", { method: "POST" });
      newestSeen = 0;
      const params = new URLSearchParams(route.params);
      params.delete("offset");
      if (route.view === "trigger") navigate(hashFor("journal", pick(params, ["environment"])), false);
      else navigate(hashFor(route.view, params), true);
    } catch (error) {
      showError(error);
    }
  }


  // -- the outbox: what each subscriber would have received ----------------------------------

  const CHANNEL_NAMES = { in_app: "In-app", email: "Email", sms: "SMS", chat: "Chat", push: "Push" };

  function messageCard(m) {
    const when = el("span", { className: "muted when" }, m.createdAt.replace("T", " ").replace("Z", ""));
    const head = (...parts) => el("div", { className: "card-head" }, ...parts, when);
    const attrs = { className: `card card-${m.channel}`, dataset: { message: m.id, channel: m.channel } };
    if (m.channel === "email") {
      return el(
        "article",
        attrs,
        head(el("strong", { className: "subject" }, m.subject || "(no subject)")),
        el("div", { className: "muted to" }, `to ${m.to.email} · ${m.providerId} · step ${m.stepId} · ${m.workflowId}`),
        // The email's HTML is served on its own with a CSP that sandboxes it; the frame is
        // sandboxed too (no scripts, no same origin, no forms, no popups).
        el("iframe", {
          className: "email-frame",
          sandbox: "",
          referrerpolicy: "no-referrer",
          title: `Email to ${m.subscriberId}: ${m.subject}`,
          src: `${API}/dashboard/messages/${encodeURIComponent(m.id)}/html`,
        }),
      );
    }
    if (m.channel === "sms") {
      return el(
        "article",
        attrs,
        head(el("strong", {}, m.to.phone)),
        el("p", { className: "bubble content" }, m.content),
        el("div", { className: "muted" }, `step ${m.stepId} · ${m.workflowId} · ${m.providerId}`),
      );
    }
    if (m.channel === "push") {
      return el(
        "article",
        attrs,
        head(el("strong", { className: "subject" }, m.subject || "")),
        el("p", { className: "content" }, m.content),
        el("div", { className: "muted" }, `${m.providerId} · ${m.to.deviceTokens.length} device(s) · step ${m.stepId}`),
      );
    }
    if (m.channel === "chat") {
      return el(
        "article",
        attrs,
        head(el("strong", {}, m.providerId)),
        el("p", { className: "content" }, m.content),
        el("div", { className: "muted" }, `webhook ${m.to.webhookUrl} · step ${m.stepId}`),
      );
    }
    const url = m.cta && m.cta.data ? m.cta.data.url : null;
    return el(
      "article",
      { ...attrs, className: `card card-in_app${m.read ? " read" : ""}` },
      head(el("strong", { className: "subject" }, m.subject || ""), m.seen ? null : el("span", { className: "badge unseen" }, "unseen")),
      el("p", { className: "content" }, m.content),
      url ? el("div", { className: "muted cta" }, `→ ${url}`) : null,
      el("div", { className: "muted" }, `step ${m.stepId} · ${m.workflowId} · ${m.providerId}`),
    );
  }

  function skipItem(s) {
    return el(
      "li",
      { className: "skip", dataset: { channel: s.channel, reason: s.reason } },
      el("span", { className: "badge skip-reason" }, s.reason.replaceAll("_", " ")),
      ` ${s.channel} step ${s.stepId} of ${s.workflowId}: `,
      el("span", { className: "detail" }, s.detail),
    );
  }

  function outboxGroup(g) {
    const name = g.messages.length && g.messages[0].subscriberName ? ` (${g.messages[0].subscriberName})` : "";
    const columns = CHANNELS.map((channel) => {
      const mine = g.messages.filter((m) => m.channel === channel).reverse();
      if (!mine.length) return null;
      return el(
        "div",
        { className: "channel", dataset: { channel } },
        el("h4", {}, `${CHANNEL_NAMES[channel]} (${mine.length})`),
        ...mine.map(messageCard),
      );
    });
    return el(
      "section",
      { className: "outbox-subscriber", dataset: { subscriber: g.subscriberId, environment: g.environment } },
      el("h3", {}, g.subscriberId, el("span", { className: "muted" }, `${name} · ${g.environment}`)),
      el("div", { className: "channels" }, ...columns),
      g.skips.length ? el("ul", { className: "skips" }, ...g.skips.slice().reverse().map(skipItem)) : null,
    );
  }

  async function loadOutbox(current) {
    const query = pick(route.params, ["environment", "subscriberId"]);
    const body = await api(`/dashboard/outbox?${query}`);
    if (!current()) return;
    const input = $("o-subscriberId");
    const value = route.params.get("subscriberId") || "";
    if (input !== document.activeElement && input.value !== value) input.value = value;
    const box = $("outbox");
    if (body.data.length === 0) {
      box.replaceChildren(el("p", { className: "empty" }, "Nothing sent yet: trigger a workflow whose steps have content."));
    } else {
      box.replaceChildren(...body.data.map(outboxGroup));
    }
    const messages = body.data.reduce((n, g) => n + g.messages.length, 0);
    const skips = body.data.reduce((n, g) => n + g.skips.length, 0);
    $("outbox-summary").textContent = `${messages} message(s) and ${skips} skipped step(s) for ${body.total} subscriber(s)`;
  }

  // -- wiring ----------------------------------------------------------------------------------

  function start() {
    window.addEventListener("hashchange", onRoute);
    $("filters").addEventListener("submit", (event) => {
      event.preventDefault();
      applyFilters(true);
    });
    for (const name of ["workflowId", "subscriberId", "transactionId"]) {
      $(`f-${name}`).addEventListener("input", () => {
        clearTimeout(typingTimer);
        typingTimer = setTimeout(() => applyFilters(true), 250);
      });
    }
    $("f-status").addEventListener("change", () => applyFilters(true));
    $("f-environment").addEventListener("change", () => applyFilters(route.view === "journal"));
    $("clear-filters").addEventListener("click", () => {
      for (const name of FILTERS) $(`f-${name}`).value = "";
      applyFilters(true);
    });
    for (const id of ["prev", "next"]) {
      $(id).addEventListener("click", () => {
        const params = new URLSearchParams(route.params);
        params.set("offset", $(id).dataset.offset);
        navigate(hashFor("journal", params), false);
      });
    }
    $("journal").addEventListener("click", (event) => {
      const row = event.target.closest("tr[data-seq]");
      if (row && !event.target.closest("a")) location.hash = `#/trigger/${row.dataset.seq}`;
    });
    $("outbox-filters").addEventListener("submit", (event) => event.preventDefault());
    $("o-subscriberId").addEventListener("input", () => {
      clearTimeout(typingTimer);
      typingTimer = setTimeout(() => {
        const params = pick(route.params, ["environment"]);
        if ($("o-subscriberId").value) params.set("subscriberId", $("o-subscriberId").value);
        navigate(hashFor("outbox", params), true);
      }, 250);
    });
    $("reset").addEventListener("click", reset);
    for (const button of document.querySelectorAll("button.advance")) {
      button.addEventListener("click", () => moveClock({ advance: Number(button.dataset.advance) }));
    }
    $("clock-next").addEventListener("click", () => {
      if (nextDue) moveClock({ set: nextDue });
    });
    api("/drift").then(() => { $("nav-drift").hidden = false; }, () => {});
    onRoute();
    poll();
  }

  start();
})();
