-- wrk script: POST a JSON hook request read from a file, and print the results as one JSON line.
--
--   wrk -t1 -c16 -d10s --timeout 10s -s bench/load.lua http://127.0.0.1:PORT/cds-services/bzra-order-sign \
--       -- BODY_FILE|@INDEX_FILE [unique|fixed]
--
-- With @INDEX_FILE (lines "PATH<TAB>BODY_FILE", written by bench/traffic.py) the requests go through the
-- listed bodies in order, each to its own path, and start again at the top when the list is done. The
-- marker __CYCLE__ becomes a number that is new for each pass through the list (and for each wrk run),
-- so a patient id holding it is never sent twice in a run, while consecutive calls of one patient (the
-- order-selects before a sign) share it. Keep -t1: with one thread the list is sent in its order.
--
-- The body may hold the marker __UNIQUE__ (the hookInstance, and in scenario 2 the access token). With
-- "unique" every request gets its own random UUID there, so no two requests share a token and the
-- service's FHIR cache cannot answer for the FHIR server; with "fixed" one UUID is used throughout.
-- Non-2xx/3xx answers are counted by wrk itself as errors (summary.errors.status).

local MARKER = "__UNIQUE__"
local CYCLE = "__CYCLE__"
local entries = {}  -- {path = ..., pieces = the body's text with the markers as MARKER/CYCLE entries}
local position = 0
local pass = 0
local run_nonce = "0"
local fixed_request = nil
local counter = 0

local function uuid4()
  -- random UUID (version 4, variant 10); the counter keeps it unique within this thread
  counter = counter + 1
  return string.format("%08x-%04x-4%03x-%04x-%04x%08x",
    math.random(0, 0x7fffffff), math.random(0, 0xffff), math.random(0, 0xfff),
    0x8000 + math.random(0, 0x3fff), math.random(0, 0xffff), counter % 0x7fffffff)
end

local function split(text, marker)
  local pieces, from = {}, 1
  while true do
    local i, j = string.find(text, marker, from, true)
    if not i then
      table.insert(pieces, string.sub(text, from))
      return pieces
    end
    table.insert(pieces, string.sub(text, from, i - 1))
    from = j + 1
  end
end

local thread_count = 0
function setup(thread)
  thread_count = thread_count + 1
  thread:set("thread_id", thread_count)
end

local function read_file(path)
  local handle = assert(io.open(path, "rb"), "cannot read body file " .. tostring(path))
  local text = handle:read("*a")
  handle:close()
  return text
end

local function add_entry(path, text)
  -- the body as a list: text, MARKER, text, CYCLE, ... (markers replaced per request)
  local pieces = {}
  for i, chunk in ipairs(split(text, CYCLE)) do
    if i > 1 then
      table.insert(pieces, CYCLE)
    end
    for j, part in ipairs(split(chunk, MARKER)) do
      if j > 1 then
        table.insert(pieces, MARKER)
      end
      table.insert(pieces, part)
    end
  end
  table.insert(entries, {path = path, pieces = pieces})
end

local function body_of(entry, unique, cycle)
  local out = {}
  for i, piece in ipairs(entry.pieces) do
    if piece == MARKER then
      out[i] = unique
    elseif piece == CYCLE then
      out[i] = cycle
    else
      out[i] = piece
    end
  end
  return table.concat(out)
end

function init(args)
  local source, mode = args[1], args[2] or "unique"
  math.randomseed(os.time() * 1000 + (thread_id or 0) * 7919 + math.floor(os.clock() * 1e6))
  run_nonce = string.format("%x", math.random(0, 0xfffffff))
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Accept"] = "application/json"
  if string.sub(source, 1, 1) == "@" then
    for line in io.lines(string.sub(source, 2)) do
      local path, file = string.match(line, "^([^\t]+)\t(.+)$")
      if path then
        add_entry(path, read_file(file))
      end
    end
  else
    add_entry(nil, read_file(source))
  end
  if mode ~= "unique" then
    fixed_request = wrk.format(nil, entries[1].path, nil, body_of(entries[1], uuid4(), run_nonce))
  end
end

function request()
  if fixed_request then
    return fixed_request
  end
  position = position + 1
  if position > #entries then
    position = 1
    pass = pass + 1
  end
  local entry = entries[position]
  return wrk.format(nil, entry.path, nil, body_of(entry, uuid4(), run_nonce .. "p" .. pass))
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"p50":%d,"p90":%d,"p95":%d,"p99":%d,"max":%d,"mean":%.1f}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(95), latency:percentile(99),
    latency.max, latency.mean))
end
