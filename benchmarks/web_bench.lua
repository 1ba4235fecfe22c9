-- wrk script for `make bench-web`: one request shape per run, set by the environment
-- (BENCH_METHOD, BENCH_COOKIE, BENCH_AUTH, BENCH_BODY_FILE, BENCH_CONTENT_TYPE), and a
-- JSON line at the end with requests, errors and the latency percentiles (microseconds).

local method = os.getenv("BENCH_METHOD") or "GET"
local cookie = os.getenv("BENCH_COOKIE")
local auth = os.getenv("BENCH_AUTH")
local body_file = os.getenv("BENCH_BODY_FILE")
local content_type = os.getenv("BENCH_CONTENT_TYPE")
-- Think time: each connection is a user who waits 0.5-1.5 x this many ms between requests.
local think = tonumber(os.getenv("BENCH_THINK_MS") or "0")

wrk.method = method
if cookie and cookie ~= "" then wrk.headers["Cookie"] = cookie end
if auth and auth ~= "" then wrk.headers["Authorization"] = auth end
if content_type and content_type ~= "" then wrk.headers["Content-Type"] = content_type end
if body_file and body_file ~= "" then
  local f = assert(io.open(body_file, "rb"))
  wrk.body = f:read("*a")
  f:close()
end

-- Redirects (say, to /login) are not errors to wrk: count every answer that is not 200.
if think > 0 then
  function delay() return math.floor(think * (0.5 + math.random())) end
end

local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) bad = 0 end
function response(status, headers, body)
  if status ~= 200 then bad = bad + 1 end
end

function done(summary, latency, requests)
  local e = summary.errors
  local not_ok = 0
  for _, t in ipairs(threads) do not_ok = not_ok + t:get("bad") end
  io.write(string.format(
    'BENCH_RESULT {"requests": %d, "duration_us": %d, "connect": %d, "read": %d, "write": %d, ' ..
    '"status": %d, "not_200": %d, "timeout": %d, "p50": %d, "p95": %d, "p99": %d, "max": %d, "mean": %.1f}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, not_ok, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max,
    latency.mean))
end
