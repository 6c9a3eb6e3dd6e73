#!/usr/bin/env bats
# The stack's networks under `stack up -d`: the services' containers
# reach each other by name, a restarted service comes back on the same
# address (so the others' /etc/hosts stay true), `network_mode:
# service:NAME` shares the named service's namespace, and `stack down`
# (also after kill -9 of the supervisor) leaves no netns mount, veth,
# bridge or state of the project.

bats_require_minimum_version 1.5.0
load helpers/run_env
load helpers/up_env

setup_file() { run_env_setup_file; }
teardown_file() { up_env_teardown_file; }
setup() {
	up_env_setup
	# srv prints its address, then serves; cli prints what it knows of
	# srv and fetches from it by name until it answers.
	stack_file <<-'EOF'
	services:
	  srv:
	    image: bb
	    command: [sh, -c, 'echo "addr $$(ip -o -4 addr show eth0 | awk "{print \$$4}")"; mkdir -p /www; echo "hello from srv" >/www/index.html; exec httpd -f -p 8080 -h /www']
	  cli:
	    image: bb
	    command: [sh, -c, 'echo "hosts $$(grep -w srv /etc/hosts | awk "{print \$$1}")"; until wget -q -O - http://srv:8080/; do sleep 0.1; done; echo "srv $$(ping -c 1 -W 2 srv >/dev/null && echo pings)"; exec sleep 1000']
	EOF
}
teardown() { up_env_teardown; }

# log_lines SERVICE PREFIX: the lines of SERVICE's log starting with PREFIX.
log_lines() {
	stack logs --no-color --no-log-prefix "$1" | grep "^$2" || true
}

# Everything of the project's networks the host sees: mounts under
# STACK_RUN (netns files), netns files, network state, links of the host.
net_count() {
	local n=0
	n=$((n + $(grep -cF "$STACK_RUN" /proc/self/mountinfo || true)))
	n=$((n + $(ls -A "$STACK_RUN/t/netns" 2>/dev/null | wc -l)))
	n=$((n + $(ls -A "$STACK_RUN/t" 2>/dev/null | grep -cF .networks || true)))
	echo "$n"
}

# addr_lines_ge N / hellos_ge N: srv printed its address, cli got srv's page, N times or more.
addr_lines_ge() { [ "$(log_lines srv addr | wc -l)" -ge "$1" ]; }
hellos_in() { [ "$(grep -c "hello from srv" "$STACK_ROOT/logs/t/$1.log")" -ge "$2" ]; }
hellos_ge() { [ "$(grep -c "hello from srv" "$STACK_ROOT/logs/t/cli.log")" -ge "$1" ]; }

host_links() { ip -o link | awk -F': ' '{print $2}' | sort; }

@test "two services of up -d reach each other by name" {
	run -0 stack up -d
	wait_for 20 grep -q "hello from srv" "$STACK_ROOT/logs/t/cli.log"
	wait_for 20 grep -q "srv pings" "$STACK_ROOT/logs/t/cli.log"
	addr=$(log_lines srv addr | awk '{print $2}')
	[ -n "$addr" ]
	# cli's /etc/hosts names srv's address
	[ "$(log_lines cli hosts | awk '{print $2}')" = "${addr%/*}" ]
	# nothing of the stack's networks in the host's namespace
	run -0 ip -o addr
	[[ "$output" != *"${addr%/*}"* ]]
}

@test "a restarted service keeps its address and is reached by name again" {
	stack up -d
	wait_for 20 grep -q "hello from srv" "$STACK_ROOT/logs/t/cli.log"
	first=$(log_lines srv addr)
	[ -n "$first" ]
	pid1=$(ps_field srv pid)
	run -0 stack restart srv
	wait_for 20 state_is srv running
	[ "$(ps_field srv pid)" != "$pid1" ]
	wait_for 20 addr_lines_ge 2
	[ "$(log_lines srv addr | sed -n 2p)" = "$first" ]
	# a fresh cli container finds the restarted srv through its /etc/hosts
	run -0 stack restart cli
	wait_for 20 hellos_ge 2
	[ "$(log_lines cli hosts | sort -u | wc -l)" -eq 1 ]
}

