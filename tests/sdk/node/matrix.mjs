// Runs the same operations through one Node SDK against a live novu-mock and prints, as JSON,
// what the SDK returned or threw for each. Driven by tests/sdk/test_sdk_node.py.
//
//   node matrix.mjs < input.json    (input: {sdk, url, keyedUrl, badKey, keys: {case: key}, cases,
//                                     seedUrls?: where the delivery case's fixtures go, [url] if absent})
import { Novu } from "@novu/api";
import * as apiErrors from "@novu/api/models/errors/index.js";
import { Novu as LegacyNovu } from "@novu/node";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const input = JSON.parse(Buffer.concat(chunks).toString("utf8"));
const { cases } = input;

function apiClient(url, key) {
  return new Novu({ secretKey: key, serverURL: url, retryConfig: { strategy: "none" }, timeoutMs: 5000 });
}

// @novu/node appends /v1 itself; no retryConfig means no retries.
function legacyClient(url, key) {
  return new LegacyNovu(key, { backendUrl: url });
}

function toApiEvent(event) {
  const { name, ...rest } = event;
  return { workflowId: name, ...rest };
}

function describeError(error) {
  if (input.sdk === "@novu/node") {
    return {
      name: error.name,
      statusCode: error.response?.status ?? null,
      body: error.response?.data ?? null,
    };
  }
  const typed = Object.entries(apiErrors).find(
    ([, cls]) => typeof cls === "function" && error.constructor === cls,
  );
  return {
    name: error.name,
    typed: typed ? typed[0] : null,
    statusCode: error.statusCode ?? null,
    message: error.message,
    body: typeof error.body === "string" && error.body ? JSON.parse(error.body) : null,
    errors: error.data$?.errors ?? null,
  };
}

// Each SDK's four operations, returning the parsed result as the caller sees it.
function operations(url, key) {
  if (input.sdk === "@novu/api") {
    const novu = apiClient(url, key);
    return {
      trigger: async (event) => (await novu.trigger(toApiEvent(event))).result,
      bulk: async (events) => (await novu.triggerBulk({ events: events.map(toApiEvent) })).result,
      broadcast: async (name, payload) => (await novu.triggerBroadcast({ name, payload })).result,
      cancel: async (transactionId) => (await novu.cancel(transactionId)).result,
      integrations: async (body) => {
        const created = (await novu.integrations.create(body)).result;
        const primary = (await novu.integrations.setAsPrimary(created.id)).result;
        const active = (await novu.integrations.listActive()).result;
        const updated = (await novu.integrations.update({ active: false }, created.id)).result;
        const listed = (await novu.integrations.list()).result;
        const rest = (await novu.integrations.delete(created.id)).result;
        const pick = (i) => ({ id: i.id, identifier: i.identifier, providerId: i.providerId,
          active: i.active, primary: i.primary, credentials: i.credentials ?? null });
        return { created: pick(created), primary: pick(primary), active: active.map(pick),
          updated: pick(updated), listed: listed.map(pick), rest: rest.map(pick) };
      },
    };
  }
  const legacy = legacyClient(url, key);
  return {
    trigger: async ({ name, ...rest }) => (await legacy.trigger(name, rest)).data.data,
    bulk: async (events) => (await legacy.bulkTrigger(events)).data.data,
    broadcast: async (name, payload) => (await legacy.broadcast(name, { payload })).data.data,
    cancel: async (transactionId) => (await legacy.events.cancel(transactionId)).data.data,
    integrations: async ({ providerId, ...body }) => {
      const created = (await legacy.integrations.create(providerId, body)).data.data;
      const primary = (await legacy.integrations.setIntegrationAsPrimary(created._id)).data.data;
      const active = (await legacy.integrations.getActive()).data.data;
      const updated = (await legacy.integrations.update(created._id, { active: false })).data.data;
      const listed = (await legacy.integrations.getAll()).data.data;
      const rest = (await legacy.integrations.delete(created._id)).data.data;
      const webhook = (await legacy.integrations.getWebhookProviderStatus("sendgrid")).data.data;
      const pick = (i) => ({ id: i._id, identifier: i.identifier, providerId: i.providerId,
        active: i.active, primary: i.primary, credentials: i.credentials ?? null });
      return { created: pick(created), primary: pick(primary), active: active.map(pick),
        updated: pick(updated), listed: listed.map(pick), rest: rest.map(pick), webhook };
    },
  };
}

