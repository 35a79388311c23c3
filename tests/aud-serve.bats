#!/usr/bin/env bats
# aud-serve: raw HTTP requests on standard input, as inetd hands them over,
# and one standalone run on a loopback port.

setup() {
	load test_helper
	cd "$FIXTURES"
	rank_fixture 3
}

# serve REQUESTS: the responses to printf-style REQUESTS, without Date lines.
serve() {
	printf "$1" | aud-serve -m "$M" | tr -d '\r' | grep -v '^Date: '
}

@test "--help and --version exit 0; no model is a usage error" {
	run -0 aud-serve --help
	assert_line --partial "Usage: aud-serve -m MODEL"
	run -0 aud-serve --version
	assert_output --regexp '^aud-serve [0-9.]+$'
	run -2 aud-serve
}

@test "GET /health" {
	run -0 serve 'GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
	assert_output - <<'OUT'
HTTP/1.1 200 OK
Server: aud-serve/0.1.0
Content-Type: application/json
Content-Length: 91
Connection: close

{"status":"healthy","model_loaded":true,"available_products":3,"cached_recommendations":3}
OUT
}

@test "a kept-alive connection answers requests in turn, JSON then CSV" {
	run -0 serve 'GET /recommend/10?n=2 HTTP/1.1\r\n\r\nGET /recommend/99?n=1&format=csv HTTP/1.1\r\nConnection: close\r\n\r\n'
	assert_line '{"product_id":10,"product_name":null,"recommendations":[{"customer_id":"s1","score":0.25,"rank":1,"reason":{"kind":"engagement"}},{"customer_id":3,"score":0.06666666666666667,"rank":2,"reason":{"kind":"engagement"}}],"count":2,"note":"the top customers who have not interacted with this product, by engagement score"}'
	assert_line 'Content-Disposition: attachment; filename="audience.csv"'
	assert_line '99,1,1,0.9333333333333333,fallback,engagement'
}

@test "Accept: text/csv asks for CSV" {
	run -0 serve 'GET /recommend/12?n=1 HTTP/1.1\r\nAccept: text/csv\r\n\r\n'
	assert_line "product_id,rank,customer_id,score,source,reason"
	assert_line "12,1,1,0.9333333333333333,model,engagement"
}

@test "a sample of products has no repeats and takes them all when asked for more" {
	run -0 serve 'GET /products/sample?n=50 HTTP/1.1\r\n\r\n'
	assert_line --regexp '^\{"sample_products":\[(10|11|12),(10|11|12),(10|11|12)\],"total_available":3\}$'
	refute_line --regexp '(1[012]).*\b\1\b.*total'
}

@test "errors: 404, 405, 422, 400, each with a JSON detail" {
	run -0 serve 'GET /nope HTTP/1.1\r\n\r\nDELETE / HTTP/1.1\r\n\r\nGET /recommend/abc HTTP/1.1\r\n\r\nGET /recommend/10?n=101 HTTP/1.1\r\n\r\nnot http\r\n\r\n'
	assert_line 'HTTP/1.1 404 Not Found'
	assert_line '{"detail":"Not Found"}'
	assert_line 'HTTP/1.1 405 Method Not Allowed'
	assert_line 'Allow: GET, HEAD'
	assert_line '{"detail":"product_id must be an integer"}'
	assert_line '{"detail":"n must be a whole number from 1 to 9, the customers this model holds per product"}'
	assert_line 'HTTP/1.1 400 Bad Request'
}

@test "format=tsv is a TSV download; another format is 422" {
	run -0 serve 'GET /recommend/10?n=1&format=tsv HTTP/1.1\r\n\r\nGET /recommend/10?format=xml HTTP/1.1\r\nConnection: close\r\n\r\n'
	assert_line 'Content-Type: text/tab-separated-values; charset=utf-8'
	assert_line 'Content-Disposition: attachment; filename="audience.tsv"'
	assert_line "$(printf 'product_id\trank\tcustomer_id\tscore\tsource\treason')"
	assert_line "$(printf '10\t1\ts1\t0.25\tmodel\tengagement')"
	assert_line 'HTTP/1.1 422 Unprocessable Content'
	assert_line '{"detail":"format must be json, csv or tsv"}'
}

