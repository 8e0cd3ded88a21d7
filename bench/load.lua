-- wrk script: POST a JSON hook request read from a file, and print the results as one JSON line.
--
--   wrk -t1 -c16 -d10s --timeout 10s -s bench/load.lua http://127.0.0.1:PORT/cds-services/bzra-order-sign \
--       -- BODY_FILE [unique|fixed]
--
-- The body may hold the marker __UNIQUE__ (the hookInstance, and in scenario 2 the access token). With
-- "unique" every request gets its own random UUID there, so no two requests share a token and the
-- service's FHIR cache cannot answer for the FHIR server; with "fixed" one UUID is used throughout.
-- Non-2xx/3xx answers are counted by wrk itself as errors (summary.errors.status).

local MARKER = "__UNIQUE__"
local parts = nil   -- the body split at the marker
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

function init(args)
  local path, mode = args[1], args[2] or "unique"
  local handle = assert(io.open(path, "rb"), "cannot read body file " .. tostring(path))
  local text = handle:read("*a")
  handle:close()
  math.randomseed(os.time() * 1000 + (thread_id or 0) * 7919 + math.floor(os.clock() * 1e6))
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Accept"] = "application/json"
  parts = split(text, MARKER)
  if mode ~= "unique" then
    fixed_request = wrk.format(nil, nil, nil, table.concat(parts, uuid4()))
  end
end

function request()
  if fixed_request then
    return fixed_request
  end
  return wrk.format(nil, nil, nil, table.concat(parts, uuid4()))
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