const cased = {
  trigger: (ops) => ops.trigger(cases.trigger),
  bulkRecipients: (ops) => ops.bulk(cases.recipientEvents),
  bulkStatuses: (ops) => ops.bulk(cases.statusEvents),
  broadcast: (ops) => ops.broadcast("status-processed", cases.payload),
  cancel: async (ops) => {
    await ops.trigger({ name: "status-processed", to: "status-user", transactionId: "to-cancel" });
    return [await ops.cancel("to-cancel"), await ops.cancel("to-cancel")];
  },
  tooManyEvents: (ops) => ops.bulk(cases.tooManyEvents),
  subscriberIdMissingTrigger: (ops) => ops.trigger(cases.subscriberIdMissing),
  subscriberIdMissingBulk: (ops) => ops.bulk([cases.subscriberIdMissing]),
  integrations: (ops) => ops.integrations(cases.integration),
};

// Delivery's read APIs (DESIGN 9) through @novu/api: messages, activity feed, in-app feed,
// unseen count, mark-as, mark-all, actions, deletes. @novu/node is not driven here.
async function delivery(url, key) {
  if (input.sdk !== "@novu/api") return null;
  // seedUrls: through a proxy, its upstream gets the same fixtures as its shadow.
  for (const seedUrl of input.seedUrls ?? [url]) {
    const seeded = await fetch(`${seedUrl}/_mock/fixtures`, {
      method: "POST",
      headers: { Authorization: `ApiKey ${key}`, "Content-Type": "application/json" },
      body: JSON.stringify(cases.delivery),
    });
    if (seeded.status !== 201) throw new Error(`seeding failed: ${seeded.status}`);
  }
  const novu = apiClient(url, key);
  const [answer] = (await novu.triggerBulk({ events: [{ workflowId: "trio", to: ["sam", "nomail"], payload: { order: 42 } }] })).result;
  const txn = answer.transactionId;
  const messages = (await novu.messages.retrieve({ subscriberId: "sam", transactionId: [txn] })).result;
  const activity = (await novu.notifications.list({ transactionId: txn })).result;
  const notification = (await novu.notifications.retrieve(activity.data[0].id)).result;
  const feed = (await novu.subscribers.notifications.feed({ subscriberId: "sam" })).result;
  const unseen = (await novu.subscribers.notifications.unseenCount({ subscriberId: "sam" })).result;
  const first = feed.data[0].id;
  const marked = (await novu.subscribers.messages.markAllAs({ messageId: first, markAs: "read" }, "sam")).result;
  const unseenAfter = (await novu.subscribers.notifications.unseenCount({ subscriberId: "sam" })).result;
  const markedAll = (await novu.subscribers.messages.markAll({ markAs: "unread" }, "sam")).result;
  const action = (
    await novu.subscribers.messages.updateAsSeen({
      messageId: first,
      type: "primary",
      subscriberId: "sam",
      markMessageActionAsSeenDto: { status: "done" },
    })
  ).result;
  const sms = messages.data.find((m) => m.channel === "sms");
  const deleted = (await novu.messages.delete(sms.id)).result;
  await novu.messages.deleteByTransactionId(txn, "email");
  const left = (await novu.messages.retrieve({ transactionId: [txn], limit: 100 })).result;
  return { txn, messages, activity, notification, feed, unseen, marked, unseenAfter, markedAll, action, deleted, left };
}

const results = {};
try {
  results.delivery = { ok: true, value: await delivery(input.url, input.keys.delivery) };
} catch (error) {
  results.delivery = { ok: false, error: { ...describeError(error), stack: String(error.stack) } };
}
for (const [name, run] of Object.entries(cased)) {
  try {
    results[name] = { ok: true, value: await run(operations(input.url, input.keys[name])) };
  } catch (error) {
    results[name] = { ok: false, error: describeError(error) };
  }
}
// An unknown key on a server that accepts only configured keys.
try {
  results.badKey = { ok: true, value: await operations(input.keyedUrl, input.badKey).trigger(cases.trigger) };
} catch (error) {
  results.badKey = { ok: false, error: describeError(error) };
}
// A trailing slash on the base URL (@novu/node then sends //v1/...).
try {
  const ops = operations(input.url + "/", input.keys.trailingSlash);
  results.trailingSlash = {
    ok: true,
    value: [await ops.trigger(cases.trigger), await ops.bulk([cases.trigger]), await ops.cancel("none")],
  };
} catch (error) {
  results.trailingSlash = { ok: false, error: describeError(error) };
}
process.stdout.write(JSON.stringify(results) + "\n");
