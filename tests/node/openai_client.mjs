// The official OpenAI client (npm `openai`, pinned in package-lock.json)
// against a running Kaizen gateway: chat completions plain and streamed,
// the model list, a 404 for an unknown model, and Kaizen's response headers.
//
//   KAIZEN_GATEWAY_URL=http://127.0.0.1:PORT/v1 [KAIZEN_MODEL=kaizen-test] \
//   NODE_PATH=build/node/node_modules node tests/node/openai_client.mjs
//
// The checks run twice, once per way the client can send requests:
//   node-fetch  openai v4's own transport on node (node-fetch 2), on a new
//               connection per request. node-fetch 2 reports a complete
//               chunked (streamed) body on a reused keep-alive connection as
//               "Premature close" on some node releases, Debian 12's node
//               18.20.4 among them, whatever the server (node-fetch issue
//               #1767; a plain node http server shows it too).
//   fetch       node's own fetch (undici), keep-alive: what openai v5 and
//               later use, and `new OpenAI({fetch})` gives v4.
// One line per check ("ok - ..." or "FAIL - ..."), then "N passed, M failed";
// exits 1 when a check failed, 2 when it could not start.
// tests/integration/openai_client_test.cc starts the cluster and runs it.
import http from 'node:http';
import { createRequire } from 'node:module';

const baseURL = process.env.KAIZEN_GATEWAY_URL;
const model = process.env.KAIZEN_MODEL || 'kaizen-test';
// A sentence of the worker's training data (clinc150, banking).
const input = process.env.KAIZEN_INPUT || 'transfer $20000 from my savings account to checking account';

if (!baseURL) {
  console.error('KAIZEN_GATEWAY_URL is not set (e.g. http://127.0.0.1:8080/v1)');
  process.exit(2);
}

// require() honours NODE_PATH (an ESM import would not): the package lives in
// the build tree, installed by scripts/install-node-openai.sh.
const require = createRequire(import.meta.url);
let OpenAI;
let version;
try {
  OpenAI = require('openai');
  version = require('openai/version').VERSION;
} catch (e) {
  console.error(`cannot load the npm package 'openai' (NODE_PATH=${process.env.NODE_PATH || ''}): ${e.message}`);
  console.error('install it with: scripts/install-node-openai.sh build/node');
  process.exit(2);
}
if (typeof globalThis.fetch !== 'function') {
  console.error(`node ${process.version} has no global fetch (node 18 or later has)`);
  process.exit(2);
}
console.log(`openai ${version} on node ${process.version}, gateway ${baseURL}, model ${model}`);

let passed = 0;
let failed = 0;

// A stream that never ends must not hang the test.
setTimeout(() => {
  console.log('FAIL - the checks did not finish within 120 s (a request or a stream hangs)');
  console.log(`${passed} passed, ${failed + 1} failed`);
  process.exit(1);
}, 120000).unref();

function expect(cond, what) {
  if (!cond) throw new Error(what);
}

// The error as the client saw it: class, status, body, headers.
function describe(e) {
  if (e instanceof OpenAI.APIError) {
    const headers = e.headers ? JSON.stringify(e.headers) : '';
    return `${e.constructor.name} status=${e.status} message=${JSON.stringify(e.message)} ` +
      `error=${JSON.stringify(e.error)} code=${e.code} type=${e.type} param=${e.param} headers=${headers}`;
  }
  return e && e.stack ? e.stack : String(e);
}

async function check(name, fn) {
  try {
    await fn();
    passed++;
    console.log(`ok - ${name}`);
  } catch (e) {
    failed++;
    console.log(`FAIL - ${name}: ${describe(e)}`);
  }
}

// No retries: every gateway error shows as it is.
const common = { baseURL, apiKey: 'unused', maxRetries: 0, timeout: 30000 };
const transports = [
  ['node-fetch', new OpenAI({ ...common, httpAgent: new http.Agent({ keepAlive: false }) })],
  ['fetch', new OpenAI({ ...common, fetch: globalThis.fetch })],
];
const messages = [{ role: 'user', content: input }];

