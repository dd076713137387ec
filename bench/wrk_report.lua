-- wrk script for bench/api_load.py: optional bearer token, and a machine-readable summary.
-- Usage: WRK_AUTH="Bearer ..." wrk -t2 -c10 -d15s --latency -s bench/wrk_report.lua URL
-- (summary.errors.status counts responses that were not 2xx/3xx.)

local auth = os.getenv("WRK_AUTH")
if auth and auth ~= "" then
  wrk.headers["Authorization"] = auth
end
wrk.headers["Accept"] = "application/json"

done = function(summary, latency, requests)
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
    '"latency_us": {"mean": %.1f, "p50": %d, "p90": %d, "p95": %d, "p99": %d, "max": %d}}\n',
    summary.requests, summary.duration, summary.bytes,
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.status,
    summary.errors.timeout,
    latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(95),
    latency:percentile(99), latency.max))
end
