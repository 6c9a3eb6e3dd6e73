#!/usr/bin/env bats
# The stack's networks through `stack run` (which joins the project's
# networks as compose's run does): containers find each other by service
# name, hostname and alias; nothing of the stack appears in the host's
# network namespace; a container cannot reach the host; a network's
# namespace, veths and state go with its last one-off container, or with
# `stack down` after a kill -9; hostile
# network settings are refused before anything is made.

bats_require_minimum_version 1.5.0
load helpers/run_env

setup_file() { run_env_setup_file; }
teardown_file() { run_env_teardown_file; }
setup() {
	run_env_setup
	LISTENERS=()
}
teardown() {
	local pid
	for pid in "${LISTENERS[@]}"; do
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	run_env_teardown
	# Whatever a failed test left of the project's networks.
	if [ -f "$BATS_TEST_TMPDIR/stack.yaml" ]; then
		timeout -k 5 30 "$STACK_BIN" -f "$BATS_TEST_TMPDIR/stack.yaml" down -t 1 >/dev/null 2>&1 || true
	fi
}

# The pair that talks: srv serves HTTP on 8080 as hostname server1, alias api.
pair_stack() {
	stack_file <<-'EOF'
	services:
	  srv:
	    image: bb
	    hostname: server1
	    networks: {default: {aliases: [api]}}
	  cli: {image: bb}
	EOF
}

# start_srv: srv serving "hello from srv" on 8080 in the background, and
# wait until cli reaches it by name.
start_srv() {
	stack_bg "$BATS_TEST_TMPDIR/srv.out" "$BATS_TEST_TMPDIR/srv.err" run -T srv \
		sh -c 'mkdir -p /www && echo "hello from srv" >/www/index.html && exec httpd -f -p 8080 -h /www'
	SRV_PID=$BG_PID
	wait_for 20 stack run -T cli timeout 1 wget -q -O /dev/null http://srv:8080/
}

stop_srv() {
	kill -TERM "$SRV_PID"
	wait_exit "$SRV_PID" 20
	[ "$BG_STATUS" -ne 124 ]
}

# Everything of the project's networks on the host: mounts, netns files,
# state files.  Empty when all is gone.
net_leftovers() {
	grep -F "$STACK_RUN" /proc/self/mountinfo || true
	ls -A "$STACK_RUN/t/netns" 2>/dev/null || true
	ls -A "$STACK_RUN/t" 2>/dev/null | grep -F .networks || true
}

subnet_of() { sed -n 's/.*"subnet": "\([0-9./]*\)".*/\1/p' "$STACK_RUN/t/.networks.json"; }

@test "two containers reach each other by service name, hostname and alias" {
	pair_stack
	start_srv
	run --separate-stderr stack run -T cli sh -c \
		'ping -c 1 -W 2 srv >/dev/null && timeout 2 wget -q -O - http://server1:8080/ && echo | nc -w 2 api 8080 >/dev/null && echo reached'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "hello from srv" ]
	[ "${lines[1]}" = reached ]
	# Both directions: srv finds cli's name too (cli's own container has
	# an address of its own, since it is not the service's container).
	run stack run -T cli sh -c 'grep -w srv /etc/hosts; ip -o -4 addr show eth0; ip route'
	[ "$status" -eq 0 ]
	srv_ip=$(awk '$2 == "srv" { print $1 }' <<<"$output")
	[ -n "$srv_ip" ]
	grep -q "default via" <<<"$output"
	run stack run -T cli timeout 2 wget -q -O - "http://$srv_ip:8080/"
	[ "$output" = "hello from srv" ]
	stop_srv
}

@test "addresses are stable: the service's address is the same on every start" {
	pair_stack
	run stack run -T srv sh -c "ip -o -4 addr show eth0 | awk '{print \$4}'"
	[ "$status" -eq 0 ]
	first=$output
	[[ "$first" == */24 ]]
	run stack run -T srv sh -c "ip -o -4 addr show eth0 | awk '{print \$4}'"
	[ "$output" = "$first" ]
	# and what every other container's /etc/hosts says for it
	run stack run -T cli awk '$2 == "srv" { print $1 }' /etc/hosts
	[ "$output" = "${first%/24}" ]
}