for (const [transport, client] of transports) {
  const t = `[${transport}]`;
  let answer;  // the non-streaming answer, for the streaming check

  await check(`${t} chat.completions.create returns a chat.completion with an answer`, async () => {
    const c = await client.chat.completions.create({ model, messages });
    const got = JSON.stringify(c);
    expect(typeof c.id === 'string' && c.id.length > 0, `id is not a non-empty string: ${got}`);
    expect(c.object === 'chat.completion', `object is ${JSON.stringify(c.object)}, not "chat.completion": ${got}`);
    expect(c.model === model, `model is ${JSON.stringify(c.model)}, not ${JSON.stringify(model)}: ${got}`);
    expect(Array.isArray(c.choices) && c.choices.length === 1, `choices is not one choice: ${got}`);
    const m = c.choices[0].message;
    expect(m && m.role === 'assistant', `choices[0].message.role is not "assistant": ${got}`);
    expect(typeof m.content === 'string' && m.content.length > 0,
      `choices[0].message.content is not a non-empty string: ${got}`);
    expect(c.choices[0].finish_reason === 'stop', `choices[0].finish_reason is not "stop": ${got}`);
    answer = m.content;
    console.log(`  answer: ${JSON.stringify(answer)} (id ${c.id})`);
  });

  await check(`${t} a streamed chat completion gives the same answer and ends`, async () => {
    const stream = await client.chat.completions.create({ model, messages, stream: true });
    let text = '';
    let chunks = 0;
    let finish = null;
    const ids = new Set();
    for await (const chunk of stream) {
      chunks++;
      ids.add(chunk.id);
      expect(chunk.object === 'chat.completion.chunk',
        `chunk ${chunks}: object is ${JSON.stringify(chunk.object)}: ${JSON.stringify(chunk)}`);
      const choice = chunk.choices && chunk.choices[0];
      if (!choice) continue;
      text += choice.delta?.content ?? '';
      if (choice.finish_reason) finish = choice.finish_reason;
    }
    // Here the client read the whole stream: the loop ends at `data: [DONE]` or the end of the body.
    expect(chunks > 0, 'the stream had no chunks');
    expect(finish === 'stop', `no chunk had finish_reason "stop" (last seen: ${JSON.stringify(finish)})`);
    expect(ids.size === 1 && [...ids][0], `chunk ids are not one non-empty id: ${JSON.stringify([...ids])}`);
    expect(typeof answer === 'string', 'no non-streaming answer to compare with (the check before failed)');
    expect(text === answer, `streamed ${JSON.stringify(text)} but the plain request answered ${JSON.stringify(answer)}`);
    console.log(`  ${chunks} chunks`);
  });

  await check(`${t} the raw stream is server-sent events ending with data: [DONE]`, async () => {
    // The client's loop above ends at [DONE] or at the end of the body alike: read the bytes.
    const response = await client.chat.completions.create({ model, messages, stream: true }).asResponse();
    const type = response.headers.get('content-type') || '';
    const body = await response.text();
    expect(response.status === 200, `status ${response.status}: ${body}`);
    expect(type.startsWith('text/event-stream'), `content-type is ${JSON.stringify(type)}`);
    expect(/(^|\n)data: \[DONE\]\n\n$/.test(body), `the body does not end with "data: [DONE]\\n\\n": ${JSON.stringify(body)}`);
  });

  await check(`${t} models.list() contains '${model}'`, async () => {
    const ids = [];
    for await (const m of client.models.list()) ids.push(m.id);
    expect(ids.includes(model), `models are ${JSON.stringify(ids)}`);
  });

  await check(`${t} an unknown model is a NotFoundError (404)`, async () => {
    let error;
    try {
      const c = await client.chat.completions.create({ model: 'no-such-model', messages });
      throw new Error(`no error; answered ${JSON.stringify(c)}`);
    } catch (e) {
      error = e;
    }
    if (!(error instanceof OpenAI.APIError)) throw error;
    expect(error.status === 404, `status ${error.status}: ${describe(error)}`);
    expect(error instanceof OpenAI.NotFoundError, `not a NotFoundError: ${describe(error)}`);
    expect(error.code === 'model_not_found', `code is not "model_not_found": ${describe(error)}`);
    expect(typeof error.error?.message === 'string' && error.error.message.length > 0,
      `the error has no message: ${describe(error)}`);
  });

  await check(`${t} withResponse() shows the X-Kaizen-Model-Version, X-Kaizen-Arm and X-Kaizen-Task-Id headers`,
    async () => {
      const { data, response } = await client.chat.completions.create({ model, messages }).withResponse();
      const h = (name) => response.headers.get(name);
      const all = JSON.stringify(Object.fromEntries(response.headers.entries()));
      expect(response.status === 200, `status ${response.status}`);
      expect(h('x-kaizen-model-version'), `no x-kaizen-model-version header: ${all}`);
      expect(h('x-kaizen-arm'), `no x-kaizen-arm header: ${all}`);
      expect(h('x-kaizen-task-id') === data.id,
        `x-kaizen-task-id ${h('x-kaizen-task-id')} is not the id ${data.id}: ${all}`);
      console.log(`  model version ${h('x-kaizen-model-version')}, arm ${h('x-kaizen-arm')}, task ${data.id}`);
    });
}

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
