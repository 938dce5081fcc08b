-- wrk script: every request takes the next line of a file, so each code or refresh token is presented once.
--   BENCH_FILE      the file (one line per request)
--   BENCH_MODE      "form": POST the line as an application/x-www-form-urlencoded body (token, introspection)
--                   "bearer": GET with the line as the bearer token (users/me)
--   BENCH_BASIC     optional Authorization header value for "form" (client_secret_basic)
--   BENCH_DELAY_MS  optional think time per connection between requests (the paced runs)
--   BENCH_RESULT    where done() writes its JSON summary
-- With -t1 one Lua state runs every request, so the lines are handed out in order, each once; when they run
-- out they start again and the result says so ("wrapped"), because reused codes and tokens answer errors.
local lines, n, i, wrapped = {}, 0, 0, 0
local mode = os.getenv("BENCH_MODE") or "form"
local basic = os.getenv("BENCH_BASIC")
local pace = tonumber(os.getenv("BENCH_DELAY_MS") or "0")

for line in io.lines(os.getenv("BENCH_FILE")) do
  n = n + 1
  lines[n] = line
end

if pace > 0 then
  function delay() return pace end
end

local form_headers = {["Content-Type"] = "application/x-www-form-urlencoded"}
if basic and basic ~= "" then form_headers["Authorization"] = basic end

function request()
  i = i + 1
  if i > n then
    i, wrapped = 1, wrapped + 1
  end
  if mode == "bearer" then
    return wrk.format("GET", nil, {["Authorization"] = "Bearer " .. lines[i]})
  end
  return wrk.format("POST", nil, form_headers, lines[i])
end

function done(summary, latency, requests)
  local e = summary.errors
  local out = assert(io.open(os.getenv("BENCH_RESULT"), "w"))
  out:write(string.format(
    '{"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,' ..
    '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f,"lines":%d,"wrapped":%d}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean,
    n, wrapped))
  out:close()
end