@test "n beyond the model's depth is 422 for a known, a new and a named product, as in aud-query" {
	# --top-n 3 holds 9 a product (--depth 3 N).
	run -0 serve 'GET /recommend/10?n=10 HTTP/1.1\r\n\r\nGET /recommend/99?n=10 HTTP/1.1\r\n\r\nGET /recommend?name=Mug&n=10 HTTP/1.1\r\nConnection: close\r\n\r\n'
	assert_equal "$(grep -c '^HTTP/1.1 422 Unprocessable' <<< "$output")" 3
	assert_equal "$(grep -c '^{"detail":"n must be a whole number from 1 to 9, the customers this model holds per product"}$' <<< "$output")" 3
	run -0 serve 'GET /recommend/99?n=3 HTTP/1.1\r\nConnection: close\r\n\r\n'
	assert_line --partial '"count":3,'
	# Without n, the model's --top-n (3), as aud-query gives it: not its
	# depth, though the cold-start list holds 5.
	run -0 serve 'GET /recommend/99 HTTP/1.1\r\nConnection: close\r\n\r\n'
	assert_line --partial '"count":3,'
	run -0 bash -c "aud-query -q -m '$M' 99 | tail -n +2 | wc -l"
	assert_output 3
	run -2 --separate-stderr aud-query -m "$M" -n 10 99
	assert_equal "$stderr" "aud-query: -n: this model holds 9 customers per product, not 10"
}

@test "HEAD gets the headers only" {
	run -0 serve 'HEAD /health HTTP/1.1\r\nConnection: close\r\n\r\n'
	assert_line 'Content-Length: 91'
	refute_line --partial '"status"'
}

@test "an oversized request line is 414 and closes the connection" {
	run -0 bash -c "{ printf 'GET /'; head -c 9000 /dev/zero | tr '\\\\0' a; printf ' HTTP/1.1\\r\\n\\r\\nGET / HTTP/1.1\\r\\n\\r\\n'; } | aud-serve -m '$M' | tr -d '\\r' | grep '^HTTP/'"
	assert_output "HTTP/1.1 414 URI Too Long"
}

@test "/ui is one self-contained page" {
	run -0 serve 'GET /ui HTTP/1.1\r\nConnection: close\r\n\r\n'
	assert_line 'Content-Type: text/html; charset=utf-8'
	assert_output --partial "fetch(u)"
	refute_output --partial "http://"
	refute_output --partial "https://"
}

@test "nothing is written to stderr under inetd; --log gets the access log" {
	run -0 --separate-stderr bash -c "printf 'GET /nope HTTP/1.1\r\n\r\n' | aud-serve -m '$M' --log '$BATS_TEST_TMPDIR/access.log' > /dev/null"
	assert_equal "$stderr" ""
	run -0 cat "$BATS_TEST_TMPDIR/access.log"
	assert_output --regexp '^- - - \[[0-9]{2}/[A-Z][a-z]{2}/[0-9]{4}:[0-9:]{8} \+0000\] "GET /nope HTTP/1.1" 404 23$'
}

@test "an unreadable model is 503 for the API, the page still loads" {
	run -0 bash -c "printf 'GET /health HTTP/1.1\r\n\r\n' | aud-serve -m /nonexistent | tr -d '\r' | head -n 1"
	assert_output "HTTP/1.1 503 Service Unavailable"
}

@test "inetd: why the model cannot be read goes to --log" {
	printf 'GET /health HTTP/1.1\r\n\r\n' |
		aud-serve -m /nonexistent --log "$BATS_TEST_TMPDIR/log" > /dev/null
	run -0 head -n 1 "$BATS_TEST_TMPDIR/log"
	assert_output "aud-serve: /nonexistent: No such file or directory"
}