@test "the host's network namespace gets no interface, address or route of the stack" {
	pair_stack
	ip -o link | awk -F': ' '{print $2}' | sed 's/@.*//' | sort >"$BATS_TEST_TMPDIR/links.before"
	start_srv
	subnet=$(subnet_of)
	[ -n "$subnet" ]
	net=${subnet%.0/24}
	ip -o link | awk -F': ' '{print $2}' | sed 's/@.*//' | sort >"$BATS_TEST_TMPDIR/links.during"
	# No link of ours (the bridge, a veth end named after an address)...
	run grep -E '^(br0|ve[0-9a-f]{8})$' "$BATS_TEST_TMPDIR/links.during"
	[ "$status" -ne 0 ]
	# ...no link at all that was not there before (comm: lines only in during)...
	run comm -13 "$BATS_TEST_TMPDIR/links.before" "$BATS_TEST_TMPDIR/links.during"
	[ -z "$(grep -E '^(br|ve)' <<<"$output")" ]
	# ...and no address or route in the stack's subnet.
	run ip -o addr
	[[ "$output" != *" $net."* ]]
	run ip route
	[[ "$output" != *"$net."* ]]
	# while the container has one there
	run stack run -T cli ip -o -4 addr show eth0
	[[ "$output" == *" $net."* ]]
	stop_srv
}

@test "the last one-off container takes the networks it made with it" {
	pair_stack
	start_srv
	[ -n "$(net_leftovers)" ]
	stop_srv
	run net_leftovers
	[ -z "$output" ]
	assert_no_leftovers
}

@test "kill -9 of the stack process, then stack down leaves no mount, netns, veth or state" {
	pair_stack
	start_srv
	kill -KILL "$SRV_PID"
	wait_exit "$SRV_PID" 20
	[ -n "$(net_leftovers)" ]
	run -0 stack down
	run net_leftovers
	[ -z "$output" ]
	run ip -o link
	[[ "$output" != *" br0"* ]]
	# idempotent
	run -0 stack down
	# The container's own leftovers (cgroup, state dir) are the stale
	# sweep's, which the next run does; it leaves nothing either.
	stack run -T cli true
	assert_no_leftovers
}

@test "kill -9 of the stack process: the next run gets the service's address back and then cleans up" {
	pair_stack
	run stack run -T srv ip -o -4 addr show eth0
	first=$(awk '{print $4}' <<<"$output")
	[ -n "$first" ]
	start_srv
	kill -KILL "$SRV_PID"
	wait_exit "$SRV_PID" 20
	[ -n "$(net_leftovers)" ]
	# The dead holder's lock is free: the address is srv's again.
	run stack run -T srv ip -o -4 addr show eth0
	[ "$status" -eq 0 ]
	[ "$(awk '{print $4}' <<<"$output")" = "$first" ]
	run net_leftovers
	[ -z "$output" ]
	assert_no_leftovers
}

# listen HOST PORT: a one-connection TCP listener on the host; a file
# $BATS_TEST_TMPDIR/accepted.PORT appears if anything connects.
listen() {
	python3 - "$1" "$2" "$BATS_TEST_TMPDIR/accepted.$2" <<-'PY' &
	import socket, sys
	s = socket.socket()
	s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
	s.bind((sys.argv[1], int(sys.argv[2])))
	s.listen(1)
	open(sys.argv[3] + ".ready", "w").close()
	c, _ = s.accept()
	open(sys.argv[3], "w").close()
	PY
	LISTENERS+=($!)
	wait_for 10 test -e "$BATS_TEST_TMPDIR/accepted.$2.ready"
}

@test "a container reaches neither the host's loopback nor its primary address" {
	host_ip=$(ip -o -4 route get 1.1.1.1 2>/dev/null | sed -n 's/.* src \([0-9.]*\).*/\1/p')
	[ -n "$host_ip" ] || host_ip=$(ip -o -4 addr show scope global | awk '{print $4}' | cut -d/ -f1 | head -n1)
	[ -n "$host_ip" ] || skip "this host has no non-loopback IPv4 address"
	listen 127.0.0.1 15301
	listen "$host_ip" 15302
	pair_stack
	run --separate-stderr stack run -T cli sh -c "
		nc -w 2 127.0.0.1 15301 </dev/null && echo lo-reached
		nc -w 2 $host_ip 15302 </dev/null && echo host-reached
		gw=\$(ip route | awk '/default/ { print \$3 }')
		nc -w 2 \$gw 15301 </dev/null && echo gw-reached
		echo done"
	[ "$status" -eq 0 ]
	[ "$output" = done ]
	[ ! -e "$BATS_TEST_TMPDIR/accepted.15301" ]
	[ ! -e "$BATS_TEST_TMPDIR/accepted.15302" ]
	# The listeners are real: the host itself reaches them.
	python3 -c 'import socket,sys; socket.create_connection((sys.argv[1], 15302), 2)' "$host_ip"
	wait_for 5 test -e "$BATS_TEST_TMPDIR/accepted.15302"
}