@test "network_mode: service:NAME shares the named service's network namespace" {
	stack_file <<-'EOF'
	services:
	  srv:
	    image: bb
	    command: [sh, -c, 'mkdir -p /www; echo "hello from srv" >/www/index.html; exec httpd -f -p 127.0.0.1:8080 -h /www']
	  side:
	    image: bb
	    network_mode: "service:srv"
	    command: [sh, -c, 'until wget -q -O - http://127.0.0.1:8080/; do sleep 0.1; done; exec sleep 1000']
	EOF
	run -0 stack up -d
	# started after srv, in srv's namespace: srv's loopback answers
	wait_for 20 grep -q "hello from srv" "$STACK_ROOT/logs/t/side.log"
	[ "$(readlink /proc/"$(ps_field side pid)"/ns/net)" = "$(readlink /proc/"$(ps_field srv pid)"/ns/net)" ]
	run -0 stack down
	assert_no_leftovers
}

@test "network_mode: service:NAME follows NAME into its new namespace when NAME restarts" {
	stack_file <<-'EOF'
	services:
	  srv:
	    image: bb
	    restart: always
	    command: [sh, -c, 'mkdir -p /www; echo "hello from srv" >/www/index.html; exec httpd -f -p 127.0.0.1:8080 -h /www']
	  side:
	    image: bb
	    network_mode: "service:srv"
	    command: [sh, -c, 'until wget -q -O - http://127.0.0.1:8080/; do sleep 0.1; done; exec sleep 1000']
	EOF
	run -0 stack up -d
	wait_for 20 grep -q "hello from srv" "$STACK_ROOT/logs/t/side.log"
	old_side=$(ps_field side pid)
	kill -9 "$(ps_field srv pid)"
	wait_for 20 ps_field_is srv restarts 1
	wait_for 20 ps_field_is srv state running
	# side was restarted into srv's new namespace and reaches it again
	wait_for 20 hellos_in side 2
	[ "$(ps_field side state)" = running ]
	[ "$(ps_field side pid)" != "$old_side" ]
	[ "$(readlink /proc/"$(ps_field side pid)"/ns/net)" = "$(readlink /proc/"$(ps_field srv pid)"/ns/net)" ]
	run -0 stack down
	assert_no_leftovers
}

@test "down leaves no netns mount, veth, bridge or network state" {
	links_before=$(host_links)
	[ "$(net_count)" -eq 0 ]
	stack up -d
	wait_for 20 grep -q "hello from srv" "$STACK_ROOT/logs/t/cli.log"
	[ "$(net_count)" -gt 0 ]
	# the veths and the bridge live in the stack's namespace
	nsfile=$STACK_RUN/t/netns/default
	[ "$(nsenter --net="$nsfile" ip -o link | grep -c '@')" -eq 2 ]
	nsenter --net="$nsfile" ip -o link show br0
	[ "$(host_links)" = "$links_before" ]
	run -0 stack down
	[ "$(net_count)" -eq 0 ]
	[ ! -e "$nsfile" ]
	[ "$(host_links)" = "$links_before" ]
	assert_no_leftovers
}

@test "kill -9 of the supervisor, then down leaves no netns mount, veth or network state" {
	stack up -d
	wait_for 20 grep -q "hello from srv" "$STACK_ROOT/logs/t/cli.log"
	[ "$(net_count)" -gt 0 ]
	spid=$(sup_pid)
	kill -KILL "$spid"
	wait_for 20 sh -c '! kill -0 "$1" 2>/dev/null' _ "$spid"
	run -0 stack down
	[ "$(net_count)" -eq 0 ]
	[ ! -e "$STACK_RUN/t" ]
	assert_no_leftovers
}

@test "up again after kill -9 of the supervisor gives the services their addresses back" {
	stack up -d
	wait_for 20 grep -q "hello from srv" "$STACK_ROOT/logs/t/cli.log"
	first=$(log_lines srv addr)
	kill -KILL "$(sup_pid)"
	wait_for 20 sh -c '! kill -0 "$1" 2>/dev/null' _ "$(ps_field srv pid)"
	run -0 stack up -d
	wait_for 20 addr_lines_ge 2
	[ "$(log_lines srv addr | tail -1)" = "$first" ]
	wait_for 20 hellos_ge 2
}