@test "standalone: a model that cannot be read stops the start with exit 1" {
	run -1 --separate-stderr aud-serve -m /nonexistent --listen 127.0.0.1:1
	assert_equal "$stderr" "aud-serve: /nonexistent: No such file or directory"
	printf 'not a model' > "$BATS_TEST_TMPDIR/bad.aud"
	run -1 --separate-stderr aud-serve -m "$BATS_TEST_TMPDIR/bad.aud" --listen 127.0.0.1:1
	assert_equal "$stderr" "aud-serve: $BATS_TEST_TMPDIR/bad.aud: not a usable model: too short"
}

@test "--listen: a port outside 1-65535 is a bad port; --log - needs --listen" {
	run -2 --separate-stderr aud-serve -m "$M" --listen 127.0.0.1:65536
	assert_equal "${stderr_lines[0]}" 'aud-serve: --listen: bad port "65536": expected 1 to 65535'
	run -2 --separate-stderr aud-serve -m "$M" --listen 0
	assert_equal "${stderr_lines[0]}" 'aud-serve: --listen: bad port "0": expected 1 to 65535'
	run -2 --separate-stderr aud-serve -m "$M" --log -
	assert_equal "${stderr_lines[0]}" 'aud-serve: --log -: standard output is the connection under inetd'
}

@test "AUD_MODEL names the model when -m is not given" {
	run -0 bash -c "printf 'GET /health HTTP/1.1\r\n\r\n' | AUD_MODEL='$M' aud-serve | tr -d '\r' | head -n 1"
	assert_output "HTTP/1.1 200 OK"
	run -2 --separate-stderr env -u AUD_MODEL aud-serve
	assert_equal "${stderr_lines[0]}" "aud-serve: -m MODEL (or AUD_MODEL) is required"
}

# standalone: starts aud-serve on a random loopback port ($port, $pid) and
# leaves a connection to it open on descriptor 7.
standalone() {
	port=$(test_port)
	aud-serve -m "$M" -q --listen "127.0.0.1:$port" &
	pid=$!
	connect_fd7 "$port"
}

@test "standalone on a loopback port serves the same answers" {
	local port pid
	standalone
	printf 'GET /recommend/11?n=1 HTTP/1.1\r\nConnection: close\r\n\r\n' >&7
	run -0 bash -c "tr -d '\r' <&7"
	exec 7<&-
	kill "$pid"
	assert_line '{"product_id":11,"product_name":null,"recommendations":[{"customer_id":2,"score":0.1111111111111111,"rank":1,"reason":{"kind":"engagement"}}],"count":1,"note":"the top customers who have not interacted with this product, by engagement score"}'
}

@test "a client that stops in the middle of a head gets 408 after 5 seconds" {
	run -0 bash -c "{ printf 'GET /health HT'; sleep 6; } | aud-serve -m '$M' | tr -d '\r' | head -n 1"
	assert_output "HTTP/1.1 408 Request Timeout"
}

# The five paced clients of pacing.py, side by side: a head dripped a byte
# every 0.5 s gets 408 5 s after its first byte; a head after 7 s of idling,
# or in parts 4.5 s apart, is answered; a request after 9.5 s idle is
# answered; a silent connection is closed after the 10 s idle limit.
PACED=drip,idle7-split,split4.5,idle9.5,silent
paced_answers() {
	assert_output - <<'OUT'
drip: HTTP/1.1 408 Request Timeout after 5 s
idle7-split: HTTP/1.1 200 OK after 1 s
split4.5: HTTP/1.1 200 OK after 4 s
idle9.5: HTTP/1.1 200 OK after 0 s
silent: closed after 10 s
OUT
}

@test "inetd: the head limit runs from the head's first byte, the idle limit from the last answer" {
	run -0 python3 "$BATS_TEST_DIRNAME/pacing.py" inetd "$PACED" aud-serve -m "$M"
	paced_answers
}