@test "networks isolate: back-only and front-only services do not meet; one on both reaches both" {
	stack_file <<-'EOF'
	networks:
	  front: {ipam: {config: [{subnet: 10.93.1.0/24}]}}
	  back: {ipam: {config: [{subnet: 10.93.2.0/24}]}}
	services:
	  web: {image: bb, networks: [front, back]}
	  db: {image: bb, networks: [back]}
	  edge: {image: bb, networks: [front]}
	EOF
	stack_bg "$BATS_TEST_TMPDIR/db.out" "$BATS_TEST_TMPDIR/db.err" run -T db \
		sh -c 'mkdir /www && echo db >/www/index.html && exec httpd -f -p 8080 -h /www'
	DB_PID=$BG_PID
	wait_for 20 stack run -T web timeout 1 wget -q -O /dev/null http://db:8080/
	run stack run -T web sh -c 'ip -o -4 addr show eth0; ip -o -4 addr show eth1'
	[[ "${lines[0]}" == *" 10.93.1."* ]]
	[[ "${lines[1]}" == *" 10.93.2."* ]]
	# edge has no `db` in its /etc/hosts and no route to back's subnet
	run --separate-stderr stack run -T edge sh -c 'grep -w db /etc/hosts; timeout 2 wget -q -O - http://10.93.2.2:8080/ && echo reached; echo done'
	[ "$output" = done ]
	# web, on both, reaches db and knows edge (on front only)
	run --separate-stderr stack run -T web sh -c 'timeout 2 wget -q -O - http://db:8080/ && grep -w edge /etc/hosts'
	[ "${lines[0]}" = db ]
	[[ "${lines[1]}" == "10.93.1."*edge ]]
	kill -TERM "$DB_PID"
	wait_exit "$DB_PID" 20
}

@test "hostile network settings are refused before anything is made" {
	rm -rf "${STACK_RUN:?}/t"
	for bad in \
		'networks: {"..": {}}' \
		'networks: {"a\nb": {}}' \
		'networks: {"../../etc": {}}' \
		'networks: {n: {ipam: {config: [{subnet: 10.5.0.0/31}]}}}' \
		'networks: {n: {ipam: {config: [{subnet: 10.5.0.0/2}]}}}' \
		'networks: {n: {ipam: {config: [{subnet: 127.0.0.0/8}]}}}' \
		'networks: {n: {ipam: {config: [{subnet: "10.5.0.0/24\n"}]}}}' \
		'networks: {n: {ipam: {config: [{subnet: 10.5.0.0/16}]}}, m: {ipam: {config: [{subnet: 10.5.9.0/24}]}}}'; do
		printf '%b\nservices:\n  s: {image: bb}\n' "$bad" | stack_file
		run --separate-stderr stack run -T s true
		[ "$status" -eq 2 ] || { echo "accepted: $bad ($status, $stderr)"; return 1; }
		[[ "$stderr" == *"stack.yaml:"*":"*": error: "* ]]
		[ ! -e "$STACK_RUN/t" ] || { echo "made something for: $bad"; ls -laR "$STACK_RUN"; return 1; }
	done
}

@test "a network that exists with another subnet is refused, and the running one is untouched" {
	stack_file <<-'EOF'
	networks: {default: {ipam: {config: [{subnet: 10.94.0.0/24}]}}}
	services:
	  srv: {image: bb}
	  cli: {image: bb}
	EOF
	stack_bg "$BATS_TEST_TMPDIR/srv.out" "$BATS_TEST_TMPDIR/srv.err" run -T srv sleep 60
	SRV_PID=$BG_PID
	wait_for 20 test -e "$STACK_RUN/t/.networks.json"
	sed -i 's|10.94.0.0/24|10.95.0.0/24|' "$BATS_TEST_TMPDIR/stack.yaml"
	run --separate-stderr stack run -T cli true
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"network \`default\` exists with subnet 10.94.0.0/24"*"stack down"* ]]
	grep -q '10.94.0.0/24' "$STACK_RUN/t/.networks.json"
	stop_srv
}

@test "network_mode: none has only lo; service:NAME is refused by stack run with a reason" {
	stack_file <<-'EOF'
	services:
	  lone: {image: bb, network_mode: none}
	  srv: {image: bb}
	  side: {image: bb, network_mode: "service:srv"}
	EOF
	run stack run -T lone sh -c 'ls /sys/class/net'
	[ "$status" -eq 0 ]
	[ "$output" = lo ]
	[ ! -e "$STACK_RUN/t/netns" ]
	run --separate-stderr stack run -T side true
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"network_mode: service:srv"* ]]
}
