-- wrk script for make loadtest: random known products (one id a line in
-- $AUD_IDS) with n drawn from {5, 10, 20}, and one request in 100 to /health.
local ids = {}
for line in io.lines(os.getenv("AUD_IDS")) do ids[#ids + 1] = line end
local ns = { 5, 10, 20 }

request = function()
	if math.random(100) == 1 then
		return wrk.format("GET", "/health")
	end
	return wrk.format("GET", "/recommend/" .. ids[math.random(#ids)] ..
	    "?n=" .. ns[math.random(3)])
end