@test "standalone: the head limit runs from the head's first byte, the idle limit from the last answer" {
	local port pid
	standalone
	exec 7<&-
	run -0 python3 "$BATS_TEST_DIRNAME/pacing.py" "$port" ${PACED//,/ }
	kill "$pid"
	paced_answers
}

@test "a product id with an encoded slash is reached; a raw one is not a route" {
	printf 'customer_id,product_id,event,event_date\n1,A/B,purchased,2023-01-01\n2,C,purchased,2023-01-02\n2,A/B,viewed,2023-01-03\n' > "$BATS_TEST_TMPDIR/slash.csv"
	aud-prepare -q -o "$BATS_TEST_TMPDIR/s.aud" "$BATS_TEST_TMPDIR/slash.csv"
	aud-features -o "$BATS_TEST_TMPDIR/sf.aud" "$BATS_TEST_TMPDIR/s.aud"
	aud-rank --features "$BATS_TEST_TMPDIR/sf.aud" --top-n 2 -o "$M" "$BATS_TEST_TMPDIR/s.aud"
	run -0 serve 'GET /recommend/A%%2FB HTTP/1.1\r\n\r\nGET /recommend/A/B HTTP/1.1\r\n\r\nGET /he%%61lth HTTP/1.1\r\nConnection: close\r\n\r\n'
	assert_line --partial '{"product_id":"A/B","product_name":null,"recommendations":[]'
	assert_line 'HTTP/1.1 404 Not Found'
	assert_line --partial '{"status":"healthy"'
}

@test "GET /recommend?name= and /products/search find products by name" {
	aud-prepare -q -o "$BATS_TEST_TMPDIR/c.aud" "$FIXTURES/cooc.csv"
	aud-features -o "$BATS_TEST_TMPDIR/cf.aud" "$BATS_TEST_TMPDIR/c.aud"
	aud-rank --features "$BATS_TEST_TMPDIR/cf.aud" --model cooccurrence --min-support 1 \
		--half-life 0 --blend 0 --top-n 3 -o "$M" "$BATS_TEST_TMPDIR/c.aud"
	run -0 serve 'GET /products/search?q=te HTTP/1.1\r\n\r\nGET /products/search?q=k+te HTTP/1.1\r\n\r\nGET /recommend?name=Blue%%20Mug&n=1 HTTP/1.1\r\n\r\nGET /recommend?name=&n=1 HTTP/1.1\r\nConnection: close\r\n\r\n'
	assert_line '{"products":[{"product_id":20,"product_name":"Teapot"}],"count":1}'
	assert_line '{"products":[],"count":0}'
	assert_line '{"product_id":null,"product_name":"Blue Mug","recommendations":[{"customer_id":1,"score":3.625,"rank":1,"reason":{"kind":"name","product_id":10,"product_name":"Mug"}}],"count":1,"note":"new product known by name: the customers who bought the products whose names are most like it, then the cold-start list, by engagement score"}'
	assert_line '{"detail":"name must be a product name, or category its category"}'
}

@test "the access log has one line a request: the target as sent, with \\xHH escapes" {
	printf '%s\r\n\r\n' 'GET /recommend/1%0A6.6.6.6%20-%20-%20[01/Jan/2026:00:00:00%20+0000]%20%22GET%20/forged%20HTTP/1.1%22%20200%201%1B[31m HTTP/1.1' \
	    'GET /recommend/10?n=1&q="\'$'\xc3\xa9'' HTTP/1.1' > "$BATS_TEST_TMPDIR/req"
	aud-serve -m "$M" --log "$BATS_TEST_TMPDIR/access.log" < "$BATS_TEST_TMPDIR/req" > /dev/null
	run -0 cut -d' ' -f 6- "$BATS_TEST_TMPDIR/access.log"
	assert_output - <<'OUT'
"GET /recommend/1%0A6.6.6.6%20-%20-%20[01/Jan/2026:00:00:00%20+0000]%20%22GET%20/forged%20HTTP/1.1%22%20200%201%1B[31m HTTP/1.1" 404 23
"GET /recommend/10?n=1&q=\x22\x5C\xC3\xA9 HTTP/1.1" 200 232
OUT
}

@test "standalone: says where it listens; --log - puts the access log on stdout" {
	local port=$(test_port)
	aud-serve -m "$M" --workers 1 --log - --listen "127.0.0.1:$port" \
		> "$BATS_TEST_TMPDIR/out" 2> "$BATS_TEST_TMPDIR/err" &
	local pid=$!
	connect_fd7 "$port"
	printf 'GET /health HTTP/1.1\r\nConnection: close\r\n\r\n' >&7
	cat <&7 > /dev/null
	exec 7<&-
	kill "$pid"
	wait "$pid" || true
	run -0 cat "$BATS_TEST_TMPDIR/err"
	assert_output "aud-serve: listening on 127.0.0.1:$port (1 worker, model $M)"
	run -0 cat "$BATS_TEST_TMPDIR/out"
	assert_output --regexp '^127\.0\.0\.1 - - \[[^]]*\] "GET /health HTTP/1.1" 200 91$'
}

@test "standalone, SIGHUP with a broken model keeps the model it serves" {
	local port=$(test_port) i
	aud-serve -m "$M" -q --workers 1 --listen "127.0.0.1:$port" 2> "$BATS_TEST_TMPDIR/err" &
	local pid=$!
	health() {
		exec 7<>"/dev/tcp/127.0.0.1/$port" || return 1
		printf 'GET /health HTTP/1.1\r\nConnection: close\r\n\r\n' >&7
		head -n 1 <&7 | tr -d '\r'
		exec 7<&-
	}
	for i in $(seq 50); do health > /dev/null 2>&1 && break; sleep 0.1; done
	printf 'not a model' > "$M"
	kill -HUP "$pid"
	sleep 0.3
	run health
	kill "$pid"
	assert_output "HTTP/1.1 200 OK"
	run -0 cat "$BATS_TEST_TMPDIR/err"
	assert_output "aud-serve: $M: not a usable model: too short; still serving the model read before"
}

@test "standalone, SIGHUP makes the workers serve a model renamed into place" {
	local port=$(test_port) i
	aud-rank --features "$F" --top-n 1 -o "$BATS_TEST_TMPDIR/m1.aud" "$I"
	aud-serve -m "$M" -q --listen "127.0.0.1:$port" &
	local pid=$!
	metrics() {
		exec 7<>"/dev/tcp/127.0.0.1/$port" || return 1
		printf 'GET /metrics HTTP/1.1\r\nConnection: close\r\n\r\n' >&7
		grep -o '"top_n":[0-9]*' <&7
		exec 7<&-
	}
	for i in $(seq 50); do metrics > /dev/null 2>&1 && break; sleep 0.1; done
	run metrics
	assert_output '"top_n":3'
	mv "$BATS_TEST_TMPDIR/m1.aud" "$M"
	kill -HUP "$pid"
	sleep 0.3
	run metrics
	kill "$pid"
	assert_output '"top_n":1'
}

# body REQUEST_PATH: the body of one GET, Connection: close, through serve.
body() {
	printf 'GET %s HTTP/1.1\r\nConnection: close\r\n\r\n' "$1" | aud-serve -m "$M" |
		tr -d '\r' | sed '1,/^$/d'
}

@test "every JSON answer is valid JSON with the documented keys (jq)" {
	command -v jq >/dev/null || skip "jq is not installed"
	run -0 bash -c "$(declare -f body); M='$M'; body / | jq -c '[.service, (.endpoints | length > 5)]'"
	assert_output '["aud-serve",true]'
	run -0 bash -c "$(declare -f body); M='$M'; body /health | jq -c 'keys'"
	assert_output '["available_products","cached_recommendations","model_loaded","status"]'
	run -0 bash -c "$(declare -f body); M='$M'; body /metrics | jq -c '[.model_type, .available_products, .model.top_n]'"
	assert_output '["engagement",3,3]'
	run -0 bash -c "$(declare -f body); M='$M'; body '/products/sample?n=2' | jq -c '[(.sample_products | length), .total_available]'"
	assert_output '[2,3]'
	run -0 bash -c "$(declare -f body); M='$M'; body '/recommend/10?n=3' | jq -c '[.product_id, .count, [.recommendations[].rank], (.recommendations[0] | keys)]'"
	assert_output '[10,3,[1,2,3],["customer_id","rank","reason","score"]]'
	run -0 bash -c "$(declare -f body); M='$M'; body '/recommend/999?n=2' | jq -r '.note'"
	assert_output --partial 'new product'
	run -0 bash -c "$(declare -f body); M='$M'; body '/recommend/x?n=2' | jq -r '.detail'"
	assert_output 'product_id must be an integer'
}

# tcp_exchange PORT REQUESTS: sends printf-style REQUESTS on one connection
# and prints what comes back until the server closes it, without Date lines.
tcp_exchange() {
	connect_fd7 "$1"
	printf "$2" >&7
	tr -d '\r' <&7 | grep -v '^Date: '
	exec 7<&-
}

@test "under tcpsvd, a real superserver: pipelined keep-alive requests, then close" {
	command -v tcpsvd >/dev/null || skip "tcpsvd (ipsvd) is not installed"
	local port=$(test_port)
	tcpsvd -E -l localhost 127.0.0.1 "$port" aud-serve -m "$M" --log "$BATS_TEST_TMPDIR/access.log" 2>/dev/null &
	local pid=$!
	run -0 tcp_exchange "$port" 'GET /recommend/11?n=1 HTTP/1.1\r\nHost: x\r\n\r\nHEAD /health HTTP/1.1\r\n\r\nGET /recommend/12?n=1&format=csv HTTP/1.1\r\nConnection: close\r\n\r\n'
	kill "$pid"
	assert_line --index 0 'HTTP/1.1 200 OK'
	assert_line '{"product_id":11,"product_name":null,"recommendations":[{"customer_id":2,"score":0.1111111111111111,"rank":1,"reason":{"kind":"engagement"}}],"count":1,"note":"the top customers who have not interacted with this product, by engagement score"}'
	assert_line 'Content-Length: 91'
	refute_line --partial '"status":"healthy"'
	assert_line '12,1,1,0.9333333333333333,model,engagement'
	assert_equal "$(grep -c '^HTTP/1.1 200 OK$' <<< "$output")" 3
	run -0 cut -d' ' -f1,6-9 "$BATS_TEST_TMPDIR/access.log"
	assert_output - <<'OUT'
127.0.0.1 "GET /recommend/11?n=1 HTTP/1.1" 200
127.0.0.1 "HEAD /health HTTP/1.1" 200
127.0.0.1 "GET /recommend/12?n=1&format=csv HTTP/1.1" 200
OUT
}

@test "/ui in headless Chromium fills the table from its URL" {
	chromium_ui "$M"
	run -0 ui_page 'product=10&n=2'
	kill "$pid"
	# Product 10's audience at n = 2: s1 (0.25), then 3 (0.0667).
	assert_output --partial '<tr><td class="n">1</td><td>s1</td><td class="n">0.250000</td><td>engagement</td></tr><tr><td class="n">2</td><td>3</td><td class="n">0.066667</td><td>engagement</td></tr>'
	assert_output --partial 'href="/recommend/10?n=2&amp;format=csv"'
	assert_output --regexp 'id="pid"[^>]*>'
	assert_output --partial 'healthy: 3 products'
}

@test "the Date line is an RFC 9110 date of today, and the access log's is Common Log Format" {
	run -0 bash -c "printf 'GET /health HTTP/1.1\r\nConnection: close\r\n\r\n' | aud-serve -m '$M' --log '$BATS_TEST_TMPDIR/log' | tr -d '\r' | grep '^Date: '"
	assert_output --regexp "^Date: $(date -u '+%a, %d %b %Y') [0-2][0-9]:[0-5][0-9]:[0-6][0-9] GMT$"
	run -0 cat "$BATS_TEST_TMPDIR/log"
	assert_output --regexp "^- - - \[$(date -u '+%d/%b/%Y'):[0-2][0-9]:[0-5][0-9]:[0-6][0-9] \+0000\] \"GET /health HTTP/1.1\" 200 91$"
}

@test "--listen takes IPv4, [IPv6], localhost or a port alone, and refuses names" {
	run -2 --separate-stderr aud-serve -m "$M" --listen example.org:8080
	assert_equal "${stderr_lines[0]}" 'aud-serve: --listen: expected [ADDR:]PORT with ADDR an IPv4 address, [IPv6] or localhost, got "example.org:8080"'
	run -2 aud-serve -m "$M" --listen 127.0.0.1:0
	run -2 aud-serve -m "$M" --listen '[::1:80'
}

@test "--exclude: suppressed customers are never served, the next take their places" {
	# rank.csv's model (--top-n 3, depth 9): 12's audience is 1, s1, 2.
	printf 'customer_id\ns1\n' > "$BATS_TEST_TMPDIR/ex.csv"
	run -0 bash -c "printf 'GET /recommend/12?n=2&format=csv HTTP/1.1\r\nConnection: close\r\n\r\n' | aud-serve -m '$M' --exclude '$BATS_TEST_TMPDIR/ex.csv' | tr -d '\r' | sed '1,/^\$/d'"
	assert_output - <<'OUT'
product_id,rank,customer_id,score,source,reason
12,1,1,0.9333333333333333,model,engagement
12,2,2,0.1111111111111111,model,engagement
OUT
	# The cold-start list of an unknown product too.
	run -0 bash -c "printf 'GET /recommend/99?n=5 HTTP/1.1\r\nConnection: close\r\n\r\n' | aud-serve -m '$M' --exclude '$BATS_TEST_TMPDIR/ex.csv' | grep -c '\"s1\"' || true"
	assert_output 0
	# A list that cannot be read: no audience rather than one that may
	# hold suppressed customers.
	run -0 bash -c "printf 'GET /recommend/12 HTTP/1.1\r\nConnection: close\r\n\r\n' | aud-serve -m '$M' --exclude '$BATS_TEST_TMPDIR/none.csv' | tr -d '\r' | sed '1,/^\$/d'"
	assert_output '{"detail":"the suppression list cannot be read"}'
	run -1 --separate-stderr aud-serve -m "$M" --exclude "$BATS_TEST_TMPDIR/none.csv" --listen 127.0.0.1:1
	assert_equal "$stderr" "aud-serve: $BATS_TEST_TMPDIR/none.csv: No such file or directory"
}

@test "standalone, SIGHUP reads the suppression list again with the model" {
	local port=$(test_port) i
	printf '1\n' > "$BATS_TEST_TMPDIR/ex.txt"
	aud-serve -m "$M" -q --workers 1 --exclude "$BATS_TEST_TMPDIR/ex.txt" \
		--listen "127.0.0.1:$port" 2> "$BATS_TEST_TMPDIR/err" &
	local pid=$!
	first() {
		exec 7<>"/dev/tcp/127.0.0.1/$port" || return 1
		printf 'GET /recommend/12?n=1&format=csv HTTP/1.1\r\nConnection: close\r\n\r\n' >&7
		tail -n 1 <&7 | cut -d, -f3
		exec 7<&-
	}
	for i in $(seq 50); do first > /dev/null 2>&1 && break; sleep 0.1; done
	local before after kept
	before=$(first)
	printf 's1\n1\n' > "$BATS_TEST_TMPDIR/ex.txt"
	kill -HUP "$pid"
	sleep 0.3
	after=$(first)
	# A list gone missing on reload: the one read before stays.
	rm "$BATS_TEST_TMPDIR/ex.txt"
	kill -HUP "$pid"
	sleep 0.3
	kept=$(first)
	kill "$pid"
	assert_equal "$before $after $kept" "s1 2 2"
	run -0 cat "$BATS_TEST_TMPDIR/err"
	assert_output "aud-serve: $BATS_TEST_TMPDIR/ex.txt: No such file or directory; still suppressing the list read before"
}
