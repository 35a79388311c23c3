-- wrk script for make loadtest: random known products (one id a line in
-- $AUD_IDS) with n drawn from {5, 10, 20}, and one request in 100 to /health.
-- The requests are drawn and formatted once, at start: formatting each one
-- in Lua costs wrk more CPU than the server spends answering it, and wrk
-- shares the two cores with the server.
local requests = {}
local next_request = 0

init = function(args)
	local ids = {}
	for line in io.lines(os.getenv("AUD_IDS")) do ids[#ids + 1] = line end
	local ns = { 5, 10, 20 }
	for i = 1, 20000 do
		if math.random(100) == 1 then
			requests[i] = wrk.format("GET", "/health")
		else
			requests[i] = wrk.format("GET", "/recommend/" .. ids[math.random(#ids)] ..
			    "?n=" .. ns[math.random(3)])
		end
	end
end

request = function()
	next_request = next_request % #requests + 1
	return requests[next_request]
end

done = function(summary, latency, requests)
	local e = summary.errors
	io.write(string.format("errors: connect %d, read %d, write %d, timeout %d; non-2xx answers: %d\n",
	    e.connect, e.read, e.write, e.timeout, e.status))
end
